import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { sqlState } from '../../src/db/transaction.js';
import { checkChainStretch } from '../../src/modules/audit/audit.repository.js';
import { bearer, createTestApp, type TestApp } from '../helpers/app.js';
import { expectIntactChain } from '../helpers/chain.js';
import { describeDb } from '../helpers/database.js';
import { download, ndjsonLines, runVerifyExport, scratchDir } from '../helpers/exports.js';
import { allAuditEvents, createCompany, createDepot, createMineral } from '../helpers/factories.js';

/**
 * The live verifier hashes the canonical body the database rebuilds from the columns (`json` text
 * spliced in, `to_json` escaping, `to_char` timestamps). These tests hold that text byte-equal to the
 * JCS of the event the API returns, for the strings most likely to differ, and show that a row whose
 * text is valid but not canonical is still judged by the contract's definition.
 */
// Names refuse control characters (tab and line breaks included) since the input rules were
// tightened, so every control character is covered where the API can no longer send it: by the
// property test over arbitrary events in audit-canonical-sql.test.ts.
const AWKWARD = [
  'Quote " backslash \\ slash / done',
  'Unicode: é 酸化物 😀 \u2028\u2029',
  "Solidus / and less-than < and ampersand & and apostrophe '",
];

describeDb('audit canonical text', () => {
  let t: TestApp;
  const files = scratchDir();

  beforeAll(async () => {
    t = await createTestApp();
    for (const name of AWKWARD) {
      await createCompany(t, { name });
      await createDepot(t, { name });
      t.clock.advance(1);
    }
    await createMineral(t, { name: AWKWARD.join(' | ') });
  });
  afterAll(async () => {
    await t?.close();
    files.cleanup();
  });

  /** The live verifier's database-side check over the whole log. */
  const stretch = () => checkChainStretch(t.database.db, { fromSeq: 1, toSeq: 1_000 });

  it('is rebuilt by the database byte for byte as the JCS the hash was computed over', async () => {
    const events = await allAuditEvents(t);
    expect(events.length).toBe(7);
    expectIntactChain(events);
    // Every stored hash matches SHA-256 of the text the database rebuilt: no event needed the
    // JavaScript fallback, whatever quotes, controls or non-BMP characters its strings hold.
    expect(await stretch()).toEqual({
      checked: 7,
      last: { seq: 7, hash: events[6]!.hash },
      firstUnlinked: null,
      unhashed: [],
    });
  });

  it('exports lines that parse to the listed events', async () => {
    const events = await allAuditEvents(t);
    const res = await download(t, '/v1/audit-events/export?format=ndjson', t.auditor);
    expect(res.status).toBe(200);
    expect(ndjsonLines(res.text)).toEqual(events);
  });

  it.each([
    ['a hash that is not lowercase hex', sql`'FORGED'`, sql`'{}'`],
    ['a raw line break in json whitespace', sql`repeat('0', 64)`, sql`E'{\n}'`],
  ])('the database refuses %s, which an export line could not carry', async (_, hash, data) => {
    const attempt = t.database.db.execute(sql`
      insert into audit_events (seq, occurred_at, actor, action, entity_type, entity_id, data, request_id, prev_hash, hash)
      values (1000, now(), '{}', 'company.created', 'company', 'x', ${data}, 'r', repeat('0', 64), ${hash})`);
    await expect(attempt).rejects.toThrow();
    await attempt.catch((error: unknown) => {
      expect(sqlState(error)).toBe('23514'); // check_violation
    });
  });

  it('judges a row rewritten with the same values in non-canonical text by its values', async () => {
    // jsonb's rendering reorders keys by length and adds spaces: same values, different bytes.
    await t.database.db.transaction(async (tx) => {
      await tx.execute(sql`alter table audit_events disable trigger user`);
      await tx.execute(sql`update audit_events set data = data::jsonb, actor = actor::jsonb where seq = 3`);
      await tx.execute(sql`alter table audit_events enable trigger user`);
    });
    expect((await stretch()).unhashed).toEqual([3]);

    const verify = await t.api.get('/v1/audit-events/verify').set(bearer(t.auditor));
    expect(verify.body).toMatchObject({ valid: true, eventsChecked: 7, firstInvalidSeq: null });
    const file = files.write(
      'rewritten.ndjson',
      (await download(t, '/v1/audit-events/export?format=ndjson', t.auditor)).text,
    );
    expect((await runVerifyExport([file])).code).toBe(0);
  });

  it('still pinpoints a row whose rewrite changed a value', async () => {
    await t.database.db.transaction(async (tx) => {
      await tx.execute(sql`alter table audit_events disable trigger user`);
      await tx.execute(
        sql`update audit_events set data = jsonb_set(data::jsonb, '{name}', '"Forged"') where seq = 5`,
      );
      await tx.execute(sql`alter table audit_events enable trigger user`);
    });
    const verify = await t.api.get('/v1/audit-events/verify').set(bearer(t.auditor));
    expect(verify.body).toMatchObject({ valid: false, eventsChecked: 7, firstInvalidSeq: 5 });
    const file = files.write(
      'forged.ndjson',
      (await download(t, '/v1/audit-events/export?format=ndjson', t.auditor)).text,
    );
    const offline = await runVerifyExport([file]);
    expect(offline.code).toBe(1);
    expect(offline.stdout).toMatch(/first invalid seq 5\b/);
  });
});
