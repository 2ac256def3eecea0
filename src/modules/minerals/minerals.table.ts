import { sql } from 'drizzle-orm';
import { check, integer, pgTable, text } from 'drizzle-orm/pg-core';
import { instant, quantity, unitPrice } from '../../db/columns.js';

/**
 * A mineral and its stock position. `on_hand` (Σ lots) and `reserved` (Σ open holds) live on the
 * mineral row so that locking this one row serializes every change to the mineral's stock.
 */
export const minerals = pgTable(
  'minerals',
  {
    code: text('code').primaryKey(),
    name: text('name').notNull(),
    unit: text('unit', { enum: ['kg', 't'] }).notNull(),
    minimumReserve: quantity('minimum_reserve').notNull().default('0'),
    onHand: quantity('on_hand').notNull().default('0'),
    reserved: quantity('reserved').notNull().default('0'),
    /** Σ quantities of the mineral's queued draws (crisis rationing): kept here like `reserved`. */
    queued: quantity('queued').notNull().default('0'),
    // Market settings: the allied price floor (a unit price), national consumption per day (a quantity)
    // and the coverage target in days. See src/modules/valuation/valuation.rules.ts.
    floorPrice: unitPrice('floor_price'),
    dailyConsumption: quantity('daily_consumption'),
    targetCoverageDays: integer('target_coverage_days').notNull().default(60),
    createdAt: instant('created_at').notNull(),
    updatedAt: instant('updated_at').notNull(),
  },
  (t) => [
    check('minerals_unit_check', sql`${t.unit} in ('kg', 't')`),
    check('minerals_minimum_reserve_check', sql`${t.minimumReserve} >= 0`),
    check('minerals_on_hand_check', sql`${t.onHand} >= 0`),
    check('minerals_queued_check', sql`${t.queued} >= 0`),
    check('minerals_reserved_check', sql`${t.reserved} >= 0 and ${t.reserved} <= ${t.onHand}`),
    check('minerals_floor_price_check', sql`${t.floorPrice} > 0`),
    check('minerals_daily_consumption_check', sql`${t.dailyConsumption} > 0`),
    check('minerals_target_coverage_days_check', sql`${t.targetCoverageDays} between 1 and 3650`),
  ],
);
export type MineralRow = typeof minerals.$inferSelect;
