import { sql } from 'drizzle-orm';
import { check, index, pgTable, text, uuid } from 'drizzle-orm/pg-core';
import { instant, money, quantity } from '../../db/columns.js';
import { companies } from '../companies/companies.table.js';
import { draws } from '../draws/draws.table.js';
import { lots } from '../lots/lots.table.js';
import { minerals } from '../minerals/minerals.table.js';

export const OBLIGATION_STATUSES = ['open', 'partially_fulfilled', 'fulfilled', 'settled'] as const;
export type ObligationStatus = (typeof OBLIGATION_STATUSES)[number];

export const obligations = pgTable(
  'obligations',
  {
    id: uuid('id').primaryKey(),
    companyId: uuid('company_id')
      .notNull()
      .references(() => companies.id),
    drawId: uuid('draw_id')
      .notNull()
      .unique()
      .references(() => draws.id),
    mineralCode: text('mineral_code')
      .notNull()
      .references(() => minerals.code),
    quantityDue: quantity('quantity_due').notNull(),
    quantityDelivered: quantity('quantity_delivered').notNull().default('0'),
    dueAt: instant('due_at').notNull(),
    status: text('status', { enum: OBLIGATION_STATUSES }).notNull(),
    settlementAmount: money('settlement_amount'),
    settlementReason: text('settlement_reason'),
    createdAt: instant('created_at').notNull(),
    updatedAt: instant('updated_at').notNull(),
  },
  (t) => [
    index('obligations_company_idx').on(t.companyId, t.mineralCode, t.status),
    index('obligations_created_idx').on(t.createdAt, t.id),
    check(
      'obligations_delivered_check',
      sql`${t.quantityDelivered} >= 0 and ${t.quantityDelivered} <= ${t.quantityDue}`,
    ),
    check(
      'obligations_status_check',
      sql`${t.status} in ('open', 'partially_fulfilled', 'fulfilled', 'settled')`,
    ),
  ],
);
export type ObligationRow = typeof obligations.$inferSelect;

export const obligationDeliveries = pgTable(
  'obligation_deliveries',
  {
    id: uuid('id').primaryKey(),
    obligationId: uuid('obligation_id')
      .notNull()
      .references(() => obligations.id),
    quantity: quantity('quantity').notNull(),
    lotId: uuid('lot_id')
      .notNull()
      .references(() => lots.id),
    receivedAt: instant('received_at').notNull(),
    createdAt: instant('created_at').notNull(),
  },
  (t) => [
    index('obligation_deliveries_obligation_idx').on(t.obligationId, t.createdAt),
    check('obligation_deliveries_quantity_check', sql`${t.quantity} > 0`),
  ],
);
export type ObligationDeliveryRow = typeof obligationDeliveries.$inferSelect;
