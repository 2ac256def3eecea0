import { and, asc, eq, gt, inArray, lt, type Placeholder, type SQL, sql } from 'drizzle-orm';
import { afterCursor, type CreationCursor } from '../../db/pagination.js';
import type { Db } from '../../db/types.js';
import { UNSETTLED } from './obligations.rules.js';
import {
  type ObligationDeliveryRow,
  type ObligationRow,
  type ObligationStatus,
  obligationDeliveries,
  obligations,
} from './obligations.table.js';

export async function findObligation(db: Db, id: string): Promise<ObligationRow | undefined> {
  const [row] = await db.select().from(obligations).where(eq(obligations.id, id));
  return row;
}

/** Lock order step 3: after the mineral row. */
export async function lockObligation(db: Db, id: string): Promise<ObligationRow | undefined> {
  const [row] = await db.select().from(obligations).where(eq(obligations.id, id)).for('update');
  return row;
}

export async function insertObligation(db: Db, row: ObligationRow): Promise<ObligationRow> {
  const [inserted] = await db.insert(obligations).values(row).returning();
  return inserted!;
}

export async function updateObligation(
  db: Db,
  id: string,
  changes: Partial<
    Pick<
      ObligationRow,
      'quantityDelivered' | 'status' | 'settlementAmount' | 'settlementReason' | 'updatedAt'
    >
  >,
): Promise<ObligationRow> {
  const [row] = await db.update(obligations).set(changes).where(eq(obligations.id, id)).returning();
  return row!;
}

export async function insertDelivery(db: Db, row: ObligationDeliveryRow): Promise<void> {
  await db.insert(obligationDeliveries).values(row);
}

const unsettled = () => inArray(obligations.status, [...UNSETTLED]);
const overdueAt = (now: Date | Placeholder) =>
  and(
    unsettled(),
    lt(obligations.dueAt, now),
    gt(obligations.quantityDue, obligations.quantityDelivered),
  ) as SQL;

/**
 * SQL: Σ outstanding (premium included) of the company's unsettled obligations for a mineral, as text.
 * An expression, so the draw submission can read it in the same statement as its other checks.
 */
export const outstandingOf = (companyId: string | Placeholder, mineralCode: string | Placeholder) =>
  sql<string>`(select coalesce(sum(${obligations.quantityDue} - ${obligations.quantityDelivered}), 0)::text
    from ${obligations}
    where ${and(eq(obligations.companyId, companyId), eq(obligations.mineralCode, mineralCode), unsettled())})`;

/** SQL: whether the company has any overdue obligation, for any mineral (an expression, see above). */
export const overdueExists = (companyId: string | Placeholder, now: Date | Placeholder) =>
  sql<boolean>`exists (select 1 from ${obligations}
    where ${and(eq(obligations.companyId, companyId), overdueAt(now))})`;

export async function deliveriesOf(db: Db, ids: string[]): Promise<Map<string, ObligationDeliveryRow[]>> {
  const byObligation = new Map<string, ObligationDeliveryRow[]>();
  if (ids.length === 0) return byObligation;
  const rows = await db
    .select()
    .from(obligationDeliveries)
    .where(inArray(obligationDeliveries.obligationId, ids))
    .orderBy(asc(obligationDeliveries.createdAt), asc(obligationDeliveries.id));
  for (const row of rows)
    byObligation.set(row.obligationId, [...(byObligation.get(row.obligationId) ?? []), row]);
  return byObligation;
}

export interface ObligationFilter {
  companyId?: string;
  status?: ObligationStatus;
  overdue?: boolean;
  now: Date;
}

export function listObligations(
  db: Db,
  filter: ObligationFilter,
  cursor: CreationCursor | undefined,
  limit: number,
) {
  const overdue = overdueAt(filter.now);
  return db
    .select()
    .from(obligations)
    .where(
      and(
        filter.companyId ? eq(obligations.companyId, filter.companyId) : undefined,
        filter.status ? eq(obligations.status, filter.status) : undefined,
        filter.overdue === true ? overdue : undefined,
        filter.overdue === false ? sql`not (${overdue})` : undefined,
        afterCursor(obligations.createdAt, obligations.id, cursor),
      ),
    )
    .orderBy(asc(obligations.createdAt), asc(obligations.id))
    .limit(limit + 1);
}
