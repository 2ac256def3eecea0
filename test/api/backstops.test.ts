import { randomUUID } from 'node:crypto';
import { type SQL, sql } from 'drizzle-orm';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { sqlState } from '../../src/db/transaction.js';
import { bearer, createTestApp, type TestApp } from '../helpers/app.js';
import { describeDb } from '../helpers/database.js';
import { type Reserve, setupReserve } from '../helpers/factories.js';

/**
 * The database's own backstops (issue 13, item 6): the inventory ledger is append-only like the audit
 * log, and the references the services always respect are enforced by foreign keys too, so a bug or a
 * hand-written statement fails loudly instead of rewriting history or pointing nowhere.
 */
describeDb('database backstops', () => {
  let t: TestApp;
  let reserve: Reserve;
  let drawId: string;

  beforeAll(async () => {
    t = await createTestApp();
    reserve = await setupReserve(t, { lots: [{ quantity: '100' }] });
    const draw = await t.api
      .post('/v1/draws')
      .set(bearer(reserve.company))
      .send({ mineralCode: reserve.mineralCode, quantity: '5' });
    expect(draw.status, JSON.stringify(draw.body)).toBe(201);
    drawId = draw.body.id;
  });
  afterAll(() => t?.close());

  const failure = (statement: SQL) =>
    t.database.db.execute(statement).then(
      () => null,
      (error: unknown) => error,
    );

  it.each([
    ['UPDATE', sql`update stock_movements set quantity = quantity + 1`],
    ['DELETE', sql`delete from stock_movements`],
    ['TRUNCATE', sql`truncate stock_movements`],
  ])('the ledger rejects %s', async (_name, statement) => {
    const error = await failure(statement);
    expect(error, 'the statement succeeded').not.toBeNull();
    expect(sqlState(error)).toBe('42501');
    expect(String((error as { cause?: unknown }).cause ?? error)).toMatch(/stock_movements is append-only/);
    const rows = await t.database.db.execute(sql`select count(*)::int as n from stock_movements`);
    const n = (Array.isArray(rows) ? rows : (rows as unknown as { rows: { n: number }[] }).rows)[0] as {
      n: number;
    };
    expect(n.n).toBe(1); // the receipt of the one lot, untouched
  });

  it.each([
    [
      'a ledger row for a depot that does not exist',
      () => sql`insert into stock_movements (at, mineral_code, depot_id, lot_id, kind, quantity, balance_after)
        values (now(), ${reserve.mineralCode}, ${randomUUID()}, ${reserve.lotIds[0]}, 'adjustment', 1, 101)`,
    ],
    [
      'a draw from a depot that does not exist',
      () => sql`update draws set depot_id = ${randomUUID()} where id = ${drawId}`,
    ],
    [
      'a draw pointing at an obligation that does not exist',
      () => sql`update draws set obligation_id = ${randomUUID()} where id = ${drawId}`,
    ],
  ])('a foreign key refuses %s', async (_name, statement) => {
    expect(sqlState(await failure(statement()))).toBe('23503'); // foreign_key_violation
  });

  it('still accepts what the services write', async () => {
    const ok = await t.database.db.execute(
      sql`update draws set depot_id = ${reserve.depotId} where id = ${drawId}`,
    );
    expect(ok).toBeDefined();
  });
});
