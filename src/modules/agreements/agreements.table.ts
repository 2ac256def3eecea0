import { sql } from 'drizzle-orm';
import { check, index, integer, numeric, pgTable, text, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { instant, quantity, unitPrice } from '../../db/columns.js';
import { companies } from '../companies/companies.table.js';
import { minerals } from '../minerals/minerals.table.js';

/** Priority ratings, highest first (as in defence priority ratings: DX before DO before unrated). */
export const PRIORITY_CLASSES = ['DX', 'DO', 'unrated'] as const;
export type PriorityClass = (typeof PRIORITY_CLASSES)[number];

export const agreements = pgTable(
  'agreements',
  {
    id: uuid('id').primaryKey(),
    companyId: uuid('company_id')
      .notNull()
      .references(() => companies.id),
    mineralCode: text('mineral_code')
      .notNull()
      .references(() => minerals.code),
    unitPrice: unitPrice('unit_price').notNull(),
    currency: text('currency').notNull().default('USD'),
    maxOutstanding: quantity('max_outstanding').notNull(),
    replenishmentDays: integer('replenishment_days').notNull(),
    premiumPercent: numeric('premium_percent', { precision: 5, scale: 2 }).notNull(),
    priorityClass: text('priority_class', { enum: PRIORITY_CLASSES }).notNull().default('unrated'),
    /** The share of maxOutstanding a company may use outside an emergency, in percent. */
    routineLimitPercent: numeric('routine_limit_percent', { precision: 5, scale: 2 })
      .notNull()
      .default('100'),
    status: text('status', { enum: ['active', 'terminated'] }).notNull(),
    createdAt: instant('created_at').notNull(),
    terminatedAt: instant('terminated_at'),
  },
  (t) => [
    // The contract's "at most one active agreement per company and mineral", enforced by the database.
    uniqueIndex('agreements_one_active_idx')
      .on(t.companyId, t.mineralCode)
      .where(sql`${t.status} = 'active'`),
    index('agreements_created_idx').on(t.createdAt, t.id),
    check('agreements_status_check', sql`${t.status} in ('active', 'terminated')`),
    check('agreements_max_outstanding_check', sql`${t.maxOutstanding} > 0`),
    check('agreements_unit_price_check', sql`${t.unitPrice} >= 0`),
    check('agreements_days_check', sql`${t.replenishmentDays} >= 0`),
    check('agreements_priority_class_check', sql`${t.priorityClass} in ('DX', 'DO', 'unrated')`),
    check(
      'agreements_routine_limit_check',
      sql`${t.routineLimitPercent} > 0 and ${t.routineLimitPercent} <= 100`,
    ),
    check('agreements_premium_check', sql`${t.premiumPercent} >= 0 and ${t.premiumPercent} <= 100`),
  ],
);
export type AgreementRow = typeof agreements.$inferSelect;
