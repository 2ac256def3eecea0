import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sqlState } from '../../src/db/transaction.js';
import { chainHash } from '../../src/modules/audit/audit.chain.js';
import { bearer, createTestApp, type TestApp } from '../helpers/app.js';
import { describeDb } from '../helpers/database.js';
import { download, runVerifyExport, scratchDir } from '../helpers/exports.js';

/** A few real events through the API: minerals, a depot, a company and its update. */
async function someHistory(t: TestApp): Promise<void> {
  const post = (path: string, body: object) => t.api.post(path).set(bearer(t.admin)).send(body);
  for (const [path, body] of [
    ['/v1/minerals', { code: 'GA', name: 'Gallium', unit: 'kg' }],
    ['/v1/minerals', { code: 'GE', name: 'Germanium', unit: 'kg' }],
    ['/v1/depots', { code: 'ROT-1', name: 'Rotterdam', country: 'NL' }],
    ['/v1/companies', { name: 'Acme Metals', country: 'DE' }],
    ['/v1/minerals', { code: 'LI2CO3', name: 'Lithium carbonate', unit: 't' }],
  ] as const) {
    const res = await post(path, body);
    expect(res.status, JSON.stringify(res.body)).toBe(201);
  }
}

/**
 * What someone with the database owner's rights could do: switch the append-only triggers off for one
 * transaction (DDL is transactional, so nobody else ever sees them off), change rows, switch them on.
 */
async function asOwnerBypassingTheGuard(t: TestApp, statement: ReturnType<typeof sql>): Promise<void> {
  await t.database.db.transaction(async (tx) => {
    await tx.execute(sql`alter table audit_events disable trigger user`);
    await tx.execute(statement);
    await tx.execute(sql`alter table audit_events enable trigger user`);
  });
}

const verify = async (t: TestApp) => {
  const res = await t.api.get('/v1/audit-events/verify').set(bearer(t.auditor));
  expect(res.status).toBe(200);
  return res.body as {
    valid: boolean;
    eventsChecked: number;
    headSeq: number | null;
    headHash: string | null;
    firstInvalidSeq: number | null;
  };
};

describeDb('tamper evidence', () => {
  const files = scratchDir();
  afterAll(() => files.cleanup());

  describe('the database itself refuses to change history', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await createTestApp();
      await someHistory(t);
    });
    afterAll(() => t?.close());

    it.each([
      ['UPDATE', sql`update audit_events set data = '{}'::jsonb where seq = 2`],
      ['UPDATE of every row', sql`update audit_events set action = action`],
      ['DELETE', sql`delete from audit_events where seq = 5`],
      ['TRUNCATE', sql`truncate audit_events`],
    ])('%s is rejected', async (_name, statement) => {
      const error = await t.database.db.execute(statement).then(
        () => null,
        (e: unknown) => e,
      );
      expect(error, 'the statement succeeded').not.toBeNull();
      expect(sqlState(error)).toBe('42501');
      expect(String((error as { cause?: unknown }).cause ?? error)).toMatch(/append-only/);
      expect(await verify(t)).toMatchObject({ valid: true, eventsChecked: 5, firstInvalidSeq: null });
    });
  });

  describe('an event edited around the guard', () => {
    let t: TestApp;
    let before: Awaited<ReturnType<typeof verify>>;
    beforeAll(async () => {
      t = await createTestApp();
      await someHistory(t);
      before = await verify(t);
      expect(before).toMatchObject({ valid: true, eventsChecked: 5, headSeq: 5 });
      // seq 3 is the depot: its country changes, its stored hashes do not.
      await asOwnerBypassingTheGuard(
        t,
        sql`update audit_events set data = jsonb_set(data::jsonb, '{country}', '"FR"') where seq = 3`,
      );
    });
    afterAll(() => t?.close());

    it('the triggers are back on afterwards', async () => {
      const error = await t.database.db.execute(sql`delete from audit_events where seq = 5`).catch((e) => e);
      expect(sqlState(error)).toBe('42501');
    });

    it('GET /audit-events/verify names the first edited seq', async () => {
      expect(await verify(t)).toEqual({
        valid: false,
        eventsChecked: 5,
        headSeq: 5,
        // The stored hashes were left alone, so the head still reads the same: only recomputing
        // the hashes from the data shows the edit.
        headHash: before.headHash,
        firstInvalidSeq: 3,
      });
    });

    it('the offline verifier, on an export fetched from the API, names the same seq', async () => {
      const exported = await download(t, '/v1/audit-events/export?format=ndjson', t.auditor);
      expect(exported.status).toBe(200);
      expect(JSON.parse(exported.text.split('\n')[2]!).data.country).toBe('FR');
      const cli = await runVerifyExport(['--json', files.write('edited.ndjson', exported.text)]);
      expect(cli.code, cli.stderr).toBe(1);
      expect(JSON.parse(cli.stdout)).toMatchObject({ valid: false, eventsChecked: 5, firstInvalidSeq: 3 });

      // A slice that starts after the edit is anchored on its own first prevHash (the stored hash of
      // seq 3), so on its own it looks intact: that is why full exports, or the head, are compared.
      const after = await download(t, '/v1/audit-events/export?fromSeq=4', t.auditor);
      const sliced = await runVerifyExport(['-'], after.text);
      expect(sliced.code).toBe(0);
      expect(sliced.stdout).toContain('a slice starting at seq 4');
      const across = await download(t, '/v1/audit-events/export?fromSeq=2&toSeq=4', t.auditor);
      const spanning = await runVerifyExport(['-'], across.text);
      expect(spanning.code).toBe(1);
      expect(spanning.stdout).toContain('result:     BROKEN, first invalid seq 3');
    });
  });

  describe('the last event deleted around the guard', () => {
    let t: TestApp;
    let recorded: Awaited<ReturnType<typeof verify>>;
    beforeAll(async () => {
      t = await createTestApp();
      await someHistory(t);
      // What an auditor keeps from the last review: the head seq and hash.
      recorded = await verify(t);
      expect(recorded).toMatchObject({ valid: true, eventsChecked: 5, headSeq: 5, firstInvalidSeq: null });
      await asOwnerBypassingTheGuard(t, sql`delete from audit_events where seq = 5`);
    });
    afterAll(() => t?.close());

    it('verify reports the head past the last event, and a head hash that is not the recorded one', async () => {
      const now = await verify(t);
      expect(now).toEqual({
        valid: false,
        eventsChecked: 4,
        headSeq: 4,
        headHash: expect.any(String),
        firstInvalidSeq: 5,
      });
      expect(now.headHash).not.toBe(recorded.headHash);
    });

    it('the remaining events still chain, so only the recorded head shows the cut offline', async () => {
      const exported = await download(t, '/v1/audit-events/export', t.auditor);
      const path = files.write('cut.ndjson', exported.text);
      const plain = await runVerifyExport([path]);
      expect(plain.code).toBe(0);
      expect(plain.stdout).toContain('head seq:   4');
      const against = await runVerifyExport(['--expect-head', recorded.headHash!, path]);
      expect(against.code).toBe(1);
      expect(against.stdout).toContain(`HEAD MISMATCH, expected head hash ${recorded.headHash}`);
    });
  });

  describe('events deleted from the start or the middle', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await createTestApp();
      await someHistory(t);
    });
    afterAll(() => t?.close());

    it('a missing middle event breaks the chain at its seq', async () => {
      await asOwnerBypassingTheGuard(t, sql`delete from audit_events where seq = 3`);
      expect(await verify(t)).toMatchObject({ valid: false, eventsChecked: 4, firstInvalidSeq: 3 });
    });

    it('a missing first event breaks the chain at seq 1', async () => {
      await asOwnerBypassingTheGuard(t, sql`delete from audit_events where seq = 1`);
      expect(await verify(t)).toMatchObject({ valid: false, eventsChecked: 3, firstInvalidSeq: 1 });
    });
  });

  describe('an event inserted without advancing the head', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await createTestApp();
      await someHistory(t);
    });
    afterAll(() => t?.close());

    it('is reported even though its own hash is well formed', async () => {
      const head = await verify(t);
      // INSERT is what append-only allows, and the hash needs no secret: a forger can chain a new
      // event correctly. Only the head, which every real append advances in the same transaction,
      // tells it apart.
      const body = {
        seq: 6,
        occurredAt: '2026-01-01T00:00:00.000Z',
        actor: { sub: 'intruder', role: 'admin', companyId: null },
        action: 'company.created',
        entityType: 'company',
        entityId: '00000000-0000-4000-8000-000000000000',
        data: { name: 'Shell Co' },
        requestId: 'forged',
      };
      const hash = chainHash(head.headHash!, body);
      await t.database.db.execute(sql`
        insert into audit_events (seq, occurred_at, actor, action, entity_type, entity_id, data, request_id, prev_hash, hash)
        values (6, ${body.occurredAt}::timestamptz, ${JSON.stringify(body.actor)}::jsonb, ${body.action}, ${body.entityType},
                ${body.entityId}, ${JSON.stringify(body.data)}::jsonb, ${body.requestId}, ${head.headHash}, ${hash})`);
      expect(await verify(t)).toEqual({ ...head, valid: false, firstInvalidSeq: 6 });
    });
  });
});
