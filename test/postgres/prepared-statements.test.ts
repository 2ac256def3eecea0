import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { inTransaction } from '../../src/db/transaction.js';
import type { Db } from '../../src/db/types.js';
import { findDraw, readSubmission } from '../../src/modules/draws/draws.repository.js';
import { lockMineral } from '../../src/modules/minerals/minerals.repository.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { describeDb } from '../helpers/database.js';
import { type Reserve, setupReserve } from '../helpers/factories.js';

/**
 * Their reason to be: on PostgreSQL the hot statements and the per-request reads (src/db/prepared.ts
 * `runPrepared`) run as server-side prepared statements, described once per
 * connection and then one pipelinable round trip each, instead of a describe before every execution.
 * (PGlite runs in process: nothing to prepare, so this is PostgreSQL's project only.)
 */
describeDb('prepared statements on PostgreSQL', () => {
  let t: TestApp;
  let r: Reserve;
  beforeAll(async () => {
    t = await createTestApp();
    r = await setupReserve(t, { lots: [{ quantity: '250.5' }] });
  });
  afterAll(() => t?.close());

  const preparedOn = async (tx: Db) => {
    const rows = (await tx.execute(sql`select statement from pg_prepared_statements`)) as unknown;
    return (rows as { statement: string }[]).map((row) => row.statement);
  };

  it('holds the hot statements and the per-request reads on the connection that ran them', async () => {
    const prepared = await inTransaction(t.database.db, async (tx) => {
      await lockMineral(tx, r.mineralCode);
      await readSubmission(tx, r.companyId, r.mineralCode, undefined, t.clock.now());
      await findDraw(tx, '00000000-0000-4000-8000-000000000000');
      return preparedOn(tx);
    });
    expect(prepared.some((s) => /from "minerals" where .* for update$/.test(s))).toBe(true);
    expect(prepared.some((s) => s.includes('left join "disruption_minerals"'))).toBe(true);
    expect(prepared.some((s) => /^select .* from "draws" where "draws"\."id" = \$1$/.test(s))).toBe(true);
  });
});
