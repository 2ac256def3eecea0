import { and, asc, eq, exists, inArray, sql } from 'drizzle-orm';
import { afterCursor, type CreationCursor } from '../../db/pagination.js';
import { preparedStatementFamily, runPrepared } from '../../db/prepared.js';
import type { Db } from '../../db/types.js';
import { columnText, textColumn } from '../../db/unnest.js';
import {
  type DisruptionLevel,
  type DisruptionRow,
  disruptionMinerals,
  disruptions,
} from './disruptions.table.js';

export async function findDisruption(db: Db, id: string): Promise<DisruptionRow | undefined> {
  const [row] = await db.select().from(disruptions).where(eq(disruptions.id, id));
  return row;
}

/** After the mineral rows it covers (lock order 2, then the disruption). */
export async function lockDisruption(db: Db, id: string): Promise<DisruptionRow | undefined> {
  const [row] = await db.select().from(disruptions).where(eq(disruptions.id, id)).for('update');
  return row;
}

export async function insertDisruption(db: Db, row: DisruptionRow): Promise<DisruptionRow> {
  const [inserted] = await db.insert(disruptions).values(row).returning();
  return inserted!;
}

/**
 * Marks the minerals covered, active. Returns how many rows went in: fewer than asked means a mineral
 * is already under another active disruption (the partial unique index turned the row away).
 */
export async function coverMinerals(db: Db, disruptionId: string, codes: readonly string[]): Promise<number> {
  const rows = await db
    .insert(disruptionMinerals)
    .values(codes.map((mineralCode, position) => ({ disruptionId, mineralCode, position, active: true })))
    .onConflictDoNothing()
    .returning({ code: disruptionMinerals.mineralCode });
  return rows.length;
}

/** Which of these minerals an active disruption already covers. */
export async function coveredMinerals(db: Db, codes: readonly string[]): Promise<string[]> {
  const rows = await db
    .select({ code: disruptionMinerals.mineralCode })
    .from(disruptionMinerals)
    .where(and(inArray(disruptionMinerals.mineralCode, [...codes]), eq(disruptionMinerals.active, true)))
    .orderBy(asc(disruptionMinerals.mineralCode));
  return rows.map((r) => r.code);
}

export async function updateDisruption(
  db: Db,
  id: string,
  changes: Partial<
    Pick<DisruptionRow, 'level' | 'title' | 'description' | 'status' | 'endedAt' | 'endReason' | 'updatedAt'>
  >,
): Promise<DisruptionRow> {
  const [row] = await db.update(disruptions).set(changes).where(eq(disruptions.id, id)).returning();
  return row!;
}

/** Frees the disruption's minerals for a new declaration. */
export async function uncoverMinerals(db: Db, disruptionId: string): Promise<void> {
  await db
    .update(disruptionMinerals)
    .set({ active: false })
    .where(eq(disruptionMinerals.disruptionId, disruptionId));
}

/** Mineral codes per disruption, in the order declared. */
export async function mineralCodesOf(db: Db, ids: string[]): Promise<Map<string, string[]>> {
  const byDisruption = new Map<string, string[]>();
  if (ids.length === 0) return byDisruption;
  const rows = await db
    .select()
    .from(disruptionMinerals)
    .where(inArray(disruptionMinerals.disruptionId, ids))
    .orderBy(asc(disruptionMinerals.disruptionId), asc(disruptionMinerals.position));
  for (const r of rows)
    byDisruption.set(r.disruptionId, [...(byDisruption.get(r.disruptionId) ?? []), r.mineralCode]);
  return byDisruption;
}

// Rendered once (src/db/prepared.ts), the codes in one text parameter (`textColumn`).
const activeDisruptionsStatement = preparedStatementFamily<'codes', { codes?: string }>(
  'active_disruptions',
  (present) =>
    sql`select ${disruptionMinerals.mineralCode}, ${disruptions.id}, ${disruptions.level}
        from ${disruptionMinerals} join ${disruptions} on ${disruptions.id} = ${disruptionMinerals.disruptionId}
        where ${disruptionMinerals.active}
        ${present.has('codes') ? sql`and ${disruptionMinerals.mineralCode} = any(${textColumn('codes')})` : sql``}`,
);

/** The active disruption covering each of these minerals (all minerals when `codes` is omitted). */
export async function activeDisruptions(
  db: Db,
  codes?: readonly string[],
): Promise<Map<string, { disruptionId: string; level: DisruptionLevel }>> {
  if (codes?.length === 0) return new Map();
  const rows = await runPrepared(db, activeDisruptionsStatement(codes ? ['codes'] : []), {
    codes: codes && columnText(codes),
  });
  return new Map(
    rows.map(([code, disruptionId, level]) => [
      code as string,
      { disruptionId: disruptionId as string, level: level as DisruptionLevel },
    ]),
  );
}

export interface DisruptionFilter {
  status?: DisruptionRow['status'];
  mineralCode?: string;
}

export function listDisruptions(
  db: Db,
  filter: DisruptionFilter,
  cursor: CreationCursor | undefined,
  limit: number,
): Promise<DisruptionRow[]> {
  return db
    .select()
    .from(disruptions)
    .where(
      and(
        filter.status ? eq(disruptions.status, filter.status) : undefined,
        filter.mineralCode
          ? exists(
              db
                .select({ one: sql`1` })
                .from(disruptionMinerals)
                .where(
                  and(
                    eq(disruptionMinerals.disruptionId, disruptions.id),
                    eq(disruptionMinerals.mineralCode, filter.mineralCode),
                  ),
                ),
            )
          : undefined,
        afterCursor(disruptions.createdAt, disruptions.id, cursor),
      ),
    )
    .orderBy(asc(disruptions.createdAt), asc(disruptions.id))
    .limit(limit + 1);
}
