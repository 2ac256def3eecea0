import { sql } from 'drizzle-orm';
import { check, index, integer, pgTable, primaryKey, text, uuid } from 'drizzle-orm/pg-core';
import { instant, quantity } from '../../db/columns.js';
import { PRIORITY_CLASSES } from '../agreements/agreements.table.js';
import { companies } from '../companies/companies.table.js';
import { disruptions } from '../disruptions/disruptions.table.js';
import { minerals } from '../minerals/minerals.table.js';

/** A completed allocation round: the figures it rationed by. Its decisions are in the allocations. */
export const allocationRounds = pgTable(
  'allocation_rounds',
  {
    id: uuid('id').primaryKey(),
    mineralCode: text('mineral_code')
      .notNull()
      .references(() => minerals.code),
    disruptionId: uuid('disruption_id').references(() => disruptions.id),
    level: text('level', { enum: ['none', 'alert', 'emergency'] }).notNull(),
    supply: quantity('supply').notNull(),
    requestedTotal: quantity('requested_total').notNull(),
    allocatedTotal: quantity('allocated_total').notNull(),
    floorUsed: quantity('floor_used').notNull(),
    createdAt: instant('created_at').notNull(),
  },
  (t) => [
    index('allocation_rounds_created_idx').on(t.createdAt, t.id),
    index('allocation_rounds_mineral_idx').on(t.mineralCode, t.createdAt, t.id),
    check('allocation_rounds_level_check', sql`${t.level} in ('none', 'alert', 'emergency')`),
    check('allocation_rounds_supply_check', sql`${t.supply} > 0`),
    check(
      'allocation_rounds_totals_check',
      sql`${t.allocatedTotal} >= 0 and ${t.allocatedTotal} <= ${t.supply} and ${t.allocatedTotal} <= ${t.requestedTotal} and ${t.floorUsed} >= 0`,
    ),
  ],
);
export type AllocationRoundRow = typeof allocationRounds.$inferSelect;

/** One decided draw of a round, at its position in the round's order (class, createdAt, id). */
export const allocationRoundAllocations = pgTable(
  'allocation_round_allocations',
  {
    roundId: uuid('round_id')
      .notNull()
      .references(() => allocationRounds.id),
    position: integer('position').notNull(),
    // Not a foreign key to draws: the draws are updated in the same transaction, and the round is the
    // record of what was decided; a draw is decided by at most one round (draws.allocation_round_id).
    drawId: uuid('draw_id').notNull(),
    companyId: uuid('company_id')
      .notNull()
      .references(() => companies.id),
    priorityClass: text('priority_class', { enum: PRIORITY_CLASSES }).notNull(),
    requested: quantity('requested').notNull(),
    allocated: quantity('allocated').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.roundId, t.position] }),
    check(
      'allocation_round_allocations_check',
      sql`${t.requested} > 0 and ${t.allocated} >= 0 and ${t.allocated} <= ${t.requested}`,
    ),
  ],
);
export type AllocationRoundAllocationRow = typeof allocationRoundAllocations.$inferSelect;
