import { and, asc, eq, inArray, type Placeholder, sql } from 'drizzle-orm';
import { afterCursorPlaceholders, type CreationCursor, cursorValues } from '../../db/pagination.js';
import {
  insertEveryColumn,
  preparedStatement,
  preparedStatementFamily,
  rowOf,
  runPrepared,
} from '../../db/prepared.js';
import type { Db } from '../../db/types.js';
import { columnText, textColumn } from '../../db/unnest.js';
import { type AgreementRow, agreements } from '../agreements/agreements.table.js';
import { type CompanyRow, companies } from '../companies/companies.table.js';
import { existingDepotId } from '../depots/depots.repository.js';
import { type DisruptionLevel, disruptionMinerals, disruptions } from '../disruptions/disruptions.table.js';
import { outstandingOf, overdueExists } from '../obligations/obligations.repository.js';
import { marketPriceTextAt } from '../prices/prices.repository.js';
import {
  type DrawAllocationRow,
  type DrawRow,
  drawAllocations,
  draws,
  entitlementUse,
} from './draws.table.js';

const drawRow = rowOf(draws);

// The reads every draw request makes are rendered once too (src/db/prepared.ts) and decoded by
// `rowOf`: building a drizzle select and mapping its rows per request was a third of a draws page's
// CPU (BENCHMARKS.md, issue 12).
const findDrawStatement = preparedStatement<{ id: string }>(
  'find_draw',
  sql`select ${drawRow.columns} from ${draws} where ${draws.id} = ${sql.placeholder('id')}`,
);

export async function findDraw(db: Db, id: string): Promise<DrawRow | undefined> {
  const [row] = await runPrepared(db, findDrawStatement, { id });
  return row && drawRow.decode(row);
}

/** A draw as a read shows it: the row and its lot allocations, read by one statement. */
export type ShownDraw = DrawRow & { allocations: DrawAllocationRow[] };

// The allocations ride along as one `text[]` column of "lotId quantity" pairs (by lot), so a read
// of one draw or of a page is one statement and one round trip, not two.
const shownDrawColumns = sql`${drawRow.columns}, array(
  select ${drawAllocations.lotId}::text || ' ' || ${drawAllocations.quantity}::text from ${drawAllocations}
  where ${drawAllocations.drawId} = ${draws.id} order by ${drawAllocations.lotId})`;

function decodeShownDraw(values: unknown[]): ShownDraw {
  const row = drawRow.decode(values);
  const pairs = values[drawRow.width] as string[];
  return Object.assign(row, {
    allocations: pairs.map((pair) => {
      const [lotId, quantity] = pair.split(' ') as [string, string];
      return { drawId: row.id, lotId, quantity };
    }),
  });
}

const findShownDrawStatement = preparedStatement<{ id: string }>(
  'find_shown_draw',
  sql`select ${shownDrawColumns} from ${draws} where ${draws.id} = ${sql.placeholder('id')}`,
);

export async function findShownDraw(db: Db, id: string): Promise<ShownDraw | undefined> {
  const [values] = await runPrepared(db, findShownDrawStatement, { id });
  return values && decodeShownDraw(values);
}

/** Lock order step 3: after the mineral row. */
export async function lockDraw(db: Db, id: string): Promise<DrawRow | undefined> {
  const [row] = await db.select().from(draws).where(eq(draws.id, id)).for('update');
  return row;
}

// Hot statements (src/db/prepared.ts): every submission runs `insertDraw` and `readSubmission`.
const insertDrawStatement = preparedStatement<Record<string, unknown>>(
  'insert_draw',
  insertEveryColumn(draws),
);

export async function insertDraw(db: Db, row: DrawRow): Promise<void> {
  await runPrepared(db, insertDrawStatement, drawRow.driverValues(row));
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

/** SQL: one of the company's entitlement-use figures for a mineral (0 without a row), as text. */
const useOf = (
  column: typeof entitlementUse.held,
  companyId: string | Placeholder,
  mineralCode: string | Placeholder,
) =>
  sql<string>`coalesce((select ${column} from ${entitlementUse}
    where ${and(eq(entitlementUse.companyId, companyId), eq(entitlementUse.mineralCode, mineralCode))}), 0)::text`;

/**
 * SQL: Σ quantity of the company's pending and approved draws of a mineral (its holds, `HOLDING`), as
 * text; kept in `entitlement_use` by the draws' triggers.
 */
export const heldOf = (companyId: string | Placeholder, mineralCode: string | Placeholder) =>
  useOf(entitlementUse.held, companyId, mineralCode);

/** SQL: Σ quantity of the company's queued draws of a mineral (counted in its cap), as text; likewise. */
export const queuedOf = (companyId: string | Placeholder, mineralCode: string | Placeholder) =>
  useOf(entitlementUse.queued, companyId, mineralCode);

/** What a draw submission checks besides the mineral row; see `readSubmission`. */
export interface Submission {
  companyStatus: CompanyRow['status'];
  /** The company's active agreement for the mineral, if any. */
  agreement: AgreementRow | null;
  /** The requested depot's id as stored, null when it does not exist or none was requested. */
  depotId: string | null;
  hasOverdueObligation: boolean;
  held: string;
  queued: string;
  outstanding: string;
  /** The active disruption covering the mineral, if any, and its level. */
  disruptionId: string | null;
  disruptionLevel: DisruptionLevel | null;
  /** The mineral's market price at submission (latest asOf ≤ now), or null. */
  marketPrice: string | null;
}

const agreementRow = rowOf(agreements);

// At most one disruption row: the partial unique index on active disruption_minerals.
const readSubmissionStatement = (() => {
  const companyId = sql.placeholder('companyId');
  const mineralCode = sql.placeholder('mineralCode');
  const now = sql.placeholder('now');
  return preparedStatement<{ companyId: string; mineralCode: string; depotId: string | null; now: string }>(
    'read_submission',
    sql`select ${companies.status}, ${agreementRow.columns},
        ${existingDepotId(sql.placeholder('depotId'))},
        ${overdueExists(companyId, now)},
        ${heldOf(companyId, mineralCode)},
        ${queuedOf(companyId, mineralCode)},
        ${outstandingOf(companyId, mineralCode)},
        ${disruptions.id}, ${disruptions.level},
        ${marketPriceTextAt(mineralCode, sql`${now}::timestamptz`)}
      from ${companies}
      left join ${agreements} on ${and(
        eq(agreements.companyId, companies.id),
        eq(agreements.mineralCode, mineralCode),
        eq(agreements.status, 'active'),
      )}
      left join ${disruptionMinerals} on ${and(
        eq(disruptionMinerals.mineralCode, mineralCode),
        eq(disruptionMinerals.active, true),
      )}
      left join ${disruptions} on ${eq(disruptions.id, disruptionMinerals.disruptionId)}
      where ${eq(companies.id, companyId)}`,
  );
})();

/**
 * Everything `submit` checks besides the mineral row — the company, its active agreement for the
 * mineral, the requested depot, any overdue obligation, its holds, queued draws and outstanding
 * obligations for the mineral, and the mineral's active disruption — in one hot statement
 * (src/db/prepared.ts): one result instead of six. Undefined when the company does not exist. It reads
 * other modules' tables through their own expressions (`outstandingOf`, `overdueExists`,
 * `existingDepotId`), so each rule's SQL still lives in one place.
 */
export async function readSubmission(
  db: Db,
  companyId: string,
  mineralCode: string,
  depotId: string | undefined,
  now: Date,
): Promise<Submission | undefined> {
  const [row] = await runPrepared(db, readSubmissionStatement, {
    companyId,
    mineralCode,
    depotId: depotId ?? null,
    now: now.toISOString(),
  });
  if (!row) return undefined;
  // Left-joined: no active agreement gives a row of nulls.
  const agreement = agreementRow.decode(row, 1) as AgreementRow | { id: null };
  const at = 1 + agreementRow.width;
  return {
    companyStatus: row[0] as CompanyRow['status'],
    agreement: agreement.id === null ? null : agreement,
    depotId: row[at] as string | null,
    hasOverdueObligation: row[at + 1] as boolean,
    held: row[at + 2] as string,
    queued: row[at + 3] as string,
    outstanding: row[at + 4] as string,
    disruptionId: row[at + 5] as string | null,
    disruptionLevel: row[at + 6] as DisruptionLevel | null,
    marketPrice: row[at + 7] as string | null,
  };
}

export async function insertAllocations(db: Db, rows: DrawAllocationRow[]): Promise<void> {
  if (rows.length > 0) await db.insert(drawAllocations).values(rows);
}

export interface DrawFilter {
  companyId?: string;
  mineralCode?: string;
  status?: DrawRow['status'];
  allocationRoundId?: string;
}

const DRAW_FILTERS = {
  companyId: draws.companyId,
  mineralCode: draws.mineralCode,
  status: draws.status,
  allocationRoundId: draws.allocationRoundId,
} as const;
type DrawListPart = keyof typeof DRAW_FILTERS | 'after';

const listDrawsStatement = preparedStatementFamily<DrawListPart, Record<string, unknown>>(
  'list_draws',
  (present) => {
    const where = and(
      ...Object.entries(DRAW_FILTERS)
        .filter(([key]) => present.has(key as DrawListPart))
        .map(([key, column]) => eq(column, sql.placeholder(key))),
      present.has('after') ? afterCursorPlaceholders(draws.createdAt, draws.id) : undefined,
    );
    return sql`select ${shownDrawColumns} from ${draws} ${where ? sql`where ${where}` : sql``}
               order by ${draws.createdAt}, ${draws.id} limit ${sql.placeholder('limit')}`;
  },
);

export async function listDraws(
  db: Db,
  filter: DrawFilter,
  cursor: CreationCursor | undefined,
  limit: number,
): Promise<ShownDraw[]> {
  const values: Record<string, unknown> = { ...cursorValues(draws.id, cursor), limit: limit + 1 };
  const present: DrawListPart[] = [];
  for (const key of Object.keys(DRAW_FILTERS) as (keyof typeof DRAW_FILTERS)[]) {
    if (filter[key] === undefined) continue;
    present.push(key);
    values[key] = filter[key];
  }
  if (cursor) present.push('after');
  const rows = await runPrepared(db, listDrawsStatement(present), values);
  return rows.map(decodeShownDraw);
}

/** A queued draw as an allocation round reads it: the draw and the weight its agreement gives it. */
export interface QueuedDrawRow {
  id: string;
  companyId: string;
  priorityClass: DrawRow['priorityClass'];
  quantity: string;
  unitPrice: string;
  marketPrice: string | null;
  createdAt: Date;
  /** maxOutstanding of the agreement the draw was submitted under. */
  weight: string;
}

/**
 * Every queued draw of a mineral with its weight, oldest first, in one statement. Run under the
 * mineral's lock: submissions and cancellations of the mineral wait on it, so the queue cannot change
 * while the round decides it.
 */
export function queuedDraws(db: Db, mineralCode: string): Promise<QueuedDrawRow[]> {
  return db
    .select({
      id: draws.id,
      companyId: draws.companyId,
      priorityClass: draws.priorityClass,
      quantity: draws.quantity,
      unitPrice: draws.unitPrice,
      marketPrice: draws.marketPrice,
      createdAt: draws.createdAt,
      weight: agreements.maxOutstanding,
    })
    .from(draws)
    .innerJoin(agreements, eq(agreements.id, draws.agreementId))
    .where(and(eq(draws.mineralCode, mineralCode), eq(draws.status, 'queued')))
    .orderBy(asc(draws.createdAt), asc(draws.id));
}

/**
 * The companies with queued draws of the mineral that may take part in a round at `now`: active, and
 * without an overdue obligation (any mineral). One check per company, not per draw.
 */
export async function eligibleQueuedCompanies(db: Db, mineralCode: string, now: Date): Promise<Set<string>> {
  const rows = await db
    .select({ id: companies.id })
    .from(companies)
    .where(
      and(
        inArray(
          companies.id,
          db
            .selectDistinct({ id: draws.companyId })
            .from(draws)
            .where(and(eq(draws.mineralCode, mineralCode), eq(draws.status, 'queued'))),
        ),
        eq(companies.status, 'active'),
        sql`not ${overdueExists(companies.id as never, now)}`,
      ),
    );
  return new Set(rows.map((r) => r.id));
}

/** One draw's decision in a round, as the set-based update takes it. */
export interface DrawDecisionValues {
  id: string;
  status: 'approved' | 'rejected';
  /** The allocation and the money re-priced on it (`repriceAllocated`); null keeps the draw's own. */
  quantity: string | null;
  amount: string | null;
  hedgeValue: string | null;
  reason: string | null;
}

/**
 * Decides every draw of a round in ONE statement: a parameter per column (`textColumn`), joined to the
 * draws. Only queued draws are touched; the caller compares the count with the number of decisions.
 * Prepared: the round pipelines its writes, and an unprepared statement holds the ones behind it until
 * the database has described it.
 */
const decideQueuedDrawsStatement = preparedStatement<{
  roundId: string;
  at: string;
  ids: string;
  statuses: string;
  quantities: string;
  amounts: string;
  hedgeValues: string;
  reasons: string;
}>(
  'decide_queued_draws',
  sql`with decided as (update ${draws} as d set
      status = v.status, quantity = coalesce(v.quantity, d.quantity), amount = coalesce(v.amount, d.amount),
      hedge_value = coalesce(v.hedge_value, d.hedge_value),
      reason = v.reason,
      decided_at = ${sql.placeholder('at')}::timestamptz, updated_at = ${sql.placeholder('at')}::timestamptz,
      allocation_round_id = ${sql.placeholder('roundId')}::uuid
    from unnest(${textColumn('ids')}::uuid[], ${textColumn('statuses')},
      ${textColumn('quantities')}::numeric[], ${textColumn('amounts')}::numeric[],
      ${textColumn('hedgeValues')}::numeric[], ${textColumn('reasons')})
      as v(id, status, quantity, amount, hedge_value, reason)
    where d.id = v.id and d.status = 'queued'
    returning 1)
    select count(*)::int as n from decided`,
);

export async function decideQueuedDraws(
  db: Db,
  roundId: string,
  at: Date,
  decisions: DrawDecisionValues[],
): Promise<number> {
  if (decisions.length === 0) return 0;
  const column = (value: (d: DrawDecisionValues) => string | null) => columnText(decisions.map(value));
  const [row] = await runPrepared(db, decideQueuedDrawsStatement, {
    roundId,
    at: at.toISOString(),
    ids: column((d) => d.id),
    statuses: column((d) => d.status),
    quantities: column((d) => d.quantity),
    amounts: column((d) => d.amount),
    hedgeValues: column((d) => d.hedgeValue),
    reasons: column((d) => d.reason),
  });
  return Number(row?.[0] ?? 0);
}
