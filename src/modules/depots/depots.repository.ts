import { asc, eq, type Placeholder, sql } from 'drizzle-orm';
import { afterCursor, type CreationCursor } from '../../db/pagination.js';
import type { Db } from '../../db/types.js';
import { type DepotRow, depots } from './depots.table.js';

export async function findDepot(db: Db, id: string): Promise<DepotRow | undefined> {
  const [row] = await db.select().from(depots).where(eq(depots.id, id));
  return row;
}

/** SQL: the depot's id if it exists, else null (an expression, for reads that check several things at once). */
export const existingDepotId = (id: string | Placeholder) =>
  sql<string | null>`(select ${depots.id} from ${depots} where ${depots.id} = ${id})`;

export async function insertDepot(db: Db, row: DepotRow): Promise<DepotRow | undefined> {
  const [inserted] = await db.insert(depots).values(row).onConflictDoNothing().returning();
  return inserted;
}

export function listDepots(db: Db, cursor: CreationCursor | undefined, limit: number): Promise<DepotRow[]> {
  return db
    .select()
    .from(depots)
    .where(afterCursor(depots.createdAt, depots.id, cursor))
    .orderBy(asc(depots.createdAt), asc(depots.id))
    .limit(limit + 1);
}
