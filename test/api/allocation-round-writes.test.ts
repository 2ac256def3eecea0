import canonicalize from 'canonicalize';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { inTransaction } from '../../src/db/transaction.js';
import type { Db } from '../../src/db/types.js';
import { canonicalEvent, closeCanonicalEvent, hashCanonical } from '../../src/modules/audit/audit.chain.js';
import {
  type AuditEntry,
  appendEvents,
  appendPrepared,
  prepareEvents,
} from '../../src/modules/audit/audit.repository.js';
import { bearer, createTestApp, type TestApp } from '../helpers/app.js';
import { declare, draw, member, round } from '../helpers/crisis.js';
import { describeDb, onPostgres } from '../helpers/database.js';
import { auditEventsAfter, setupReserve } from '../helpers/factories.js';

const rowsOf = (result: unknown) =>
  (Array.isArray(result) ? result : (result as { rows: unknown[] }).rows) as Record<string, unknown>[];

/** The stored rows after `afterSeq`, with `actor` and `data` as their stored text. */
async function storedAfter(db: Db, afterSeq: number) {
  return rowsOf(
    await db.execute(sql`select seq::int as seq, actor::text as actor, data::text as data, action, entity_id,
        prev_hash, hash from audit_events where seq > ${afterSeq} order by seq`),
  );
}

const headSeq = async (db: Db) =>
  Number(rowsOf(await db.execute(sql`select seq::int as seq from audit_head`))[0]!.seq);

/**
 * The round's writes are pipelined and its events canonicalised before the head's lock; what lands in
 * the database must be what the one-call-per-batch appender wrote: the same bytes, the same chain.
 */
describeDb('allocation round writes', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t?.close());

  const ctx = {
    actor: { sub: 'writes-test', role: 'admin' as const, companyId: null },
    requestId: 'req "quoted" \\ \u00e9',
  };
  const entry = (i: number): AuditEntry => ({
    action: i % 2 ? 'draw.allocated' : 'draw.rejected',
    entityType: 'draw',
    entityId: `d-${i}`,
    data: { n: i, text: `line, "quoted" \\ ${'x'.repeat(i)}`, nested: { b: [1, 'two', null], a: true } },
  });

  it('appends prepared batches as one chain, each event stored as its canonical text', async () => {
    const db = t.database.db;
    const at = new Date('2026-11-30T12:34:56.789Z');
    const before = await headSeq(db);
    const batches = [[entry(0)], [entry(1), entry(2), entry(3)], [], [entry(4), entry(5)]];
    const links = await inTransaction(db, (tx) =>
      appendPrepared(
        tx,
        batches.map((b) => prepareEvents(ctx, at, b)),
      ),
    );
    const entries = batches.flat();
    expect(links.map((l) => l.seq)).toEqual(entries.map((_, i) => before + i + 1));
    const stored = await storedAfter(db, before);
    expect(stored).toHaveLength(entries.length);
    let prev = stored[0]!.prev_hash as string;
    stored.forEach((row, i) => {
      const body = {
        seq: before + i + 1,
        occurredAt: at.toISOString(),
        actor: ctx.actor,
        requestId: ctx.requestId,
        ...entries[i]!,
      };
      // Independent of the appender: the contract's definition, with the reference JCS.
      expect(row.actor).toBe(canonicalize(ctx.actor));
      expect(row.data).toBe(canonicalize(entries[i]!.data));
      expect(row.prev_hash).toBe(prev);
      expect(row.hash).toBe(hashCanonical(prev, canonicalize(body) as string));
      expect(links[i]).toEqual({ seq: body.seq, prevHash: prev, hash: row.hash });
      prev = row.hash as string;
    });
    // The single-call appender, used by every other write, continues the same chain.
    const [next] = await inTransaction(db, (tx) => appendEvents(tx, ctx, at, [entry(6)]));
    expect(next).toMatchObject({ seq: before + entries.length + 1, prevHash: prev });
    const verify = await t.api.get('/v1/audit-events/verify').set(bearer(t.auditor));
    expect(verify.body).toMatchObject({ valid: true, firstInvalidSeq: null });
  });

  it('stores request ids and texts that read like a null mark or hold separators as they are', async () => {
    const db = t.database.db;
    const before = await headSeq(db);
    // Printable request ids are accepted from X-Request-Id: `\N` is COPY's null mark, and commas
    // separated the set-based writes' other columns.
    const odd = { ...ctx, requestId: '\\N' };
    const entries = [
      { action: 'draw.allocated', entityType: 'draw', entityId: 'd-n', data: { text: '\\N', list: 'a,b' } },
      { action: 'draw.allocated', entityType: 'draw', entityId: 'd-m', data: { text: '' } },
    ];
    await inTransaction(db, (tx) => appendPrepared(tx, [prepareEvents(odd, new Date(), entries)]));
    const stored = rowsOf(
      await db.execute(
        sql`select request_id, data::text as data from audit_events where seq > ${before} order by seq`,
      ),
    );
    expect(stored).toEqual([
      { request_id: '\\N', data: canonicalize(entries[0]!.data) },
      { request_id: '\\N', data: canonicalize(entries[1]!.data) },
    ]);
  });

  it('an opened body closes to the canonical body, with or without seq', () => {
    const body = {
      seq: 42,
      occurredAt: '2026-11-30T00:00:00.000Z',
      actor: ctx.actor,
      requestId: 'r',
      ...entry(3),
    };
    const { seq, ...open } = body;
    const [prepared] = prepareEvents(ctx, new Date(body.occurredAt), [entry(3)]);
    expect(closeCanonicalEvent(prepared!.open, seq)).toBe(
      canonicalize({ ...open, requestId: ctx.requestId, seq }),
    );
    expect(canonicalEvent(body).body).toBe(canonicalize(body));
    const noSeq = { ...body, seq: undefined as unknown as number };
    expect(canonicalEvent(noSeq).body).toBe(canonicalize(noSeq));
  });

  it("a round's events are stored as their canonical text and chain like any other", async () => {
    const r = await setupReserve(t, { lots: [{ quantity: '100' }] });
    const code = r.mineralCode;
    const members = [
      await member(t, code, { priorityClass: 'DX', maxOutstanding: '40' }),
      await member(t, code, { priorityClass: 'DO', maxOutstanding: '60' }),
      await member(t, code, { maxOutstanding: '90' }),
    ];
    await declare(t, [code], 'emergency');
    const draws = [];
    for (const [i, m] of members.entries()) {
      draws.push(await draw(t, m, code, String(30 + i * 20)));
      t.clock.advance(1000);
    }
    const before = await headSeq(t.database.db);
    const res = await round(t, { mineralCode: code });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    const events = await auditEventsAfter(t, before);
    expect(events.map((e) => e.action)).toEqual([
      'allocation_round.completed',
      ...res.body.allocations.map((a: { allocated: string }) =>
        a.allocated === '0' ? 'draw.rejected' : 'draw.allocated',
      ),
    ]);
    const stored = await storedAfter(t.database.db, before);
    stored.forEach((row, i) => {
      const { prevHash, hash, ...body } = events[i]!;
      expect(row.data).toBe(canonicalize(body.data));
      expect(row.hash).toBe(hashCanonical(prevHash, canonicalize(body) as string));
      expect(row.hash).toBe(hash);
    });
    const verify = await t.api.get('/v1/audit-events/verify').set(bearer(t.auditor));
    expect(verify.body).toMatchObject({ valid: true, firstInvalidSeq: null });
  });

  it('stores audit data and round allocations with lz4 where the server has it (PostgreSQL), the default elsewhere (PGlite)', async () => {
    const columns = rowsOf(
      await t.database.db.execute(sql`select attrelid::regclass::text as "table", attcompression::text as method
        from pg_attribute
        where (attrelid, attname) in (('audit_events'::regclass, 'data'), ('allocation_rounds'::regclass, 'allocations'))
        order by 1`),
    );
    const method = onPostgres ? 'l' : '';
    expect(columns).toEqual([
      { table: 'allocation_rounds', method },
      { table: 'audit_events', method },
    ]);
  });

  it('holds both hashes to 64 lowercase hex digits (the check migration 0009 rewrote)', async () => {
    const db = t.database.db;
    const good = 'a'.repeat(64);
    const insert = (prevHash: string, hash: string) =>
      db.execute(sql`insert into audit_events
          (seq, occurred_at, actor, action, entity_type, entity_id, data, request_id, prev_hash, hash)
        values (900000000, now(), '{}', 'test.check', 'test', 'x', '{}', 'r', ${prevHash}, ${hash})`);
    for (const bad of [
      'A'.repeat(64),
      'a'.repeat(63),
      'a'.repeat(65),
      `${'a'.repeat(63)}g`,
      `${'a'.repeat(63)}\n`,
      '',
    ]) {
      for (const [prevHash, hash] of [
        [good, bad],
        [bad, good],
      ] as const) {
        const error = await insert(prevHash, hash).then(
          () => null,
          (e: unknown) => e,
        );
        expect(JSON.stringify(error ?? null), `${prevHash} / ${hash}`).toMatch(
          /audit_events_hashes_hex|23514/,
        );
      }
    }
    // A valid pair passes the check (rolled back: it would break the chain).
    const rollback = new Error('rollback');
    await expect(
      inTransaction(db, async (tx) => {
        await tx.execute(sql`insert into audit_events
            (seq, occurred_at, actor, action, entity_type, entity_id, data, request_id, prev_hash, hash)
          values (900000000, now(), '{}', 'test.check', 'test', 'x', '{}', 'r', ${good}, ${'0123456789abcdef'.repeat(4)})`);
        throw rollback;
      }),
    ).rejects.toBe(rollback);
  });
});
