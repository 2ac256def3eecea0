import { and, asc, eq } from 'drizzle-orm';
import { afterCursor, type CreationCursor } from '../../db/pagination.js';
import type { Db } from '../../db/types.js';
import { type AgreementRow, agreements } from './agreements.table.js';

export async function findAgreement(db: Db, id: string): Promise<AgreementRow | undefined> {
  const [row] = await db.select().from(agreements).where(eq(agreements.id, id));
  return row;
}

/**
 * Locks the agreement against concurrent changes. `NO KEY UPDATE` (what an UPDATE of its non-key
 * columns takes anyway), not `UPDATE`: a draw insert's foreign-key check takes `KEY SHARE` on the
 * agreement, and `FOR UPDATE` made every submission under it wait for a termination to commit.
 */
export async function lockAgreement(db: Db, id: string): Promise<AgreementRow | undefined> {
  const [row] = await db.select().from(agreements).where(eq(agreements.id, id)).for('no key update');
  return row;
}

/** Inserts unless the company already has an active agreement for the mineral (unique partial index). */
export async function insertAgreement(db: Db, row: AgreementRow): Promise<AgreementRow | undefined> {
  const [inserted] = await db.insert(agreements).values(row).onConflictDoNothing().returning();
  return inserted;
}

export async function terminateAgreement(db: Db, id: string, at: Date): Promise<AgreementRow> {
  const [row] = await db
    .update(agreements)
    .set({ status: 'terminated', terminatedAt: at })
    .where(eq(agreements.id, id))
    .returning();
  return row!;
}

export async function updateAgreement(
  db: Db,
  id: string,
  changes: Partial<Pick<AgreementRow, 'priorityClass' | 'routineLimitPercent'>>,
): Promise<AgreementRow> {
  const [row] = await db.update(agreements).set(changes).where(eq(agreements.id, id)).returning();
  return row!;
}

export interface AgreementFilter {
  companyId?: string;
  mineralCode?: string;
  status?: AgreementRow['status'];
}

export function listAgreements(
  db: Db,
  filter: AgreementFilter,
  cursor: CreationCursor | undefined,
  limit: number,
): Promise<AgreementRow[]> {
  return db
    .select()
    .from(agreements)
    .where(
      and(
        filter.companyId ? eq(agreements.companyId, filter.companyId) : undefined,
        filter.mineralCode ? eq(agreements.mineralCode, filter.mineralCode) : undefined,
        filter.status ? eq(agreements.status, filter.status) : undefined,
        afterCursor(agreements.createdAt, agreements.id, cursor),
      ),
    )
    .orderBy(asc(agreements.createdAt), asc(agreements.id))
    .limit(limit + 1);
}
