import { and, asc, eq, inArray, sql } from 'drizzle-orm';
import { afterCursor, type CreationCursor } from '../../db/pagination.js';
import { preparedStatement, rowOf, runPrepared } from '../../db/prepared.js';
import type { Db } from '../../db/types.js';
import { marketPriceAt } from '../prices/prices.repository.js';
import { type MineralRow, minerals } from './minerals.table.js';

// Hot statements (src/db/prepared.ts): every hold, release and stock change of a mineral runs them,
// and every inventory read.
const mineralRow = rowOf(minerals);

const findMineralStatement = preparedStatement<{ code: string }>(
  'find_mineral',
  sql`select ${mineralRow.columns} from ${minerals} where ${minerals.code} = ${sql.placeholder('code')}`,
);

export async function findMineral(db: Db, code: string): Promise<MineralRow | undefined> {
  const [row] = await runPrepared(db, findMineralStatement, { code });
  return row && mineralRow.decode(row);
}

const lockMineralStatement = preparedStatement<{ code: string }>(
  'lock_mineral',
  sql`select ${mineralRow.columns} from ${minerals} where ${minerals.code} = ${sql.placeholder('code')} for update`,
);

/** Locks the mineral row: the serialization point for its stock, holds and entitlements (lock order 2). */
export async function lockMineral(db: Db, code: string): Promise<MineralRow | undefined> {
  const [row] = await runPrepared(db, lockMineralStatement, { code });
  return row && mineralRow.decode(row);
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

const setReservedStatement = preparedStatement<{ code: string; reserved: string }>(
  'set_mineral_reserved',
  sql`update ${minerals} set reserved = ${sql.placeholder('reserved')}
    where ${minerals.code} = ${sql.placeholder('code')} returning ${mineralRow.columns}`,
);

/** `updateMineral` for the one column every hold and release changes (a hot statement). */
export async function setReserved(db: Db, code: string, reserved: string): Promise<MineralRow> {
  const [row] = await runPrepared(db, setReservedStatement, { code, reserved });
  if (!row) throw new Error(`mineral ${code} vanished while locked`);
  return mineralRow.decode(row);
}

const setQueuedStatement = preparedStatement<{ code: string; queued: string }>(
  'set_mineral_queued',
  sql`update ${minerals} set queued = ${sql.placeholder('queued')}
    where ${minerals.code} = ${sql.placeholder('code')} returning ${mineralRow.columns}`,
);

/** The running total of the mineral's queued draws, changed by every queued submission and cancellation. */
export async function setQueued(db: Db, code: string, queued: string): Promise<MineralRow> {
  const [row] = await runPrepared(db, setQueuedStatement, { code, queued });
  if (!row) throw new Error(`mineral ${code} vanished while locked`);
  return mineralRow.decode(row);
}

const setReservedAndQueuedStatement = preparedStatement<{ code: string; reserved: string; queued: string }>(
  'set_mineral_reserved_and_queued',
  sql`update ${minerals} set reserved = ${sql.placeholder('reserved')}, queued = ${sql.placeholder('queued')}
    where ${minerals.code} = ${sql.placeholder('code')}`,
);

/** What an allocation round moves: queued quantity out, the allocations' holds in (one statement). */
export async function setReservedAndQueued(
  db: Db,
  code: string,
  figures: { reserved: string; queued: string },
): Promise<void> {
  await runPrepared(db, setReservedAndQueuedStatement, { code, ...figures });
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
