import { sql } from 'drizzle-orm';
import { check, index, integer, numeric, pgTable, primaryKey, text, uuid } from 'drizzle-orm/pg-core';
import { instant, money, quantity, unitPrice } from '../../db/columns.js';
import { agreements, PRIORITY_CLASSES } from '../agreements/agreements.table.js';
import { allocationRounds } from '../allocation-rounds/allocation-rounds.table.js';
import { companies } from '../companies/companies.table.js';
import { disruptions } from '../disruptions/disruptions.table.js';
import { lots } from '../lots/lots.table.js';
import { minerals } from '../minerals/minerals.table.js';

export const DRAW_STATUSES = ['pending', 'queued', 'approved', 'rejected', 'cancelled', 'fulfilled'] as const;
export type DrawStatus = (typeof DRAW_STATUSES)[number];

/** A draw request. The agreement's terms are copied in at submission: terminating it changes nothing here. */
export const draws = pgTable(
  'draws',
  {
    id: uuid('id').primaryKey(),
    companyId: uuid('company_id')
      .notNull()
      .references(() => companies.id),
    mineralCode: text('mineral_code')
      .notNull()
      .references(() => minerals.code),
    agreementId: uuid('agreement_id')
      .notNull()
      .references(() => agreements.id),
    quantity: quantity('quantity').notNull(),
    /** The quantity asked for; `quantity` differs only after an allocation round granted less. */
    requestedQuantity: quantity('requested_quantity').notNull(),
    unitPrice: unitPrice('unit_price').notNull(),
    currency: text('currency').notNull(),
    amount: money('amount').notNull(),
    replenishmentDays: integer('replenishment_days').notNull(),
    premiumPercent: numeric('premium_percent', { precision: 5, scale: 2 }).notNull(),
    status: text('status', { enum: DRAW_STATUSES }).notNull(),
    priorityClass: text('priority_class', { enum: PRIORITY_CLASSES }).notNull().default('unrated'),
    disruptionId: uuid('disruption_id').references(() => disruptions.id),
    allocationRoundId: uuid('allocation_round_id').references(() => allocationRounds.id),
    depotId: uuid('depot_id'),
    note: text('note'),
    reason: text('reason'),
    obligationId: uuid('obligation_id'),
    createdAt: instant('created_at').notNull(),
    updatedAt: instant('updated_at').notNull(),
    decidedAt: instant('decided_at'),
    fulfilledAt: instant('fulfilled_at'),
    // The market price at submission (null when the mineral had none) and the hedge value it implies.
    marketPrice: unitPrice('market_price'),
    hedgeValue: money('hedge_value'),
  },
  (t) => [
    index('draws_holds_idx').on(t.companyId, t.mineralCode, t.status),
    index('draws_created_idx').on(t.createdAt, t.id),
    // An allocation round reads a mineral's queue in this order.
    index('draws_queue_idx')
      .on(t.mineralCode, t.createdAt, t.id)
      .where(sql`${t.status} = 'queued'`),
    index('draws_round_idx').on(t.allocationRoundId),
    check('draws_quantity_check', sql`${t.quantity} > 0`),
    check(
      'draws_status_check',
      sql`${t.status} in ('pending', 'queued', 'approved', 'rejected', 'cancelled', 'fulfilled')`,
    ),
    check('draws_requested_quantity_check', sql`${t.quantity} <= ${t.requestedQuantity}`),
    check('draws_priority_class_check', sql`${t.priorityClass} in ('DX', 'DO', 'unrated')`),
  ],
);
export type DrawRow = typeof draws.$inferSelect;

export const drawAllocations = pgTable(
  'draw_allocations',
  {
    drawId: uuid('draw_id')
      .notNull()
      .references(() => draws.id),
    lotId: uuid('lot_id')
      .notNull()
      .references(() => lots.id),
    quantity: quantity('quantity').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.drawId, t.lotId] }),
    check('draw_allocations_quantity_check', sql`${t.quantity} > 0`),
  ],
);
export type DrawAllocationRow = typeof drawAllocations.$inferSelect;

/**
 * What each company's open draws of a mineral take of its entitlement: `held`, the quantity of its
 * pending and approved draws (their holds), and `queued`, that of its queued draws. Kept by statement
 * triggers on `draws` (migration 0008), in the transaction that changes the draws, so a submission
 * reads one row instead of summing every open draw (a sum that grew with the open holds and slowed a
 * long run). Every draw change that moves these happens under the mineral's lock.
 */
export const entitlementUse = pgTable(
  'entitlement_use',
  {
    companyId: uuid('company_id')
      .notNull()
      .references(() => companies.id),
    mineralCode: text('mineral_code')
      .notNull()
      .references(() => minerals.code),
    held: quantity('held').notNull().default('0'),
    queued: quantity('queued').notNull().default('0'),
  },
  (t) => [
    primaryKey({ columns: [t.companyId, t.mineralCode] }),
    check('entitlement_use_check', sql`${t.held} >= 0 and ${t.queued} >= 0`),
  ],
);
