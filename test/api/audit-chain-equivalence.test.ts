import { Readable } from 'node:stream';
import { sql } from 'drizzle-orm';
import fc from 'fast-check';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  type AuditEvent,
  type AuditEventBody,
  canonicalEvent,
  chainHash,
  GENESIS_HASH,
} from '../../src/modules/audit/audit.chain.js';
import { verifyNdjsonExport } from '../../src/modules/audit/audit.offline.js';
import { listEvents } from '../../src/modules/audit/audit.repository.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { describeDb } from '../helpers/database.js';

/**
 * One meaning of "a valid chain": the live verification (SQL stretches in the database, the JavaScript
 * fallback for non-canonical text, `ChainVerifier` to combine them) and the offline one (`ChainVerifier`
 * over parsed events) must report the same validity and the same first invalid seq on random chains
 * with random tampering — a value edited, an event deleted, two events reordered, an event inserted, a
 * tail rewritten consistently, text rewritten with the same values — each done the way someone with the
 * database owner's rights would, behind the append-only triggers, with the head left as recorded.
 */
type Tamper =
  | { kind: 'edit' | 'delete' | 'swap' | 'insert' | 'rewrite-tail' | 'reformat'; at: number }
  | { kind: 'none' };

const tamper: fc.Arbitrary<Tamper> = fc.oneof(
  fc.constant({ kind: 'none' as const }),
  fc.record({
    kind: fc.constantFrom('edit', 'delete', 'swap', 'insert', 'rewrite-tail', 'reformat') as fc.Arbitrary<
      'edit' | 'delete' | 'swap' | 'insert' | 'rewrite-tail' | 'reformat'
    >,
    at: fc.nat(),
  }),
);

/** A stored row: an event plus whether its JSON text is stored non-canonically (same values). */
type Row = AuditEvent & { reformatted?: boolean };

function validChain(names: string[]): Row[] {
  const rows: Row[] = [];
  let prevHash = GENESIS_HASH;
  names.forEach((name, i) => {
    const body: AuditEventBody = {
      seq: i + 1,
      occurredAt: new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString(),
      actor: { sub: `admin "${i}"`, role: 'admin', companyId: null },
      action: 'depot.created',
      entityType: 'depot',
      entityId: `d-${i}`,
      data: { name, n: i },
      requestId: `req-${i}`,
    };
    const hash = chainHash(prevHash, body);
    rows.push({ ...body, prevHash, hash });
    prevHash = hash;
  });
  return rows;
}

/** Gives the rows from index `from` on consecutive seqs starting at `base` (the seq that slot held). */
const renumber = (rows: Row[], from: number, base: number) =>
  rows.map((r, i) => (i >= from ? { ...r, seq: base + (i - from) } : r));

function apply(rows: Row[], t: Tamper): Row[] {
  if (t.kind === 'none' || rows.length === 0) return rows;
  const k = t.at % rows.length;
  const out = rows.map((r) => ({ ...r }));
  switch (t.kind) {
    case 'edit':
      out[k] = { ...out[k]!, data: { name: 'forged', n: -1 } };
      return out;
    case 'reformat':
      out[k] = { ...out[k]!, reformatted: true };
      return out;
    case 'delete':
      return out.filter((_, i) => i !== k);
    case 'swap': {
      if (out.length < 2) return out;
      const j = k === out.length - 1 ? k - 1 : k;
      const base = out[j]!.seq;
      [out[j], out[j + 1]] = [out[j + 1]!, out[j]!];
      return renumber(out, j, base);
    }
    case 'insert': {
      const prevHash = k === 0 ? GENESIS_HASH : out[k - 1]!.hash;
      const body = { ...out[k]!, data: { name: 'inserted', n: 99 } };
      const forged: Row = { ...body, prevHash, hash: chainHash(prevHash, body) };
      return renumber([...out.slice(0, k), forged, ...out.slice(k)], k, out[k]!.seq);
    }
    case 'rewrite-tail': {
      // A forger who edits an event and rehashes everything after it: only the recorded head tells.
      out[k] = { ...out[k]!, data: { name: 'rewritten', n: -2 } };
      for (let i = k; i < out.length; i++) {
        const prevHash = i === 0 ? GENESIS_HASH : out[i - 1]!.hash;
        out[i] = { ...out[i]!, prevHash, hash: chainHash(prevHash, out[i]!) };
      }
      return out;
    }
  }
}

describeDb('live and offline verification agree', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t?.close());

  /** Replaces the whole log with `rows`, behind the triggers, and sets the head as recorded. */
  async function store(rows: Row[], head: { seq: number; hash: string }) {
    await t.database.db.transaction(async (tx) => {
      await tx.execute(sql`alter table audit_events disable trigger user`);
      await tx.execute(sql`delete from audit_events`);
      for (const r of rows) {
        const canonical = canonicalEvent(r);
        // jsonb's text has the same values in a different byte form (spaces, key order).
        const json = (text: string) => (r.reformatted ? sql`${text}::jsonb::json` : sql`${text}::json`);
        await tx.execute(sql`
          insert into audit_events (seq, occurred_at, actor, action, entity_type, entity_id, data, request_id, prev_hash, hash)
          values (${r.seq}, ${r.occurredAt}::timestamptz, ${json(canonical.actor)}, ${r.action}, ${r.entityType},
                  ${r.entityId}, ${json(canonical.data ?? 'null')}, ${r.requestId}, ${r.prevHash}, ${r.hash})`);
      }
      await tx.execute(sql`alter table audit_events enable trigger user`);
      await tx.execute(sql`update audit_head set seq = ${head.seq}, hash = ${head.hash} where id = 1`);
    });
  }

  it('on random chains with random tampering (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        // Any text the API would store: PostgreSQL cannot hold U+0000 in json(b) or text (and the API
        // refuses control characters), so a name holding it is not a chain that can exist.
        fc.array(
          fc.string({ unit: 'binary', maxLength: 8 }).filter((name) => !name.includes('\u0000')),
          { minLength: 1, maxLength: 7 },
        ),
        fc.array(tamper, { minLength: 1, maxLength: 2 }),
        async (names, tampers) => {
          const original = validChain(names);
          const head = { seq: original.length, hash: original[original.length - 1]!.hash };
          const stored = tampers.reduce(apply, original);
          await store(stored, head);

          const online = await t.app.services.audit.verify();
          const events = await listEvents(t.database.db, {}, 1_000);
          const offline = await verifyNdjsonExport(
            Readable.from([events.map((e) => JSON.stringify(e)).join('\n')]),
            { head, fromGenesis: true },
          );
          expect({ valid: online.valid, firstInvalidSeq: online.firstInvalidSeq }).toEqual({
            valid: offline.valid,
            firstInvalidSeq: offline.firstInvalidSeq,
          });
          // Same values in other bytes are no tampering; everything else is caught.
          const changed = stored.some(
            (r, i) =>
              r.seq !== original[i]?.seq || r.hash !== original[i]?.hash || r.data !== original[i]?.data,
          );
          expect(online.valid).toBe(!changed && stored.length === original.length);
        },
      ),
      {
        numRuns: 80,
        // Cases that once told the two apart: a forged event at the head's seq with the original
        // pushed beyond the head, and an edit the live check first skipped.
        examples: [
          [
            ['', '', '', ''],
            [
              { kind: 'delete', at: 0 },
              { kind: 'swap', at: 5674 },
            ],
          ],
          [[''], [{ kind: 'insert', at: 0 }]],
          [[''], [{ kind: 'edit', at: 0 }]],
          [
            ['a', 'b', 'c'],
            [
              { kind: 'rewrite-tail', at: 1 },
              { kind: 'delete', at: 2 },
            ],
          ],
        ],
      },
    );
  }, 300_000);
});
