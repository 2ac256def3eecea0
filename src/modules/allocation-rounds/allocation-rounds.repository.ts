import { and, asc, eq, inArray, sql } from 'drizzle-orm';
import { afterCursor, type CreationCursor } from '../../db/pagination.js';
import type { Db } from '../../db/types.js';
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
 * All of a round's allocations in ONE statement: the rows travel as one JSON array (a single parameter,
 * whatever the count: a multi-row VALUES list would hit the protocol's 65,535-parameter limit near
 * 9,000 rows) and are expanded by the database.
 */
export async function insertRoundAllocations(
  db: Db,
  roundId: string,
  rows: Omit<AllocationRoundAllocationRow, 'roundId'>[],
): Promise<void> {
  if (rows.length === 0) return;
  await db.execute(sql`
    insert into ${allocationRoundAllocations}
      (round_id, position, draw_id, company_id, priority_class, requested, allocated)
    select ${roundId}::uuid, v.position, v.draw_id, v.company_id, v.priority_class, v.requested, v.allocated
    from json_to_recordset(${JSON.stringify(
      rows.map((r) => ({
        position: r.position,
        draw_id: r.drawId,
        company_id: r.companyId,
        priority_class: r.priorityClass,
        requested: r.requested,
        allocated: r.allocated,
      })),
    )}::json) as v(position int, draw_id uuid, company_id uuid, priority_class text, requested numeric, allocated numeric)`);
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
