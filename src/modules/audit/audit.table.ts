import { sql } from 'drizzle-orm';
import { bigint, check, customType, index, integer, pgTable, text } from 'drizzle-orm/pg-core';
import { instant } from '../../db/columns.js';

/**
 * A `json` (not `jsonb`) column that the audit appender writes as JCS text (RFC 8785, see
 * `appendEvents`). `json` keeps the text byte for byte, so the database can assemble an event's
 * canonical body from the columns by concatenation and the verifier only has to hash it: canonicalising
 * in JavaScript was most of the cost of `verify`. `jsonb` would reorder keys (by length first) and add
 * spaces. (`canonicalize` is ESM-only and drizzle-kit loads this file as CommonJS, hence no JCS here.)
 */
const canonicalJson = <T>(name: string) =>
  customType<{ data: T; driverData: string | T }>({
    dataType: () => 'json',
    toDriver: (value) => JSON.stringify(value),
    // postgres.js and PGlite both parse `json` already; a string here would be unparsed JSON text.
    fromDriver: (value) => (typeof value === 'string' ? (JSON.parse(value) as T) : value),
  })(name);

/** Append-only: UPDATE, DELETE and TRUNCATE are rejected by triggers (see the custom migration). */
export const auditEvents = pgTable(
  'audit_events',
  {
    seq: bigint('seq', { mode: 'number' }).primaryKey(),
    occurredAt: instant('occurred_at').notNull(),
    actor: canonicalJson<{ sub: string; role: string; companyId: string | null }>('actor').notNull(),
    action: text('action').notNull(),
    entityType: text('entity_type').notNull(),
    entityId: text('entity_id').notNull(),
    data: canonicalJson<Record<string, unknown>>('data').notNull(),
    requestId: text('request_id').notNull(),
    prevHash: text('prev_hash').notNull(),
    hash: text('hash').notNull(),
  },
  (t) => [
    // Values that need no JSON escaping, by construction: the export renders these five columns
    // between plain quotes, and an NDJSON line must never hold a raw CR or LF (see `openCanonicalBody`).
    // 64 lowercase hex digits. Written as a length and an unbounded class: PostgreSQL's regex engine
    // runs `{64}` as 64 states, which cost an allocation round's 10,001-event insert about a tenth (migration 0009).
    check(
      'audit_events_hashes_hex',
      sql`length(${t.hash}) = 64 and ${t.hash} ~ '^[0-9a-f]*$' and length(${t.prevHash}) = 64 and ${t.prevHash} ~ '^[0-9a-f]*$'`,
    ),
    check('audit_events_action_shape', sql`${t.action} ~ '^[a-z_]+\\.[a-z_]+$'`),
    check('audit_events_entity_type_shape', sql`${t.entityType} ~ '^[a-z_]+$'`),
    // Ids and mineral codes: UUIDs and `[A-Z0-9_]`.
    check('audit_events_entity_id_shape', sql`${t.entityId} ~ '^[A-Za-z0-9_-]+$'`),
    check(
      'audit_events_json_one_line',
      sql`strpos(${t.actor}::text, E'\\n') = 0 and strpos(${t.actor}::text, E'\\r') = 0
        and strpos(${t.data}::text, E'\\n') = 0 and strpos(${t.data}::text, E'\\r') = 0`,
    ),
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
