import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { inTransaction } from '../../src/db/transaction.js';
import { agreements } from '../../src/modules/agreements/agreements.table.js';
import { readSubmission } from '../../src/modules/draws/draws.repository.js';
import { findMineral, lockMineral, setReserved } from '../../src/modules/minerals/minerals.repository.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { describeDb } from '../helpers/database.js';
import { newCompany, type Reserve, setupReserve } from '../helpers/factories.js';

/**
 * The hot statements (src/db/prepared.ts) are hand-rendered SQL decoded by the repositories: they
 * must give exactly what drizzle's own queries give, on both drivers. That PostgreSQL runs them as
 * server-side prepared statements is checked in test/postgres/prepared-statements.test.ts.
 */
/** Thrown to roll a transaction back. */
class Undo extends Error {}

describeDb('hot statements', () => {
  let t: TestApp;
  let r: Reserve;

  beforeAll(async () => {
    t = await createTestApp();
    r = await setupReserve(t, { lots: [{ quantity: '250.5' }] });
  });
  afterAll(() => t.close());

  it('decode a locked or updated mineral exactly as a drizzle select does', async () => {
    const expected = await findMineral(t.database.db, r.mineralCode);
    expect(expected?.createdAt).toBeInstanceOf(Date);
    await inTransaction(t.database.db, async (tx) => {
      expect(await lockMineral(tx, r.mineralCode)).toEqual(expected);
      expect(await lockMineral(tx, 'NO_SUCH_MINERAL')).toBeUndefined();
      const updated = await setReserved(tx, r.mineralCode, '1.5');
      expect(updated).toEqual({ ...expected, reserved: '1.500' });
      expect(updated).toEqual(await findMineral(tx, r.mineralCode));
      throw new Undo();
    }).catch((error: unknown) => {
      if (!(error instanceof Undo)) throw error;
    });
  });

  it('read a submission with its agreement as drizzle reads the agreement, and without one', async () => {
    const [agreement] = await t.database.db.select().from(agreements).where(eq(agreements.id, r.agreementId));
    const now = t.clock.now();
    const submission = await readSubmission(t.database.db, r.companyId, r.mineralCode, r.depotId, now);
    expect(submission).toEqual({
      companyStatus: 'active',
      agreement,
      depotId: r.depotId,
      hasOverdueObligation: false,
      held: '0',
      queued: '0',
      outstanding: '0',
      disruptionId: null,
      disruptionLevel: null,
      marketPrice: null,
    });
    const unknownDepot = '00000000-0000-4000-8000-000000000000';
    const other = await newCompany(t);
    expect(await readSubmission(t.database.db, other, r.mineralCode, unknownDepot, now)).toMatchObject({
      agreement: null,
      depotId: null,
    });
    expect(await readSubmission(t.database.db, other, r.mineralCode, undefined, now)).toMatchObject({
      depotId: null,
    });
    expect(await readSubmission(t.database.db, unknownDepot, r.mineralCode, undefined, now)).toBeUndefined();
  });
});
