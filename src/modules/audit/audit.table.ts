import { sql } from 'drizzle-orm';
import { bigint, check, index, integer, jsonb, pgTable, text } from 'drizzle-orm/pg-core';
import { instant } from '../../db/columns.js';

/** Append-only: UPDATE, DELETE and TRUNCATE are rejected by triggers (see the custom migration). */
export const auditEvents = pgTable(
  'audit_events',
  {
    seq: bigint('seq', { mode: 'number' }).primaryKey(),
    occurredAt: instant('occurred_at').notNull(),
    actor: jsonb('actor').notNull().$type<{ sub: string; role: string; companyId: string | null }>(),
    action: text('action').notNull(),
    entityType: text('entity_type').notNull(),
    entityId: text('entity_id').notNull(),
    data: jsonb('data').notNull().$type<Record<string, unknown>>(),
    requestId: text('request_id').notNull(),
    prevHash: text('prev_hash').notNull(),
    hash: text('hash').notNull(),
  },
  (t) => [
    index('audit_events_entity_idx').on(t.entityType, t.entityId, t.seq),
    index('audit_events_action_idx').on(t.action, t.seq),
    index('audit_events_occurred_idx').on(t.occurredAt),
  ],
);
export type AuditEventRow = typeof auditEvents.$inferSelect;

/**
 * The chain head: one row, advanced with `UPDATE … RETURNING` inside every writing transaction. The
 * row lock it takes is what serializes appenders across processes (and keeps `seq` gapless, because a
 * rolled-back transaction rolls the head back too).
 */
export const auditHead = pgTable(
  'audit_head',
  {
    id: integer('id').primaryKey(),
    seq: bigint('seq', { mode: 'number' }).notNull(),
    hash: text('hash').notNull(),
  },
  (t) => [check('audit_head_single_row', sql`${t.id} = 1`)],
);
