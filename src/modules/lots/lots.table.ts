import { sql } from 'drizzle-orm';
import { bigint, check, index, pgTable, text, uuid } from 'drizzle-orm/pg-core';
import { instant, quantity, unitPrice } from '../../db/columns.js';
import { depots } from '../depots/depots.table.js';
import { minerals } from '../minerals/minerals.table.js';

export const lots = pgTable(
  'lots',
  {
    id: uuid('id').primaryKey(),
    mineralCode: text('mineral_code')
      .notNull()
      .references(() => minerals.code),
    depotId: uuid('depot_id')
      .notNull()
      .references(() => depots.id),
    quantityReceived: quantity('quantity_received').notNull(),
    quantityOnHand: quantity('quantity_on_hand').notNull(),
    originCountry: text('origin_country').notNull(),
    grade: text('grade'),
    unitCost: unitPrice('unit_cost'),
    source: text('source', { enum: ['procurement', 'replenishment'] }).notNull(),
    reference: text('reference'),
    receivedAt: instant('received_at').notNull(),
    createdAt: instant('created_at').notNull(),
  },
  (t) => [
    index('lots_mineral_received_idx').on(t.mineralCode, t.receivedAt),
    index('lots_created_idx').on(t.createdAt, t.id),
    check('lots_quantity_received_check', sql`${t.quantityReceived} > 0`),
    check('lots_quantity_on_hand_check', sql`${t.quantityOnHand} >= 0`),
    check('lots_source_check', sql`${t.source} in ('procurement', 'replenishment')`),
  ],
);
export type LotRow = typeof lots.$inferSelect;

export const lotAdjustments = pgTable(
  'lot_adjustments',
  {
    id: uuid('id').primaryKey(),
    lotId: uuid('lot_id')
      .notNull()
      .references(() => lots.id),
    quantityDelta: quantity('quantity_delta').notNull(),
    reason: text('reason').notNull(),
    quantityOnHandAfter: quantity('quantity_on_hand_after').notNull(),
    createdAt: instant('created_at').notNull(),
  },
  (t) => [check('lot_adjustments_delta_check', sql`${t.quantityDelta} <> 0`)],
);
export type LotAdjustmentRow = typeof lotAdjustments.$inferSelect;

/**
 * The inventory ledger: one row per stock movement, written in the same transaction as the movement.
 * Per mineral, rows are written while the mineral row is locked, so `seq` order is the order in which
 * `balance_after` evolved. Append-only: UPDATE, DELETE and TRUNCATE are rejected by triggers (see the
 * custom SQL of the ledger-backstops migration), like the audit log's.
 */
export const stockMovements = pgTable(
  'stock_movements',
  {
    seq: bigint('seq', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    at: instant('at').notNull(),
    mineralCode: text('mineral_code')
      .notNull()
      .references(() => minerals.code),
    depotId: uuid('depot_id')
      .notNull()
      .references(() => depots.id),
    lotId: uuid('lot_id')
      .notNull()
      .references(() => lots.id),
    kind: text('kind', { enum: ['receipt', 'draw', 'replenishment', 'adjustment'] }).notNull(),
    quantity: quantity('quantity').notNull(),
    balanceAfter: quantity('balance_after').notNull(),
    reference: text('reference'),
  },
  (t) => [
    index('stock_movements_mineral_idx').on(t.mineralCode, t.seq),
    index('stock_movements_at_idx').on(t.at),
    check('stock_movements_kind_check', sql`${t.kind} in ('receipt', 'draw', 'replenishment', 'adjustment')`),
    check('stock_movements_balance_check', sql`${t.balanceAfter} >= 0`),
  ],
);
