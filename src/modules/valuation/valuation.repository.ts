import { asc, eq, sql } from 'drizzle-orm';
import type { Db } from '../../db/types.js';
import { minerals } from '../minerals/minerals.table.js';
import { marketPriceAt } from '../prices/prices.repository.js';
import { lotValueTotals } from '../prices/prices.table.js';
import type { ValuationInput } from './valuation.rules.js';

/**
 * Everything the valuation needs, for every mineral, in ONE statement: the mineral row (stock,
 * floor, consumption, target), its lots' exact cost totals (`lot_value_totals`, kept by a trigger on
 * lots) and its market price at `at` (one index descent per mineral, LEFT JOIN LATERAL). No query per
 * mineral or per lot; the values come back exact and unrounded, the service rounds them.
 */
export function valuationInputs(db: Db, at: Date): Promise<ValuationInput[]> {
  const market = marketPriceAt(db, minerals.code, sql`${at.toISOString()}::timestamptz`);
  return db
    .select({
      mineralCode: minerals.code,
      unit: minerals.unit,
      onHand: minerals.onHand,
      reserved: minerals.reserved,
      bookValue: sql<string>`coalesce(${lotValueTotals.bookValue}, 0)::text`,
      costedOnHand: sql<string>`coalesce(${lotValueTotals.costedOnHand}, 0)::text`,
      unvaluedOnHand: sql<string>`coalesce(${lotValueTotals.unvaluedOnHand}, 0)::text`,
      marketPrice: market.price,
      floorPrice: minerals.floorPrice,
      dailyConsumption: minerals.dailyConsumption,
      targetCoverageDays: minerals.targetCoverageDays,
    })
    .from(minerals)
    .leftJoin(lotValueTotals, eq(lotValueTotals.mineralCode, minerals.code))
    .leftJoinLateral(market, sql`true`)
    .orderBy(asc(minerals.code));
}
