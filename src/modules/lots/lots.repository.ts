import { and, asc, desc, eq, gt, sql } from 'drizzle-orm';
import { afterCursor, type CreationCursor } from '../../db/pagination.js';
import type { Db } from '../../db/types.js';
import { minerals } from '../minerals/minerals.table.js';
import { type LotAdjustmentRow, type LotRow, lotAdjustments, lots, stockMovements } from './lots.table.js';

export async function findLot(db: Db, id: string): Promise<LotRow | undefined> {
  const [row] = await db.select().from(lots).where(eq(lots.id, id));
  return row;
}

export async function lockLot(db: Db, id: string): Promise<LotRow | undefined> {
  const [row] = await db.select().from(lots).where(eq(lots.id, id)).for('update');
  return row;
}

/** Locks every lot of a mineral that still holds stock, in id order (lock order step 4). */
export function lockStockedLots(db: Db, mineralCode: string): Promise<LotRow[]> {
  return db
    .select()
    .from(lots)
    .where(and(eq(lots.mineralCode, mineralCode), gt(lots.quantityOnHand, '0')))
    .orderBy(asc(lots.id))
    .for('update');
}

export async function insertLot(db: Db, row: LotRow): Promise<LotRow> {
  const [inserted] = await db.insert(lots).values(row).returning();
  return inserted!;
}

export async function setLotOnHand(db: Db, id: string, quantityOnHand: string): Promise<void> {
  await db.update(lots).set({ quantityOnHand }).where(eq(lots.id, id));
}

/**
 * Takes stock out of several lots in ONE statement (a fulfilment's allocations, however many): the
 * quantities travel as one JSON parameter and are subtracted in SQL. The lots are locked already (lock
 * order step 4); `lots_quantity_on_hand_check` refuses a lot taken below zero.
 */
export async function takeFromLots(
  db: Db,
  takes: readonly { lotId: string; quantity: string }[],
): Promise<void> {
  if (takes.length === 0) return;
  await db
    .update(lots)
    .set({ quantityOnHand: sql`${lots.quantityOnHand} - taken.quantity` })
    .from(sql`json_to_recordset(${JSON.stringify(takes)}::json) as taken("lotId" uuid, quantity numeric)`)
    .where(sql`${lots.id} = taken."lotId"`);
}

export async function insertAdjustment(db: Db, row: LotAdjustmentRow): Promise<LotAdjustmentRow> {
  const [inserted] = await db.insert(lotAdjustments).values(row).returning();
  return inserted!;
}

export type NewMovement = Omit<typeof stockMovements.$inferInsert, 'seq'>;

/** Ledger rows, written in the transaction of the movement they record. */
export async function recordMovements(db: Db, movements: NewMovement[]): Promise<void> {
  if (movements.length > 0) await db.insert(stockMovements).values(movements);
}

export function listLots(
  db: Db,
  filter: { mineralCode?: string; depotId?: string },
  cursor: CreationCursor | undefined,
  limit: number,
): Promise<LotRow[]> {
  return db
    .select()
    .from(lots)
    .where(
      and(
        filter.mineralCode ? eq(lots.mineralCode, filter.mineralCode) : undefined,
        filter.depotId ? eq(lots.depotId, filter.depotId) : undefined,
        afterCursor(lots.createdAt, lots.id, cursor),
      ),
    )
    .orderBy(asc(lots.createdAt), asc(lots.id))
    .limit(limit + 1);
}

/**
 * A mineral's on-hand stock by lot origin, countries with stock only, largest first (ties: country
 * code), in one statement that also tells whether the mineral exists: no rows → unknown mineral, one
 * row with a null country → a mineral without stock.
 */
export function onHandByOrigin(
  db: Db,
  mineralCode: string,
): Promise<{ originCountry: string | null; onHand: string | null }[]> {
  const onHand = sql<string | null>`sum(${lots.quantityOnHand})::text`;
  return db
    .select({ originCountry: lots.originCountry, onHand })
    .from(minerals)
    .leftJoin(lots, and(eq(lots.mineralCode, minerals.code), gt(lots.quantityOnHand, '0')))
    .where(eq(minerals.code, mineralCode))
    .groupBy(lots.originCountry)
    .orderBy(desc(sql`sum(${lots.quantityOnHand})`), asc(lots.originCountry));
}
