import { and, asc, eq } from 'drizzle-orm';
import { afterCursor, type CreationCursor } from '../../db/pagination.js';
import { insertEveryColumn, preparedStatement, rowOf, runPrepared } from '../../db/prepared.js';
import type { Db } from '../../db/types.js';
import { type AllocationRoundRow, allocationRounds } from './allocation-rounds.table.js';

const roundRow = rowOf(allocationRounds);

// A prepared statement (src/db/prepared.ts): the round's writes are pipelined, and an unprepared
// statement would hold the ones behind it until the database has described it.
const insertRoundStatement = preparedStatement<Record<string, unknown>>(
  'insert_allocation_round',
  insertEveryColumn(allocationRounds),
);

/** The round with its decisions: one row, whatever the number of draws decided. */
export async function insertRound(db: Db, row: AllocationRoundRow): Promise<void> {
  await runPrepared(db, insertRoundStatement, roundRow.driverValues(row));
}

export async function findRound(db: Db, id: string): Promise<AllocationRoundRow | undefined> {
  const [row] = await db.select().from(allocationRounds).where(eq(allocationRounds.id, id));
  return row;
}

export function listRounds(
  db: Db,
  filter: { mineralCode?: string },
  cursor: CreationCursor | undefined,
  limit: number,
): Promise<AllocationRoundRow[]> {
  return db
    .select()
    .from(allocationRounds)
    .where(
      and(
        filter.mineralCode ? eq(allocationRounds.mineralCode, filter.mineralCode) : undefined,
        afterCursor(allocationRounds.createdAt, allocationRounds.id, cursor),
      ),
    )
    .orderBy(asc(allocationRounds.createdAt), asc(allocationRounds.id))
    .limit(limit + 1);
}
