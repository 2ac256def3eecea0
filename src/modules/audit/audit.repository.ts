import { and, asc, eq, gt, gte, lt, lte, type SQL, sql } from 'drizzle-orm';
import type { DriverRow, SeqQuery } from '../../db/stream.js';
import type { Db } from '../../db/types.js';
import type { Ctx } from '../../domain/actor.js';
import { type AuditEvent, chainHash } from './audit.chain.js';
import { type AuditEventRow, auditEvents, auditHead } from './audit.table.js';

/** One event as a service describes it; seq, time, actor and hashes are added when it is appended. */
export interface AuditEntry {
  action: string;
  entityType: string;
  entityId: string;
  data: Record<string, unknown>;
}

export const toAuditEvent = (row: AuditEventRow): AuditEvent => ({
  seq: row.seq,
  occurredAt: row.occurredAt.toISOString(),
  actor: { sub: row.actor.sub, role: row.actor.role, companyId: row.actor.companyId ?? null },
  action: row.action,
  entityType: row.entityType,
  entityId: row.entityId,
  data: row.data,
  requestId: row.requestId,
  prevHash: row.prevHash,
  hash: row.hash,
});

/**
 * Appends events to the hash chain inside the caller's transaction. Advancing the one-row head with
 * `UPDATE … RETURNING` takes its row lock, so concurrent appenders (in any process) queue on it and
 * each sees the hash its predecessor committed. Call it last in a transaction (lock order, step 5).
 */
export async function appendEvents(db: Db, ctx: Ctx, at: Date, entries: AuditEntry[]): Promise<AuditEvent[]> {
  if (entries.length === 0) return [];
  const [head] = await db
    .update(auditHead)
    .set({ seq: sql`${auditHead.seq} + ${entries.length}` })
    .where(eq(auditHead.id, 1))
    .returning({ seq: auditHead.seq, prevHash: auditHead.hash });
  if (!head) throw new Error('audit_head row is missing: migrations did not run');
  let seq = head.seq - entries.length;
  let prevHash = head.prevHash;
  const occurredAt = at.toISOString();
  const actor = { sub: ctx.actor.sub, role: ctx.actor.role, companyId: ctx.actor.companyId };
  const events: AuditEvent[] = entries.map((entry) => {
    seq++;
    const body = { seq, occurredAt, actor, requestId: ctx.requestId, ...entry };
    const hash = chainHash(prevHash, body);
    const event = { ...body, prevHash, hash };
    prevHash = hash;
    return event;
  });
  // Every appender in every process waits on the head's row lock until this transaction commits: the
  // events and the new head hash go out in one pipelined round trip, not two.
  await Promise.all([
    db.insert(auditEvents).values(
      events.map((e) => ({
        seq: e.seq,
        occurredAt: at,
        actor: e.actor,
        action: e.action,
        entityType: e.entityType,
        entityId: e.entityId,
        data: e.data as Record<string, unknown>,
        requestId: e.requestId,
        prevHash: e.prevHash,
        hash: e.hash,
      })),
    ),
    db.update(auditHead).set({ hash: prevHash }).where(eq(auditHead.id, 1)),
  ]);
  return events;
}

export interface AuditFilter {
  afterSeq?: number;
  fromSeq?: number;
  toSeq?: number;
  entityType?: string;
  entityId?: string;
  action?: string;
  from?: Date;
  to?: Date;
}

function whereOf(filter: AuditFilter): SQL | undefined {
  const conditions: SQL[] = [];
  if (filter.afterSeq !== undefined) conditions.push(gt(auditEvents.seq, filter.afterSeq));
  if (filter.fromSeq !== undefined) conditions.push(gte(auditEvents.seq, filter.fromSeq));
  if (filter.toSeq !== undefined) conditions.push(lte(auditEvents.seq, filter.toSeq));
  if (filter.entityType) conditions.push(eq(auditEvents.entityType, filter.entityType));
  if (filter.entityId) conditions.push(eq(auditEvents.entityId, filter.entityId));
  if (filter.action) conditions.push(eq(auditEvents.action, filter.action));
  if (filter.from) conditions.push(gte(auditEvents.occurredAt, filter.from));
  if (filter.to) conditions.push(lt(auditEvents.occurredAt, filter.to));
  return conditions.length ? and(...conditions) : undefined;
}

export async function listEvents(db: Db, filter: AuditFilter, limit: number): Promise<AuditEvent[]> {
  const rows = await db
    .select()
    .from(auditEvents)
    .where(whereOf(filter))
    .orderBy(asc(auditEvents.seq))
    .limit(limit);
  return rows.map(toAuditEvent);
}

export async function readHead(db: Db): Promise<{ seq: number; hash: string }> {
  const [head] = await db.select({ seq: auditHead.seq, hash: auditHead.hash }).from(auditHead);
  if (!head) throw new Error('audit_head row is missing: migrations did not run');
  return head;
}

/**
 * Events `fromSeq..toSeq` (inclusive) in seq order, for streaming (exports, verification). Selects
 * driver-neutral values (see `SeqQuery`) and maps them with `toAuditEvent`, so a streamed event is the
 * very object the list endpoint returns. `occurred_at` travels as epoch milliseconds: the column has
 * millisecond precision, and text would depend on the session's time zone.
 */
export function eventsInSeqOrder(range: { fromSeq: number; toSeq: number }): SeqQuery<AuditEvent> {
  return {
    sql: (afterSeq, limit) => sql`
      select seq, (extract(epoch from occurred_at) * 1000)::bigint::text as occurred_at_ms,
             actor, action, entity_type, entity_id, data, request_id, prev_hash, hash
      from ${auditEvents}
      where seq > ${Math.max(afterSeq, range.fromSeq - 1)} and seq <= ${range.toSeq}
      order by ${auditEvents.seq}
      ${limit === null ? sql`` : sql`limit ${limit}`}`,
    map: (row: DriverRow) =>
      toAuditEvent({
        seq: Number(row.seq),
        occurredAt: new Date(Number(row.occurred_at_ms)),
        actor: row.actor as AuditEventRow['actor'],
        action: String(row.action),
        entityType: String(row.entity_type),
        entityId: String(row.entity_id),
        data: row.data as AuditEventRow['data'],
        requestId: String(row.request_id),
        prevHash: String(row.prev_hash),
        hash: String(row.hash),
      }),
  };
}

/** An event already rendered as its NDJSON line by the database. */
export interface RenderedEvent {
  seq: number;
  line: string;
}

/**
 * The same events as `eventsInSeqOrder`, rendered to JSON text by PostgreSQL itself: the export then
 * neither parses `actor`/`data` into objects nor serializes them again, which was most of its cost.
 * Same fields, same values (`occurredAt` as ISO 8601 UTC with milliseconds), so a line parses to the
 * object the list endpoint returns.
 */
export function eventLinesInSeqOrder(range: { fromSeq: number; toSeq: number }): SeqQuery<RenderedEvent> {
  return {
    sql: (afterSeq, limit) => sql`
      select seq, json_build_object(
               'seq', seq,
               'occurredAt', to_char(occurred_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
               'actor', actor, 'action', action, 'entityType', entity_type, 'entityId', entity_id,
               'data', data, 'requestId', request_id, 'prevHash', prev_hash, 'hash', hash
             )::text as line
      from ${auditEvents}
      where seq > ${Math.max(afterSeq, range.fromSeq - 1)} and seq <= ${range.toSeq}
      order by ${auditEvents.seq}
      ${limit === null ? sql`` : sql`limit ${limit}`}`,
    map: (row: DriverRow) => ({ seq: Number(row.seq), line: String(row.line) }),
  };
}

/** The highest stored seq (0 when there is none), whoever wrote it. */
export async function lastEventSeq(db: Db): Promise<number> {
  const [row] = await db
    .select({ seq: sql<string | number | null>`max(${auditEvents.seq})` })
    .from(auditEvents);
  return Number(row?.seq ?? 0);
}
