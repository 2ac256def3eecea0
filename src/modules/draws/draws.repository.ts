import { and, asc, eq, inArray, type Placeholder, sql } from 'drizzle-orm';
import { afterCursor, type CreationCursor } from '../../db/pagination.js';
import { columnPlaceholders, statement } from '../../db/statement.js';
import type { Db } from '../../db/types.js';
import { type AgreementRow, agreements } from '../agreements/agreements.table.js';
import { type CompanyRow, companies } from '../companies/companies.table.js';
import { existingDepotId } from '../depots/depots.repository.js';
import { outstandingOf, overdueExists } from '../obligations/obligations.repository.js';
import { marketPriceTextAt } from '../prices/prices.repository.js';
import { HOLDING } from './draws.rules.js';
import { type DrawAllocationRow, type DrawRow, drawAllocations, draws } from './draws.table.js';

export async function findDraw(db: Db, id: string): Promise<DrawRow | undefined> {
  const [row] = await db.select().from(draws).where(eq(draws.id, id));
  return row;
}

/** Lock order step 3: after the mineral row. */
export async function lockDraw(db: Db, id: string): Promise<DrawRow | undefined> {
  const [row] = await db.select().from(draws).where(eq(draws.id, id)).for('update');
  return row;
}

const insertDrawRow = statement('insert_draw', (db) => db.insert(draws).values(columnPlaceholders(draws)));

/** Built once (src/db/statement.ts): it runs for every submission. */
export async function insertDraw(db: Db, row: DrawRow): Promise<void> {
  const iso = (at: Date | null) => at?.toISOString() ?? null;
  await insertDrawRow(db, {
    ...row,
    createdAt: iso(row.createdAt),
    updatedAt: iso(row.updatedAt),
    decidedAt: iso(row.decidedAt),
    fulfilledAt: iso(row.fulfilledAt),
  });
}

export async function updateDraw(
  db: Db,
  id: string,
  changes: Partial<
    Pick<DrawRow, 'status' | 'reason' | 'updatedAt' | 'decidedAt' | 'fulfilledAt' | 'obligationId'>
  >,
): Promise<DrawRow> {
  const [row] = await db.update(draws).set(changes).where(eq(draws.id, id)).returning();
  return row!;
}

/** SQL: Σ quantity of the company's pending and approved draws of a mineral (its holds), as text. */
export const heldOf = (companyId: string | Placeholder, mineralCode: string | Placeholder) =>
  sql<string>`(select coalesce(sum(${draws.quantity}), 0)::text
    from ${draws}
    where ${and(eq(draws.companyId, companyId), eq(draws.mineralCode, mineralCode), inArray(draws.status, [...HOLDING]))})`;

/** What a draw submission checks besides the mineral row; see `readSubmission`. */
export interface Submission {
  companyStatus: CompanyRow['status'];
  /** The company's active agreement for the mineral, if any. */
  agreement: AgreementRow | null;
  /** The requested depot's id as stored, null when it does not exist or none was requested. */
  depotId: string | null;
  hasOverdueObligation: boolean;
  held: string;
  outstanding: string;
  /** The mineral's market price at submission (latest asOf ≤ now), or null. */
  marketPrice: string | null;
}

const submissionOf = (db: Db, withDepot: boolean) => {
  const companyId = sql.placeholder('companyId');
  const mineralCode = sql.placeholder('mineralCode');
  return db
    .select({
      companyStatus: companies.status,
      agreement: agreements,
      depotId: withDepot ? existingDepotId(sql.placeholder('depotId')) : sql<null>`null`,
      hasOverdueObligation: overdueExists(companyId, sql.placeholder('now')),
      held: heldOf(companyId, mineralCode),
      outstanding: outstandingOf(companyId, mineralCode),
      marketPrice: marketPriceTextAt(mineralCode, sql`${sql.placeholder('now')}::timestamptz`),
    })
    .from(companies)
    .leftJoin(
      agreements,
      and(
        eq(agreements.companyId, companies.id),
        eq(agreements.mineralCode, mineralCode),
        eq(agreements.status, 'active'),
      ),
    )
    .where(eq(companies.id, companyId));
};
const readSubmissionRow = statement('read_submission', (db) => submissionOf(db, false));
const readSubmissionWithDepotRow = statement('read_submission_depot', (db) => submissionOf(db, true));

/**
 * Everything `submit` checks besides the mineral row — the company, its active agreement for the
 * mineral, the requested depot, any overdue obligation, its holds and its outstanding obligations for
 * the mineral — in one statement, built once (src/db/statement.ts): one result instead of six.
 * Undefined when the company does not exist. It reads other modules' tables through their own
 * expressions (`outstandingOf`, `overdueExists`, `existingDepotId`), so each rule's SQL still lives in
 * one place.
 */
export async function readSubmission(
  db: Db,
  companyId: string,
  mineralCode: string,
  depotId: string | undefined,
  now: Date,
): Promise<Submission | undefined> {
  const values = { companyId, mineralCode, now: now.toISOString() };
  const [row] = depotId
    ? await readSubmissionWithDepotRow(db, { ...values, depotId })
    : await readSubmissionRow(db, values);
  return row;
}

export async function insertAllocations(db: Db, rows: DrawAllocationRow[]): Promise<void> {
  if (rows.length > 0) await db.insert(drawAllocations).values(rows);
}

export async function allocationsOf(db: Db, drawIds: string[]): Promise<Map<string, DrawAllocationRow[]>> {
  const byDraw = new Map<string, DrawAllocationRow[]>();
  if (drawIds.length === 0) return byDraw;
  const rows = await db
    .select()
    .from(drawAllocations)
    .where(inArray(drawAllocations.drawId, drawIds))
    .orderBy(asc(drawAllocations.drawId), asc(drawAllocations.lotId));
  for (const row of rows) byDraw.set(row.drawId, [...(byDraw.get(row.drawId) ?? []), row]);
  return byDraw;
}

export interface DrawFilter {
  companyId?: string;
  mineralCode?: string;
  status?: DrawRow['status'];
}

export function listDraws(db: Db, filter: DrawFilter, cursor: CreationCursor | undefined, limit: number) {
  return db
    .select()
    .from(draws)
    .where(
      and(
        filter.companyId ? eq(draws.companyId, filter.companyId) : undefined,
        filter.mineralCode ? eq(draws.mineralCode, filter.mineralCode) : undefined,
        filter.status ? eq(draws.status, filter.status) : undefined,
        afterCursor(draws.createdAt, draws.id, cursor),
      ),
    )
    .orderBy(asc(draws.createdAt), asc(draws.id))
    .limit(limit + 1);
}
