import { once } from 'node:events';
import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parse as parseCsv } from 'csv-parse/sync';
import { sql } from 'drizzle-orm';
import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeRows } from '../../src/db/export.js';
import { sendExport } from '../../src/http/export.js';
import { appendEvents } from '../../src/modules/audit/audit.repository.js';
import { bearer, createTestApp, type TestApp } from '../helpers/app.js';
import { describeDb, onPostgres } from '../helpers/database.js';
import { download, ndjsonLines, runVerifyExport, scratchDir } from '../helpers/exports.js';
import { type AuditEventOut, allAuditEvents } from '../helpers/factories.js';

// Names are single-line (control characters → 400), so the CSV test's tricky name has quotes and commas.
const TRICKY_NAME = 'Acme, "Rare" Earths; Ltd';

type Event = AuditEventOut & { data: Record<string, unknown> };

describeDb('audit export', () => {
  let t: TestApp;
  let events: Event[];
  let companyId: string;
  const files = scratchDir();

  beforeAll(async () => {
    t = await createTestApp();
    const post = (path: string, body: object) => t.api.post(path).set(bearer(t.admin)).send(body);
    expect((await post('/v1/minerals', { code: 'GA', name: 'Gallium', unit: 'kg' })).status).toBe(201);
    expect((await post('/v1/depots', { code: 'ROT-1', name: 'Rotterdam', country: 'NL' })).status).toBe(201);
    const company = await post('/v1/companies', { name: TRICKY_NAME, country: 'DE' });
    expect(company.status).toBe(201);
    companyId = company.body.id;
    const patch = await t.api
      .patch(`/v1/companies/${companyId}`)
      .set(bearer(t.admin))
      .set('x-request-id', 'req,with"quotes"')
      .send({ status: 'suspended' });
    expect(patch.status).toBe(200);
    expect((await post('/v1/minerals', { code: 'GE', name: 'Germanium', unit: 'kg' })).status).toBe(201);
    events = (await allAuditEvents(t)) as Event[];
    expect(events).toHaveLength(5);
  });
  afterAll(async () => {
    files.cleanup();
    await t?.close();
  });

  it('streams NDJSON: one event per line, the very objects the list returns', async () => {
    const res = await download(t, '/v1/audit-events/export?format=ndjson', t.auditor);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('application/x-ndjson');
    expect(res.headers['content-disposition']).toBe('attachment; filename="audit-events-1-5.ndjson"');
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.text.endsWith('\n')).toBe(true);
    expect(ndjsonLines(res.text)).toEqual(events);
  });

  it('defaults to NDJSON and is open to admins too', async () => {
    const res = await download(t, '/v1/audit-events/export', t.admin);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('application/x-ndjson');
    expect(ndjsonLines(res.text)).toEqual(events);
  });

  it('takes fromSeq and toSeq inclusively, and names the file after the range', async () => {
    const res = await download(t, '/v1/audit-events/export?fromSeq=2&toSeq=4', t.auditor);
    expect(res.status).toBe(200);
    expect(res.headers['content-disposition']).toBe('attachment; filename="audit-events-2-4.ndjson"');
    expect(ndjsonLines(res.text)).toEqual(events.slice(1, 4));

    const one = await download(t, '/v1/audit-events/export?fromSeq=3&toSeq=3', t.auditor);
    expect(ndjsonLines(one.text)).toEqual([events[2]]);

    // A toSeq past the head is capped at the head, and the file name says so.
    const tail = await download(t, '/v1/audit-events/export?fromSeq=4&toSeq=999', t.auditor);
    expect(tail.headers['content-disposition']).toBe('attachment; filename="audit-events-4-5.ndjson"');
    expect(ndjsonLines(tail.text)).toEqual(events.slice(3));

    const none = await download(t, '/v1/audit-events/export?fromSeq=6', t.auditor);
    expect(none.status).toBe(200);
    expect(none.text).toBe('');
  });

  it('streams CSV (RFC 4180) that parses back to the same events, tricky text included', async () => {
    const res = await download(t, '/v1/audit-events/export?format=csv', t.auditor);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/csv; charset=utf-8/);
    expect(res.headers['content-disposition']).toBe('attachment; filename="audit-events-1-5.csv"');
    expect(
      res.text.startsWith('seq,occurredAt,actor,action,entityType,entityId,data,requestId,prevHash,hash\r\n'),
    );
    const records = parseCsv(res.text, { columns: true }) as Record<string, string>[];
    expect(records).toHaveLength(events.length);
    const back: Record<string, unknown>[] = records.map((r) => ({
      ...r,
      seq: Number(r.seq),
      actor: JSON.parse(r.actor!),
      data: JSON.parse(r.data!),
    }));
    expect(back).toEqual(events);
    const created = back.find((e) => e.action === 'company.created')!;
    expect((created.data as { name: string }).name).toBe(TRICKY_NAME);
    expect(back.find((e) => e.action === 'company.updated')!.requestId).toBe('req,with"quotes"');
  });

  it('the offline verifier accepts an untouched export and reports the API head hash', async () => {
    const verify = await t.api.get('/v1/audit-events/verify').set(bearer(t.auditor));
    expect(verify.body).toMatchObject({ valid: true, eventsChecked: 5, headSeq: 5, firstInvalidSeq: null });
    const file = files.write(
      'untouched.ndjson',
      (await download(t, '/v1/audit-events/export', t.auditor)).text,
    );

    const human = await runVerifyExport([file]);
    expect(human.code, human.stderr).toBe(0);
    expect(human.stdout).toContain('events:     5');
    expect(human.stdout).toContain('head seq:   5');
    expect(human.stdout).toContain(`head hash:  ${verify.body.headHash}`);
    expect(human.stdout).toContain('result:     VALID');

    const json = await runVerifyExport(['--json', '--expect-head', verify.body.headHash, file]);
    expect(json.code, json.stderr).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual({ ...verify.body, firstSeq: 1, headMatches: true });
  });

  it('the offline verifier pinpoints an edited line, reads standard input, and rejects garbage', async () => {
    const text = (await download(t, '/v1/audit-events/export', t.auditor)).text;
    const original = text.split('\n');
    const lines = [...original];
    const third = JSON.parse(lines[2]!) as Event;
    lines[2] = JSON.stringify({ ...third, data: { ...third.data, name: 'Someone else' } });
    const edited = lines.join('\n');

    const broken = await runVerifyExport([files.write('edited.ndjson', edited)]);
    expect(broken.code).toBe(1);
    expect(broken.stdout).toContain(`result:     BROKEN, first invalid seq ${third.seq}`);

    // No file (or "-"): standard input.
    const piped = await runVerifyExport(['--json', '-'], edited);
    expect(piped.code).toBe(1);
    expect(JSON.parse(piped.stdout)).toMatchObject({ valid: false, firstInvalidSeq: 3, eventsChecked: 5 });

    // Another head than expected (e.g. the tail was cut off the file) is exit 1 as well.
    const cut = await runVerifyExport(
      ['--expect-head', JSON.parse(original[4]!).hash],
      `${original.slice(0, 4).join('\n')}\n`,
    );
    expect(cut.code).toBe(1);
    expect(cut.stdout).toContain('HEAD MISMATCH');

    const garbage = await runVerifyExport([files.write('garbage.ndjson', `${lines[0]}\n{"seq": 2,\n`)]);
    expect(garbage.code).toBe(2);
    expect(garbage.stderr).toMatch(/line 2: not valid JSON/);

    const notEvent = await runVerifyExport([], `${lines[0]}\n{"seq":"two"}\n`);
    expect(notEvent.code).toBe(2);
    expect(notEvent.stderr).toMatch(/line 2: not an audit event/);

    const missing = await runVerifyExport(['/nonexistent/audit.ndjson']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/cannot read/);
  }, 60_000);

  it('is closed to companies and validates its query', async () => {
    const companyToken = await t.token('company', companyId);
    const forbidden = await t.api.get('/v1/audit-events/export').set(bearer(companyToken));
    expect(forbidden.status).toBe(403);
    expect(forbidden.body.type).toMatch(/\/forbidden$/);

    const ledger = await t.api.get('/v1/ledger/export').set(bearer(companyToken));
    expect(ledger.status).toBe(403);

    expect((await t.api.get('/v1/audit-events/export')).status).toBe(401);

    for (const query of ['format=xml', 'fromSeq=-1', 'toSeq=abc', 'fromSeq=4&toSeq=2', 'limit=5']) {
      const res = await t.api.get(`/v1/audit-events/export?${query}`).set(bearer(t.auditor));
      expect(res.status, query).toBe(400);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.body.type).toMatch(/\/validation-error$/);
    }
  });
});

describeDb('a long chain (many streaming batches)', () => {
  let t: TestApp;
  const TOTAL = 12_000;
  const files = scratchDir();

  beforeAll(async () => {
    t = await createTestApp();
    const ctx = { actor: { sub: 'bulk-loader', role: 'admin' as const, companyId: null }, requestId: 'bulk' };
    // Appended the way services do (the real chain code), in a few large transactions for speed.
    for (let done = 0; done < TOTAL; done += 3000) {
      await t.database.db.transaction(async (tx) => {
        const entries = Array.from({ length: 3000 }, (_, i) => ({
          action: 'depot.created',
          entityType: 'depot',
          entityId: `bulk-${done + i}`,
          data: { n: done + i, padding: 'x'.repeat(200) },
        }));
        await appendEvents(tx as never, ctx, t.clock.now(), entries);
      });
    }
  }, 120_000);
  afterAll(async () => {
    files.cleanup();
    await t?.close();
  });

  it('verifies and exports every event, in order, across batches', async () => {
    const verify = await t.api.get('/v1/audit-events/verify').set(bearer(t.auditor));
    expect(verify.body).toMatchObject({ valid: true, eventsChecked: TOTAL, headSeq: TOTAL });

    const res = await download(t, '/v1/audit-events/export', t.auditor);
    const lines = ndjsonLines(res.text) as Event[];
    expect(lines).toHaveLength(TOTAL);
    expect(lines.every((e, i) => e.seq === i + 1)).toBe(true);
    const cli = await runVerifyExport(['--json', files.write('long.ndjson', res.text)]);
    expect(cli.code, cli.stderr).toBe(0);
    expect(JSON.parse(cli.stdout)).toMatchObject({
      valid: true,
      eventsChecked: TOTAL,
      headHash: verify.body.headHash,
    });

    const slice = await download(t, '/v1/audit-events/export?fromSeq=999&toSeq=2001', t.auditor);
    const sliced = ndjsonLines(slice.text) as Event[];
    expect(sliced.map((e) => e.seq)).toEqual(Array.from({ length: 1003 }, (_, i) => 999 + i));
  }, 60_000);

  it('a download the client abandons releases the database', async () => {
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = t.app.server.address() as AddressInfo;
    const req = httpRequest({
      port,
      host: '127.0.0.1',
      path: '/v1/audit-events/export',
      headers: bearer(t.auditor),
    });
    req.end();
    const [res] = (await once(req, 'response')) as [import('node:http').IncomingMessage];
    expect(res.statusCode).toBe(200);
    await once(res, 'data');
    req.destroy();
    // On PostgreSQL the cursor's portal is closed and its connection handed back; on PGlite nothing
    // stays open between batches. Either way the database answers at once, and no export is left running.
    await new Promise((r) => setTimeout(r, 200));
    const verify = await t.api.get('/v1/audit-events/verify').set(bearer(t.auditor));
    expect(verify.body.valid).toBe(true);
    if (onPostgres) {
      const running = await t.database.db.execute(
        sql`select count(*)::int as n from pg_stat_activity
            where datname = current_database() and pid <> pg_backend_pid() and state <> 'idle'`,
      );
      expect((running as unknown as { n: number }[])[0]!.n).toBe(0);
    }
  }, 60_000);

  it('verify finds a break where its stretches meet', async () => {
    // Verification runs in stretches of 10,000 events, each anchored on the event before it: a missing
    // seq 10,000 ends the first stretch early and leaves the second one's first event unlinked.
    await t.database.db.transaction(async (tx) => {
      await tx.execute(sql`alter table audit_events disable trigger user`);
      await tx.execute(sql`delete from audit_events where seq = 10000`);
      await tx.execute(sql`alter table audit_events enable trigger user`);
    });
    const verify = await t.api.get('/v1/audit-events/verify').set(bearer(t.auditor));
    expect(verify.body).toMatchObject({
      valid: false,
      eventsChecked: TOTAL - 1,
      headSeq: TOTAL,
      firstInvalidSeq: 10_000,
    });
  });
});

describe('export streaming backpressure', () => {
  it('pulls batches only as fast as the client reads, and stops when the client leaves', async () => {
    const app = Fastify();
    const BATCHES = 2_000;
    let pulled = 0;
    let closed = false;
    async function* batches() {
      try {
        for (let i = 0; i < BATCHES; i++) {
          pulled++;
          yield Array.from({ length: 100 }, (_, j) => ({ i, j, text: 'y'.repeat(1000) }));
        }
      } finally {
        closed = true;
      }
    }
    app.get('/big', (_req, reply) =>
      sendExport(reply, { name: 'big', format: 'ndjson', chunks: encodeRows(batches(), 'ndjson', []) }),
    );
    await app.listen({ port: 0, host: '127.0.0.1' });
    try {
      const { port } = app.server.address() as AddressInfo;
      const req = httpRequest({ port, host: '127.0.0.1', path: '/big' });
      req.end();
      const [res] = (await once(req, 'response')) as [import('node:http').IncomingMessage];
      res.pause();
      await new Promise((r) => setTimeout(r, 300));
      // 2,000 batches of ~100 KB would be ~200 MB pulled by an eager server; a paused client stops
      // the generator once the socket buffers are full.
      const whilePaused = pulled;
      expect(whilePaused).toBeLessThan(BATCHES / 5);
      await new Promise((r) => setTimeout(r, 300));
      expect(pulled).toBe(whilePaused);
      expect(closed).toBe(false);

      req.destroy();
      await expect.poll(() => closed, { timeout: 5_000 }).toBe(true);
      expect(pulled).toBe(whilePaused);
    } finally {
      await app.close();
    }
  }, 60_000);
});

interface Movement {
  seq: number;
  at: string;
  mineralCode: string;
  depotId: string;
  lotId: string;
  kind: 'receipt' | 'draw' | 'replenishment' | 'adjustment';
  quantity: string;
  balanceAfter: string;
  reference: string | null;
}

/** A normalised signed decimal: no exponent, no `+`, no trailing fractional zeros, at most 3 places. */
const SIGNED_DECIMAL = /^-?(0|[1-9]\d*)(\.\d{0,2}[1-9])?$/;

describeDb('ledger export', () => {
  let t: TestApp;
  let movements: Movement[];
  /** The `at` of each step, in order. */
  const at: Record<string, string> = {};

  beforeAll(async () => {
    t = await createTestApp();
    const admin = bearer(t.admin);
    const ok = async (res: { status: number; body: Record<string, unknown> }, status = 201) => {
      expect(res.status, JSON.stringify(res.body)).toBe(status);
      return res.body as Record<string, string>;
    };
    const post = (path: string, body: object) => t.api.post(path).set(admin).send(body);
    const minute = () => t.clock.advance(60_000);

    await ok(await post('/v1/minerals', { code: 'GA', name: 'Gallium', unit: 'kg' }));
    await ok(await post('/v1/minerals', { code: 'GE', name: 'Germanium', unit: 'kg' }));
    const depot = await ok(await post('/v1/depots', { code: 'ROT-1', name: 'Rotterdam', country: 'NL' }));
    const company = await ok(await post('/v1/companies', { name: 'Acme Metals', country: 'DE' }));
    await ok(
      await post(`/v1/companies/${company.id}/agreements`, {
        mineralCode: 'GA',
        unitPrice: '110.25',
        maxOutstanding: '500',
        replenishmentDays: 90,
        premiumPercent: '2.5',
      }),
    );
    const companyToken = await t.token('company', company.id);
    const receive = (mineralCode: string, quantity: string) =>
      post('/v1/lots', { mineralCode, depotId: depot.id, quantity, originCountry: 'AU' });

    minute();
    at.receiptGa1 = t.clock.now().toISOString();
    const lot1 = await ok(await receive('GA', '100'));
    minute();
    at.receiptGe = t.clock.now().toISOString();
    const lotGe = await ok(await receive('GE', '50.500'));
    minute();
    at.receiptGa2 = t.clock.now().toISOString();
    await ok(await receive('GA', '20.25'));
    minute();
    at.adjustGa = t.clock.now().toISOString();
    await ok(await post(`/v1/lots/${lot1.id}/adjustments`, { quantityDelta: '-0.5', reason: 'stock take' }));
    minute();
    at.draw = t.clock.now().toISOString();
    const draw = await ok(
      await t.api.post('/v1/draws').set(bearer(companyToken)).send({ mineralCode: 'GA', quantity: '30' }),
    );
    await ok(await post(`/v1/draws/${draw.id}/approve`, {}), 200);
    const fulfilled = await ok(await post(`/v1/draws/${draw.id}/fulfil`, {}), 200);
    minute();
    at.adjustGe = t.clock.now().toISOString();
    await ok(await post(`/v1/lots/${lotGe.id}/adjustments`, { quantityDelta: '1.125', reason: 'recount' }));
    minute();
    at.replenishment = t.clock.now().toISOString();
    await ok(
      await post(`/v1/obligations/${fulfilled.obligationId}/deliveries`, {
        quantity: '10',
        depotId: depot.id,
        originCountry: 'CA',
      }),
    );

    const res = await download(t, '/v1/ledger/export', t.auditor);
    expect(res.status).toBe(200);
    movements = ndjsonLines(res.text) as Movement[];
  });
  afterAll(() => t?.close());

  it('lists every movement in seq order, with signed, normalised quantities', async () => {
    expect(movements.map((m) => [m.mineralCode, m.kind, m.quantity, m.balanceAfter])).toEqual([
      ['GA', 'receipt', '100', '100'],
      ['GE', 'receipt', '50.5', '50.5'],
      ['GA', 'receipt', '20.25', '120.25'],
      ['GA', 'adjustment', '-0.5', '119.75'],
      ['GA', 'draw', '-30', '89.75'],
      ['GE', 'adjustment', '1.125', '51.625'],
      ['GA', 'replenishment', '10', '99.75'],
    ]);
    const seqs = movements.map((m) => m.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(new Set(seqs).size).toBe(seqs.length);
    for (const m of movements) {
      expect(m.quantity).toMatch(SIGNED_DECIMAL);
      expect(m.balanceAfter).toMatch(SIGNED_DECIMAL);
      expect(Object.keys(m)).toEqual([
        'seq',
        'at',
        'mineralCode',
        'depotId',
        'lotId',
        'kind',
        'quantity',
        'balanceAfter',
        'reference',
      ]);
    }
    expect(movements.find((m) => m.kind === 'draw')!.at).toBe(at.draw);
  });

  it('per mineral, the quantities sum to the last balance, which is the on-hand stock', async () => {
    for (const code of ['GA', 'GE']) {
      const own = movements.filter((m) => m.mineralCode === code);
      // Exact decimal arithmetic in thousandths: never through binary floating point.
      let running = 0n;
      for (const m of own) {
        running += thousandths(m.quantity);
        expect(running, `balance after seq ${m.seq}`).toBe(thousandths(m.balanceAfter));
      }
      const inventory = await t.api.get(`/v1/inventory/${code}`).set(bearer(t.auditor));
      expect(inventory.status).toBe(200);
      expect(thousandths(inventory.body.onHand)).toBe(running);
    }
  });

  it('filters by mineral and by time, `from` inclusive and `to` exclusive', async () => {
    const ga = await download(t, '/v1/ledger/export?mineral=GA', t.auditor);
    expect(ndjsonLines(ga.text)).toEqual(movements.filter((m) => m.mineralCode === 'GA'));
    expect(ga.headers['content-disposition']).toBe('attachment; filename="ledger-GA-start-end.ndjson"');

    const window = await download(
      t,
      `/v1/ledger/export?from=${encodeURIComponent(at.receiptGa2!)}&to=${encodeURIComponent(at.adjustGe!)}`,
      t.auditor,
    );
    expect((ndjsonLines(window.text) as Movement[]).map((m) => m.at)).toEqual([
      at.receiptGa2,
      at.adjustGa,
      at.draw,
    ]);
    const stamp = (iso: string) => iso.replace(/[-:]/g, '').replace(/\.000Z$/, 'Z');
    expect(window.headers['content-disposition']).toBe(
      `attachment; filename="ledger-all-${stamp(at.receiptGa2!)}-${stamp(at.adjustGe!)}.ndjson"`,
    );

    // Offsets other than Z name the same instants.
    const shifted = new Date(at.receiptGe!).getTime() + 2 * 3600_000;
    const plusTwo = `${new Date(shifted).toISOString().slice(0, 19)}+02:00`;
    const both = await download(
      t,
      `/v1/ledger/export?mineral=GE&from=${encodeURIComponent(plusTwo)}`,
      t.admin,
    );
    expect((ndjsonLines(both.text) as Movement[]).map((m) => m.kind)).toEqual(['receipt', 'adjustment']);

    const empty = await download(t, `/v1/ledger/export?to=${encodeURIComponent(at.receiptGa1!)}`, t.auditor);
    expect(empty.status).toBe(200);
    expect(empty.text).toBe('');
  });

  it('streams CSV with the same rows', async () => {
    const res = await download(t, '/v1/ledger/export?format=csv', t.auditor);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/csv/);
    expect(res.headers['content-disposition']).toBe('attachment; filename="ledger-all-start-end.csv"');
    const records = parseCsv(res.text, { columns: true }) as Record<string, string>[];
    expect(Object.keys(records[0]!)).toEqual(Object.keys(movements[0]!));
    expect(
      records.map((r) => ({ ...r, seq: Number(r.seq), reference: r.reference === '' ? null : r.reference })),
    ).toEqual(movements);
  });

  it('validates its query', async () => {
    for (const query of [
      'format=pdf',
      'mineral=ga',
      'from=yesterday',
      `from=${encodeURIComponent(at.draw!)}&to=${encodeURIComponent(at.receiptGa1!)}`,
      'depotId=x',
    ]) {
      const res = await t.api.get(`/v1/ledger/export?${query}`).set(bearer(t.auditor));
      expect(res.status, query).toBe(400);
      expect(res.body.type).toMatch(/\/validation-error$/);
    }
  });
});

/** "12.345" → 12345n, "-0.5" → -500n (quantities have at most 3 fractional digits). */
function thousandths(value: string): bigint {
  const negative = value.startsWith('-');
  const [whole, fraction = ''] = value.replace(/^-/, '').split('.');
  const n = BigInt(whole!) * 1000n + BigInt(fraction.padEnd(3, '0'));
  return negative ? -n : n;
}
