import { sql } from 'drizzle-orm';
import { bigint, check, index, numeric, pgTable, text, uuid } from 'drizzle-orm/pg-core';
import { instant, quantity, unitPrice } from '../../db/columns.js';
import { minerals } from '../minerals/minerals.table.js';

/**
 * The market price history, append-only (a trigger rejects UPDATE, DELETE and TRUNCATE): a price is
 * a fact observed at `as_of`, corrected by recording a newer one, never by editing. `seq` is the
 * recording order, which breaks ties between prices with the same `as_of` ("the one recorded last").
 */
export const marketPrices = pgTable(
  'market_prices',
  {
    id: uuid('id').primaryKey(),
    seq: bigint('seq', { mode: 'number' }).notNull().generatedAlwaysAsIdentity(),
    mineralCode: text('mineral_code')
      .notNull()
      .references(() => minerals.code),
    price: unitPrice('price').notNull(),
    asOf: instant('as_of').notNull(),
    source: text('source').notNull(),
    createdAt: instant('created_at').notNull(),
  },
  (t) => [
    // The "latest as_of ≤ T" lookup (ORDER BY as_of DESC, seq DESC LIMIT 1) is one backward descent
    // of this index, however long the history; the list (ascending) walks it forwards. Ascending on
    // purpose: drizzle writes DESC columns as DESC NULLS LAST, which a plain ORDER BY … DESC (NULLS
    // FIRST) cannot use, and the planner then sorts the whole history of the mineral.
    index('market_prices_lookup_idx').on(t.mineralCode, t.asOf, t.seq),
    check('market_prices_price_check', sql`${t.price} > 0`),
  ],
);
export type MarketPriceRow = typeof marketPrices.$inferSelect;

/**
 * Per mineral, what its lots are worth at cost: Σ quantity_on_hand of lots with a unit cost, Σ
 * quantity_on_hand × unit_cost over them (exact, unbounded scale) and Σ quantity_on_hand of lots
 * without one. Maintained by a trigger on `lots` in the transaction of every lot change (see the
 * migration's custom SQL), so the valuation reads one row per mineral instead of aggregating every
 * lot on each request. Every lot change already holds its mineral's row lock, so keeping this row
 * up to date adds no contention.
 */
export const lotValueTotals = pgTable(
  'lot_value_totals',
  {
    mineralCode: text('mineral_code')
      .primaryKey()
      .references(() => minerals.code),
    costedOnHand: quantity('costed_on_hand').notNull().default('0'),
    bookValue: numeric('book_value').notNull().default('0'),
    unvaluedOnHand: quantity('unvalued_on_hand').notNull().default('0'),
  },
  (t) => [
    check(
      'lot_value_totals_non_negative',
      sql`${t.costedOnHand} >= 0 and ${t.bookValue} >= 0 and ${t.unvaluedOnHand} >= 0`,
    ),
  ],
);
export type LotValueTotalsRow = typeof lotValueTotals.$inferSelect;
