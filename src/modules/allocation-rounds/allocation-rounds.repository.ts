import { and, asc, eq, inArray, sql } from 'drizzle-orm';
import { afterCursor, type CreationCursor } from '../../db/pagination.js';
import type { Db } from '../../db/types.js';
import { textColumn } from '../../db/unnest.js';
import {
  type AllocationRoundAllocationRow,
  type AllocationRoundRow,
  allocationRoundAllocations,
  allocationRounds,
} from './allocation-rounds.table.js';

export async function insertRound(db: Db, row: AllocationRoundRow): Promise<void> {
  await db.insert(allocationRounds).values(row);
}

/**
 * All of a round's allocations in ONE statement, whatever their count: a parameter per column
 * (`textColumn`), expanded into rows by the database.
 */
export async function insertRoundAllocations(
  db: Db,
  roundId: string,
  rows: Omit<AllocationRoundAllocationRow, 'roundId'>[],
): Promise<void> {
  if (rows.length === 0) return;
  const column = (value: (row: (typeof rows)[number]) => string | number) => textColumn(rows.map(value));
  await db.execute(sql`
    insert into ${allocationRoundAllocations}
      (round_id, position, draw_id, company_id, priority_class, requested, allocated)
    select ${roundId}::uuid, v.position, v.draw_id, v.company_id, v.priority_class, v.requested, v.allocated
    from unnest(${column((r) => r.position)}::int[], ${column((r) => r.drawId)}::uuid[],
      ${column((r) => r.companyId)}::uuid[], ${column((r) => r.priorityClass)},
      ${column((r) => r.requested)}::numeric[], ${column((r) => r.allocated)}::numeric[])
      as v(position, draw_id, company_id, priority_class, requested, allocated)`);
}

export async function findRound(db: Db, id: string): Promise<AllocationRoundRow | undefined> {
  const [row] = await db.select().from(allocationRounds).where(eq(allocationRounds.id, id));
  return row;
}

export async function allocationsOfRounds(
  db: Db,
  ids: string[],
): Promise<Map<string, AllocationRoundAllocationRow[]>> {
  const byRound = new Map<string, AllocationRoundAllocationRow[]>();
  if (ids.length === 0) return byRound;
  const rows = await db
    .select()
    .from(allocationRoundAllocations)
    .where(inArray(allocationRoundAllocations.roundId, ids))
    .orderBy(asc(allocationRoundAllocations.roundId), asc(allocationRoundAllocations.position));
  for (const row of rows) {
    const list = byRound.get(row.roundId);
    if (list) list.push(row);
    else byRound.set(row.roundId, [row]);
  }
  return byRound;
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
