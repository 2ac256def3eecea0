import { and, asc, desc, eq, gte, lt, lte, type Placeholder, type SQL, sql } from 'drizzle-orm';
import type { Db } from '../../db/types.js';
import type { minerals } from '../minerals/minerals.table.js';
import { type MarketPriceRow, marketPrices } from './prices.table.js';

/** Keyset position in a mineral's price list: ascending `as_of`, then recording order (`seq`). */
export interface PriceCursor {
  asOf: Date;
  seq: number;
}

export async function insertPrice(db: Db, row: Omit<MarketPriceRow, 'seq'>): Promise<MarketPriceRow> {
  const [inserted] = await db.insert(marketPrices).values(row).returning();
  return inserted!;
}

export async function findPrice(
  db: Db,
  mineralCode: string,
  id: string,
): Promise<MarketPriceRow | undefined> {
  const [row] = await db
    .select()
    .from(marketPrices)
    .where(and(eq(marketPrices.mineralCode, mineralCode), eq(marketPrices.id, id)));
  return row;
}

/** A mineral's prices with `from ≤ asOf < to`, ascending `asOf`, ties in recording order. */
export function listPrices(
  db: Db,
  mineralCode: string,
  range: { from?: Date; to?: Date },
  cursor: PriceCursor | undefined,
  limit: number,
): Promise<MarketPriceRow[]> {
  return db
    .select()
    .from(marketPrices)
    .where(
      and(
        eq(marketPrices.mineralCode, mineralCode),
        range.from ? gte(marketPrices.asOf, range.from) : undefined,
        range.to ? lt(marketPrices.asOf, range.to) : undefined,
        cursor
          ? sql`(${marketPrices.asOf}, ${marketPrices.seq}) > (${cursor.asOf.toISOString()}::timestamptz, ${cursor.seq}::bigint)`
          : undefined,
      ),
    )
    .orderBy(asc(marketPrices.asOf), asc(marketPrices.seq))
    .limit(limit + 1);
}

/**
 * The market price of `mineralCode` (a column or a value) at time `at`: the recorded price with the
 * greatest `as_of ≤ at`, ties to the one recorded last. One descent of `market_prices_lookup_idx`
 * (mineral_code, as_of DESC, seq DESC), never a scan of the history. For a LEFT JOIN LATERAL.
 */
export const marketPriceAt = (db: Db, mineralCode: SQL.Aliased | SQL | typeof minerals.code, at: SQL) =>
  db
    .select({ price: marketPrices.price, asOf: marketPrices.asOf })
    .from(marketPrices)
    .where(and(eq(marketPrices.mineralCode, mineralCode as typeof minerals.code), lte(marketPrices.asOf, at)))
    .orderBy(desc(marketPrices.asOf), desc(marketPrices.seq))
    .limit(1)
    .as('market');

/** The same rule as a scalar subquery returning the price as text (or null), for a select list. */
export const marketPriceTextAt = (mineralCode: SQL | Placeholder | typeof minerals.code, at: SQL) =>
  sql<string | null>`(select ${marketPrices.price}::text from ${marketPrices}
    where ${marketPrices.mineralCode} = ${mineralCode} and ${marketPrices.asOf} <= ${at}
    order by ${marketPrices.asOf} desc, ${marketPrices.seq} desc limit 1)`;
