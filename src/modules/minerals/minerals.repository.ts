import { and, asc, eq, inArray, sql } from 'drizzle-orm';
import { afterCursor, type CreationCursor } from '../../db/pagination.js';
import { statement } from '../../db/statement.js';
import type { Db } from '../../db/types.js';
import { marketPriceAt } from '../prices/prices.repository.js';
import { type MineralRow, minerals } from './minerals.table.js';

export async function findMineral(db: Db, code: string): Promise<MineralRow | undefined> {
  const [row] = await db.select().from(minerals).where(eq(minerals.code, code));
  return row;
}

const lockMineralRow = statement('lock_mineral', (db) =>
  db
    .select()
    .from(minerals)
    .where(eq(minerals.code, sql.placeholder('code')))
    .for('update'),
);

/** Locks the mineral row: the serialization point for its stock, holds and entitlements (lock order 2). */
export async function lockMineral(db: Db, code: string): Promise<MineralRow | undefined> {
  const [row] = await lockMineralRow(db, { code });
  return row;
}

export async function insertMineral(
  db: Db,
  row: typeof minerals.$inferInsert,
): Promise<MineralRow | undefined> {
  const [inserted] = await db.insert(minerals).values(row).onConflictDoNothing().returning();
  return inserted;
}

export async function updateMineral(
  db: Db,
  code: string,
  changes: Partial<
    Pick<
      MineralRow,
      | 'name'
      | 'minimumReserve'
      | 'onHand'
      | 'reserved'
      | 'queued'
      | 'updatedAt'
      | 'floorPrice'
      | 'dailyConsumption'
      | 'targetCoverageDays'
    >
  >,
): Promise<MineralRow> {
  const [row] = await db.update(minerals).set(changes).where(eq(minerals.code, code)).returning();
  if (!row) throw new Error(`mineral ${code} vanished while locked`);
  return row;
}

const setReservedRow = statement('set_mineral_reserved', (db) =>
  db
    .update(minerals)
    .set({ reserved: sql`${sql.placeholder('reserved')}` })
    .where(eq(minerals.code, sql.placeholder('code')))
    .returning(),
);

/** `updateMineral` for the one column every hold and release changes, built once (src/db/statement.ts). */
export async function setReserved(db: Db, code: string, reserved: string): Promise<MineralRow> {
  const [row] = await setReservedRow(db, { code, reserved });
  if (!row) throw new Error(`mineral ${code} vanished while locked`);
  return row;
}

const setQueuedRow = statement('set_mineral_queued', (db) =>
  db
    .update(minerals)
    .set({ queued: sql`${sql.placeholder('queued')}` })
    .where(eq(minerals.code, sql.placeholder('code')))
    .returning(),
);

/** The running total of the mineral's queued draws, changed by every queued submission and cancellation. */
export async function setQueued(db: Db, code: string, queued: string): Promise<MineralRow> {
  const [row] = await setQueuedRow(db, { code, queued });
  if (!row) throw new Error(`mineral ${code} vanished while locked`);
  return row;
}

/** Locks several mineral rows in code order (lock order 2: sorted, so two such transactions never deadlock). */
export async function lockMinerals(db: Db, codes: readonly string[]): Promise<MineralRow[]> {
  const sorted = [...new Set(codes)].sort();
  if (sorted.length === 0) return [];
  return db
    .select()
    .from(minerals)
    .where(inArray(minerals.code, sorted))
    .orderBy(asc(minerals.code))
    .for('update');
}

export function listMinerals(
  db: Db,
  cursor: CreationCursor | undefined,
  limit: number,
): Promise<MineralRow[]> {
  return db
    .select()
    .from(minerals)
    .where(and(afterCursor(minerals.createdAt, minerals.code, cursor)))
    .orderBy(asc(minerals.createdAt), asc(minerals.code))
    .limit(limit + 1);
}

/** A mineral with its market price at a time (see `marketPriceAt`). */
export interface MineralWithMarket {
  mineral: MineralRow;
  marketPrice: string | null;
  marketPriceAsOf: Date | null;
}

/** Minerals joined laterally to their market price at `at`: one index descent per mineral. */
const withMarket = (db: Db, at: Date) => {
  const market = marketPriceAt(db, minerals.code, sql`${at.toISOString()}::timestamptz`);
  return db
    .select({ mineral: minerals, marketPrice: market.price, marketPriceAsOf: market.asOf })
    .from(minerals)
    .leftJoinLateral(market, sql`true`);
};

export async function findMineralWithMarket(
  db: Db,
  code: string,
  at: Date,
): Promise<MineralWithMarket | undefined> {
  const [row] = await withMarket(db, at).where(eq(minerals.code, code));
  return row;
}

export function listMineralsWithMarket(
  db: Db,
  cursor: CreationCursor | undefined,
  limit: number,
  at: Date,
): Promise<MineralWithMarket[]> {
  return withMarket(db, at)
    .where(and(afterCursor(minerals.createdAt, minerals.code, cursor)))
    .orderBy(asc(minerals.createdAt), asc(minerals.code))
    .limit(limit + 1);
}
