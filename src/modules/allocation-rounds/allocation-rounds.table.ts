import { sql } from 'drizzle-orm';
import { check, index, json, pgTable, text, uuid } from 'drizzle-orm/pg-core';
import { instant, quantity } from '../../db/columns.js';
import type { PriorityClass } from '../agreements/agreements.table.js';
import { disruptions } from '../disruptions/disruptions.table.js';
import { minerals } from '../minerals/minerals.table.js';

/** One decided draw of a round, as the API shows it (quantities as normalised decimal text). */
export interface StoredAllocation {
  drawId: string;
  companyId: string;
  priorityClass: PriorityClass;
  requested: string;
  allocated: string;
}

/**
 * A completed allocation round: the figures it rationed by, and its decisions in the round's order
 * (class, createdAt, id). The decisions are one document, written once with the round and only ever
 * read whole with it: a row per decision cost a 10,000-draw round a fifth of its database time, two
 * thirds of that in foreign-key checks of ids copied from draws that the same transaction holds under
 * the mineral's lock (BENCHMARKS.md). Each decided draw points back at its round
 * (draws.allocation_round_id, a foreign key).
 */
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
    allocations: json('allocations').$type<StoredAllocation[]>().notNull(),
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
    check('allocation_rounds_allocations_array', sql`json_typeof(${t.allocations}) = 'array'`),
  ],
);
export type AllocationRoundRow = typeof allocationRounds.$inferSelect;
