import { and, asc, eq } from 'drizzle-orm';
import { afterCursor, type CreationCursor } from '../../db/pagination.js';
import type { Db } from '../../db/types.js';
import { type CompanyRow, companies } from './companies.table.js';

export async function findCompany(db: Db, id: string): Promise<CompanyRow | undefined> {
  const [row] = await db.select().from(companies).where(eq(companies.id, id));
  return row;
}

/** Locks the company against concurrent changes; `NO KEY UPDATE` for the reason `lockAgreement` gives. */
export async function lockCompany(db: Db, id: string): Promise<CompanyRow | undefined> {
  const [row] = await db.select().from(companies).where(eq(companies.id, id)).for('no key update');
  return row;
}

export async function insertCompany(db: Db, row: CompanyRow): Promise<CompanyRow> {
  const [inserted] = await db.insert(companies).values(row).returning();
  return inserted!;
}

export async function updateCompany(
  db: Db,
  id: string,
  changes: Partial<Pick<CompanyRow, 'name' | 'status' | 'updatedAt'>>,
): Promise<CompanyRow> {
  const [row] = await db.update(companies).set(changes).where(eq(companies.id, id)).returning();
  return row!;
}

export interface CompanyFilter {
  id?: string;
  status?: CompanyRow['status'];
}

export function listCompanies(
  db: Db,
  filter: CompanyFilter,
  cursor: CreationCursor | undefined,
  limit: number,
): Promise<CompanyRow[]> {
  return db
    .select()
    .from(companies)
    .where(
      and(
        filter.id ? eq(companies.id, filter.id) : undefined,
        filter.status ? eq(companies.status, filter.status) : undefined,
        afterCursor(companies.createdAt, companies.id, cursor),
      ),
    )
    .orderBy(asc(companies.createdAt), asc(companies.id))
    .limit(limit + 1);
}
