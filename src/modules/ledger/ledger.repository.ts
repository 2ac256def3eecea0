import { type SQL, sql } from 'drizzle-orm';
import type { SeqQuery } from '../../db/export.js';
import type { Db } from '../../db/types.js';
import { normalize } from '../../domain/decimal.js';
import { stockMovements } from '../lots/lots.table.js';
import type { LedgerMovement } from './ledger.schemas.js';

export interface LedgerFilter {
  /** Upper bound on seq: the ledger as it stood when the read began. */
  toSeq: number;
  mineralCode?: string;
  /** Inclusive. */
  from?: Date;
  /** Exclusive. */
  to?: Date;
}

/**
 * Movements in seq order, for streaming. Selects driver-neutral values (see `SeqQuery`): decimals as
 * text (normalised here, never through Number), `at` as epoch milliseconds.
 */
export function movementsInSeqOrder(filter: LedgerFilter): SeqQuery<LedgerMovement> {
  const conditions: SQL[] = [sql`seq <= ${filter.toSeq}`];
  if (filter.mineralCode) conditions.push(sql`mineral_code = ${filter.mineralCode}`);
  if (filter.from) conditions.push(sql`at >= ${filter.from.toISOString()}::timestamptz`);
  if (filter.to) conditions.push(sql`at < ${filter.to.toISOString()}::timestamptz`);
  return {
    sql: (afterSeq, limit) => sql`
      select seq, (extract(epoch from at) * 1000)::bigint::text as at_ms, mineral_code,
             depot_id::text as depot_id, lot_id::text as lot_id, kind, quantity::text as quantity,
             balance_after::text as balance_after, reference
      from ${stockMovements}
      where seq > ${afterSeq} and ${sql.join(conditions, sql` and `)}
      order by ${stockMovements.seq}
      ${limit === null ? sql`` : sql`limit ${limit}`}`,
    map: (row) => ({
      seq: Number(row.seq),
      at: new Date(Number(row.at_ms)).toISOString(),
      mineralCode: String(row.mineral_code),
      depotId: String(row.depot_id),
      lotId: String(row.lot_id),
      kind: row.kind as LedgerMovement['kind'],
      quantity: normalize(String(row.quantity)),
      balanceAfter: normalize(String(row.balance_after)),
      reference: row.reference === null ? null : String(row.reference),
    }),
  };
}

/** The highest movement seq (0 when the ledger is empty). */
export async function lastMovementSeq(db: Db): Promise<number> {
  const [row] = await db
    .select({ seq: sql<string | number | null>`max(${stockMovements.seq})` })
    .from(stockMovements);
  return Number(row?.seq ?? 0);
}
