import { sql } from 'drizzle-orm';
import {
  boolean,
  check,
  index,
  integer,
  pgTable,
  primaryKey,
  text,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';
import { instant } from '../../db/columns.js';
import { minerals } from '../minerals/minerals.table.js';

export const DISRUPTION_LEVELS = ['alert', 'emergency'] as const;
export type DisruptionLevel = (typeof DISRUPTION_LEVELS)[number];
/** A mineral's level: its active disruption's, else none. */
export type MineralLevel = DisruptionLevel | 'none';
export const DISRUPTION_STATUSES = ['active', 'ended'] as const;

/** A declared supply disruption covering one or more minerals. */
export const disruptions = pgTable(
  'disruptions',
  {
    id: uuid('id').primaryKey(),
    title: text('title').notNull(),
    description: text('description'),
    level: text('level', { enum: DISRUPTION_LEVELS }).notNull(),
    status: text('status', { enum: DISRUPTION_STATUSES }).notNull(),
    declaredAt: instant('declared_at').notNull(),
    endedAt: instant('ended_at'),
    endReason: text('end_reason'),
    createdAt: instant('created_at').notNull(),
    updatedAt: instant('updated_at').notNull(),
  },
  (t) => [
    index('disruptions_created_idx').on(t.createdAt, t.id),
    check('disruptions_level_check', sql`${t.level} in ('alert', 'emergency')`),
    check('disruptions_status_check', sql`${t.status} in ('active', 'ended')`),
    check('disruptions_ended_check', sql`(${t.status} = 'ended') = (${t.endedAt} is not null)`),
  ],
);
export type DisruptionRow = typeof disruptions.$inferSelect;

/**
 * The minerals a disruption covers, in the order declared. `active` mirrors the disruption's status and
 * is cleared when it ends, so the partial unique index below is the database's own guarantee of "at
 * most one active disruption per mineral": a second declaration cannot commit, whatever the timing.
 */
export const disruptionMinerals = pgTable(
  'disruption_minerals',
  {
    disruptionId: uuid('disruption_id')
      .notNull()
      .references(() => disruptions.id),
    mineralCode: text('mineral_code')
      .notNull()
      .references(() => minerals.code),
    position: integer('position').notNull(),
    active: boolean('active').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.disruptionId, t.mineralCode] }),
    uniqueIndex('disruption_minerals_one_active_idx').on(t.mineralCode).where(sql`${t.active}`),
    index('disruption_minerals_mineral_idx').on(t.mineralCode, t.disruptionId),
  ],
);
export type DisruptionMineralRow = typeof disruptionMinerals.$inferSelect;
