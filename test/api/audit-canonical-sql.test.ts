import { sql } from 'drizzle-orm';
import fc from 'fast-check';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { AuditEventBody } from '../../src/modules/audit/audit.chain.js';
import { canonicalEvent, hashCanonical } from '../../src/modules/audit/audit.chain.js';
import { checkChainStretch, eventLinesInSeqOrder } from '../../src/modules/audit/audit.repository.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { describeDb } from '../helpers/database.js';

/**
 * The database's rendering of the canonical body (derived from `CANONICAL_FIELDS` in
 * `audit.repository.ts`) against the JavaScript one (`canonicalEvent`, itself held equal to
 * `canonicalize(body)` in test/unit/audit.canonical.test.ts), over arbitrary events: quotes,
 * backslashes, every control character, non-BMP characters, U+2028/U+2029, odd JSON numbers. The
 * export line and the database's SHA-256 over the rebuilt text must agree byte for byte.
 */
const awkward = fc.oneof(
  fc.string({ unit: 'binary' }),
  fc.constantFrom('"', '\\', '\u0001\u001f\u007f', '\b\f\n\r\t', '😀 \u2028\u2029 é', '', '</script>'),
);
/** Text columns cannot hold NUL (JSON text can, escaped). */
const text = awkward.map((s) => s.replaceAll('\u0000', ''));
/** The shapes the audit table's CHECK constraints allow (they need no JSON escaping). */
const word = fc.stringMatching(/^[a-z_]{1,12}$/);
const body = fc.record({
  occurredAt: fc
    .date({
      min: new Date('1000-01-01T00:00:00Z'),
      max: new Date('9999-12-31T23:59:59Z'),
      noInvalidDate: true,
    })
    .map((d) => d.toISOString()),
  actor: fc.record({
    sub: awkward,
    role: fc.constantFrom('admin', 'company', 'auditor'),
    companyId: fc.option(fc.uuid(), { nil: null }),
  }),
  action: fc.tuple(word, word).map(([a, b]) => `${a}.${b}`),
  entityType: word,
  entityId: fc.stringMatching(/^[A-Za-z0-9_-]{1,40}$/),
  data: fc.dictionary(awkward, fc.jsonValue({ stringUnit: 'binary' })),
  requestId: text,
});

describeDb('the database renders the canonical body as canonicalEvent does', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t?.close());

  it('for arbitrary events (property)', async () => {
    let seq = 0;
    await fc.assert(
      fc.asyncProperty(body, fc.integer({ min: 0, max: 2 ** 40 }), async (b, gap) => {
        seq += 1 + gap; // arbitrary, increasing seqs (a gapped chain: only the text matters here)
        const event: AuditEventBody = { ...b, seq };
        const canonical = canonicalEvent(event);
        const prevHash = 'a'.repeat(64);
        const hash = hashCanonical(prevHash, canonical.body);
        await t.database.db.execute(sql`
          insert into audit_events (seq, occurred_at, actor, action, entity_type, entity_id, data, request_id, prev_hash, hash)
          values (${seq}, ${event.occurredAt}::timestamptz, ${canonical.actor}::json, ${event.action},
                  ${event.entityType}, ${event.entityId}, ${canonical.data ?? 'null'}::json, ${event.requestId},
                  ${prevHash}, ${hash})`);
        const range = { fromSeq: seq, toSeq: seq };
        const result = await t.database.db.execute(eventLinesInSeqOrder(range).sql(seq - 1, 1));
        const rows = (Array.isArray(result) ? result : (result as unknown as { rows: unknown[] }).rows) as {
          line: string;
        }[];
        expect(rows[0]!.line).toBe(
          `${canonical.body.slice(0, -1)},"prevHash":"${prevHash}","hash":"${hash}"}`,
        );
        // SHA-256 in the database over its own rendering: the stored hash matches, no fallback needed.
        expect((await checkChainStretch(t.database.db, range)).unhashed).toEqual([]);
      }),
      { numRuns: 60 },
    );
  }, 120_000);
});
