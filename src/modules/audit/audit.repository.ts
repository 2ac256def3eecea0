import { type AnyColumn, and, asc, eq, gt, gte, inArray, lt, lte, type SQL, sql } from 'drizzle-orm';
import type { RenderedLine, SeqQuery } from '../../db/export.js';
import { letDriverRun, StatementPipeline } from '../../db/pipeline.js';
import { preparedStatement, runPrepared } from '../../db/prepared.js';
import type { Db } from '../../db/types.js';
import { columnText, textColumn, UNIT_SEPARATED } from '../../db/unnest.js';
import type { Ctx } from '../../domain/actor.js';
import {
  type AuditEvent,
  type AuditEventBody,
  CANONICAL_FIELDS,
  type CanonicalKind,
  type ChainLink,
  chainHash,
  closeCanonicalEvent,
  GENESIS_HASH,
  hashCanonical,
  openCanonicalEvent,
} from './audit.chain.js';
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
  const pending = prepareEvents(ctx, at, entries);
  const links = await appendPrepared(db, [pending]);
  return pending.map(({ body }, i) => {
    const { seq, prevHash, hash } = links[i]!;
    return { seq, ...body, prevHash, hash };
  });
}

/** An event canonicalised before its place in the chain is known (`prepareEvents`). */
export interface PreparedEvent {
  /** The body without `seq`. */
  body: Omit<AuditEventBody, 'seq'>;
  /** Its canonical text up to `"seq":` (`openCanonicalEvent`). */
  open: string;
  /** The JCS text of `actor` and `data`: what the columns store, byte for byte. */
  actor: string;
  data: string;
}

/**
 * Everything of the events that does not depend on the chain's head: their canonical text (but `seq`).
 * Pure CPU work, so a transaction can do it before it queues on the head's lock (or while the database
 * runs its earlier statements), leaving only the hashing under the lock.
 */
export function prepareEvents(ctx: Ctx, at: Date, entries: AuditEntry[]): PreparedEvent[] {
  const occurredAt = at.toISOString();
  const actor = { sub: ctx.actor.sub, role: ctx.actor.role, companyId: ctx.actor.companyId };
  return entries.map((entry) => {
    const body = { occurredAt, actor, requestId: ctx.requestId, ...entry };
    const canonical = openCanonicalEvent(body);
    // The JCS text itself goes into `actor` and `data`, not a re-serialization: `openCanonicalBody`
    // relies on it.
    return { body, open: canonical.open, actor: canonical.actor, data: canonical.data ?? 'null' };
  });
}

/**
 * Appends prepared events, batch after batch in the given order, advancing the head once by all of
 * them (its lock: lock order, step 5). Each batch is one `writeEvents` statement, sent without waiting
 * for the previous one: the database writes a batch while this process hashes the next. Returns each
 * event's place in the chain, in order.
 */
export async function appendPrepared(db: Db, batches: PreparedEvent[][]): Promise<ChainLink[]> {
  const count = batches.reduce((n, batch) => n + batch.length, 0);
  if (count === 0) return [];
  const [head] = await runPrepared(db, advanceHead, { count });
  if (!head) throw new Error('audit_head row is missing: migrations did not run');
  let seq = Number(head[0]) - count;
  let prevHash = head[1] as string;
  const links: ChainLink[] = [];
  const writes = new StatementPipeline();
  for (const batch of batches) {
    if (batch.length === 0) continue;
    const batchLinks: ChainLink[] = [];
    for (const event of batch) {
      seq++;
      const hash = hashCanonical(prevHash, closeCanonicalEvent(event.open, seq));
      batchLinks.push({ seq, prevHash, hash });
      prevHash = hash;
    }
    links.push(...batchLinks);
    // Every appender in every process waits on the head's row lock until this transaction commits: the
    // events and the new head hash are one statement.
    writes.add(runPrepared(db, writeEvents, { ...eventColumns(batch, batchLinks), headHash: prevHash }));
    // Lets the driver send the batch (and read answers) before the next batch is hashed.
    if (batches.length > 1) await letDriverRun();
  }
  await writes.settle();
  return links;
}

// Hot statements (src/db/prepared.ts): every write in the service runs these, under the head's lock.
const advanceHead = preparedStatement<{ count: number }>(
  'advance_audit_head',
  sql`update ${auditHead} set seq = ${auditHead.seq} + ${sql.placeholder('count')}
    where ${auditHead.id} = 1 returning ${auditHead.seq}, ${auditHead.hash}`,
);

/** The columns of `writeEvents`, each one text parameter whatever the number of events. */
const EVENT_COLUMNS = [
  'seq',
  'occurredAt',
  'actor',
  'action',
  'entityType',
  'entityId',
  'data',
  'requestId',
  'prevHash',
  'hash',
] as const;
type EventColumns = Record<(typeof EVENT_COLUMNS)[number], string>;

function eventColumns(batch: PreparedEvent[], links: ChainLink[]): EventColumns {
  const column = (value: (event: PreparedEvent, link: ChainLink) => string | number) =>
    columnText(
      batch.map((event, i) => value(event, links[i]!)),
      UNIT_SEPARATED,
    );
  return {
    seq: column((_, link) => link.seq),
    occurredAt: column((event) => event.body.occurredAt),
    actor: column((event) => event.actor),
    action: column((event) => event.body.action),
    entityType: column((event) => event.body.entityType),
    entityId: column((event) => event.body.entityId),
    data: column((event) => event.data),
    requestId: column((event) => event.body.requestId),
    prevHash: column((_, link) => link.prevHash),
    hash: column((_, link) => link.hash),
  };
}

/**
 * The events and the head's new hash. The rows travel as a text parameter per column, split by the
 * database (`textColumn`: an allocation round appends one event per draw it decides, and a VALUES list
 * would reach the protocol's parameter limit at 6,554 rows; a JSON array of rows cost the database
 * twice as much to read). `actor` and `data` go as text and are cast to json, which keeps their JCS
 * text byte for byte.
 */
const eventColumn = (name: (typeof EVENT_COLUMNS)[number]) => textColumn(name, UNIT_SEPARATED);
const writeEvents = preparedStatement<EventColumns & { headHash: string }>(
  'append_audit_events',
  sql`with appended as (
      insert into ${auditEvents}
        (seq, occurred_at, actor, action, entity_type, entity_id, data, request_id, prev_hash, hash)
      select v.seq, v.occurred_at, v.actor::json, v.action, v.entity_type, v.entity_id, v.data::json,
             v.request_id, v.prev_hash, v.hash
      from unnest(${eventColumn('seq')}::bigint[], ${eventColumn('occurredAt')}::timestamptz[], ${eventColumn('actor')},
        ${eventColumn('action')}, ${eventColumn('entityType')}, ${eventColumn('entityId')}, ${eventColumn('data')},
        ${eventColumn('requestId')}, ${eventColumn('prevHash')}, ${eventColumn('hash')})
        as v(seq, occurred_at, actor, action, entity_type, entity_id, data, request_id, prev_hash, hash)
      order by v.seq)
    update ${auditHead} set hash = ${sql.placeholder('headHash')} where ${auditHead.id} = 1`,
);

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

/** The column holding each body field. */
const BODY_COLUMNS = {
  action: auditEvents.action,
  actor: auditEvents.actor,
  data: auditEvents.data,
  entityId: auditEvents.entityId,
  entityType: auditEvents.entityType,
  occurredAt: auditEvents.occurredAt,
  requestId: auditEvents.requestId,
  seq: auditEvents.seq,
} as const satisfies Record<(typeof CANONICAL_FIELDS)[number]['key'], unknown>;

/**
 * How the database writes a value of each kind of `CANONICAL_FIELDS`, as `canonicalEvent` does in
 * JavaScript. `code` goes between plain quotes: CHECK constraints (migration 0003) hold those columns to
 * letters, digits, `_`, `-` and `.`, which JSON never escapes. `text` goes through `to_json`, whose
 * escaping is JSON.stringify's (`\"`, `\\`, \b \f \n \r \t, other controls as lowercase `\u00xx`,
 * nothing else); `to_json` is most of what rendering costs, hence only where needed. `instant` is
 * `toISOString()`'s format. `json` is spliced in as stored: the appender wrote the JCS text into `json`
 * columns, which keep text verbatim.
 */
const renderSql: Record<CanonicalKind, (column: SQL | AnyColumn) => SQL> = {
  code: (column) => sql`'"' || ${column} || '"'`,
  text: (column) => sql`to_json(${column})::text`,
  instant: (column) =>
    sql`'"' || to_char(${column} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') || '"'`,
  json: (column) => sql`${column}::text`,
  integer: (column) => sql`${column}::text`,
};

/**
 * An event's canonical body (`canonicalEvent`) rebuilt by the database from the columns, derived from
 * `CANONICAL_FIELDS`, without the closing brace (the export appends the hashes). A row whose stored text
 * is not canonical (an owner rewrote it behind the triggers, e.g. as `jsonb`, which an owner could also
 * do to the constraints) will not hash to its stored hash here; `verify` then recomputes it from parsed
 * values, so valid-but-non-canonical text is still judged by the contract's definition.
 */
const openCanonicalBody = sql.join(
  CANONICAL_FIELDS.map(
    ({ key, kind }, i) =>
      sql`${sql.raw(`'${i === 0 ? '{' : ','}"${key}":'`)} || ${renderSql[kind](BODY_COLUMNS[key])}`,
  ),
  sql` || `,
);

const seqRange = (range: { fromSeq: number; toSeq: number }, afterSeq: number, limit: number | null) => sql`
  where ${auditEvents.seq} > ${Math.max(afterSeq, range.fromSeq - 1)} and ${auditEvents.seq} <= ${range.toSeq}
  order by ${auditEvents.seq}
  ${limit === null ? sql`` : sql`limit ${limit}`}`;

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
      ${seqRange(range, afterSeq, limit)}`,
    map: (row) =>
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

/**
 * The same events as `eventsInSeqOrder`, rendered to JSON text by PostgreSQL itself: the export then
 * neither parses `actor`/`data` into objects nor serializes them again, which was most of its cost. A
 * line is the canonical body plus `prevHash` and `hash`: same fields and values as the list endpoint's
 * object (key order aside), so an auditor's verifier reads it like any other.
 */
export function eventLinesInSeqOrder(range: { fromSeq: number; toSeq: number }): SeqQuery<RenderedLine> {
  return {
    sql: (afterSeq, limit) => sql`
      select ${auditEvents.seq} as seq,
             ${openCanonicalBody} || ',"prevHash":"' || ${auditEvents.prevHash}
               || '","hash":"' || ${auditEvents.hash} || '"}' as line
      from ${auditEvents}
      ${seqRange(range, afterSeq, limit)}`,
    map: (row) => ({ seq: Number(row.seq), line: String(row.line) }),
  };
}

/** What checking one stretch of the chain found (see `checkChainStretch`). */
export interface StretchCheck {
  /** Events in the stretch. */
  checked: number;
  /** The stretch's last event, or null when it holds none. */
  last: { seq: number; hash: string } | null;
  /** The lowest seq at which the stretch is not linked to its predecessor (wrong seq or prevHash). */
  firstUnlinked: number | null;
  /** Events, in seq order, whose stored hash differs from SHA-256 of their stored canonical text. */
  unhashed: number[];
}

/**
 * Checks the events `fromSeq..toSeq` in one statement, in the database: each event must follow the one
 * before it in seq and prevHash (the first one follows the last stored event below `fromSeq`, or seq 0
 * with the genesis hash when there is none), and its hash must be SHA-256 of `prevHash + "\n" +
 * canonical body`, the body rebuilt from the columns. The hashing stays next to the data
 * (PostgreSQL's sha256 is OpenSSL's), only a summary crosses the wire, and stretches are independent of
 * each other, so several can run at once. Same rules as `ChainVerifier`: a break is reported at the
 * lower of the event's seq and the seq expected there.
 */
export async function checkChainStretch(
  db: Db,
  range: { fromSeq: number; toSeq: number },
): Promise<StretchCheck> {
  const result = await db.execute(sql`
    with anchor as (
      select ${auditEvents.seq} as seq, ${auditEvents.hash} as hash from ${auditEvents}
      where ${auditEvents.seq} >= 1 and ${auditEvents.seq} < ${range.fromSeq}
      order by ${auditEvents.seq} desc limit 1
    ), chain as (
      select ${auditEvents.seq} as seq, ${auditEvents.hash} as hash,
             coalesce(lag(${auditEvents.seq}) over w, (select seq from anchor), 0) + 1 as expected_seq,
             ${auditEvents.prevHash} = coalesce(lag(${auditEvents.hash}) over w, (select hash from anchor), ${GENESIS_HASH}::text) as linked,
             encode(sha256(convert_to(${auditEvents.prevHash} || E'\\n' || ${openCanonicalBody} || '}', 'UTF8')), 'hex')
               = ${auditEvents.hash} as hashed,
             lead(${auditEvents.seq}) over w is null as is_last
      from ${auditEvents}
      where ${auditEvents.seq} >= ${Math.max(range.fromSeq, 1)} and ${auditEvents.seq} <= ${range.toSeq}
      window w as (order by ${auditEvents.seq})
    )
    select count(*)::int as checked,
           max(seq)::text as last_seq,
           min(hash) filter (where is_last) as last_hash,
           (min(least(seq, expected_seq)) filter (where seq <> expected_seq or not linked))::text as first_unlinked,
           coalesce((array_agg(seq order by seq) filter (where not hashed))::text, '{}') as unhashed
    from chain`);
  const rows = Array.isArray(result)
    ? result
    : (result as unknown as { rows: Record<string, unknown>[] }).rows;
  const row = rows[0] as Record<string, unknown>;
  const lastSeq = row.last_seq === null ? null : Number(row.last_seq);
  const unhashed = String(row.unhashed);
  return {
    checked: Number(row.checked),
    last: lastSeq === null ? null : { seq: lastSeq, hash: String(row.last_hash) },
    firstUnlinked: row.first_unlinked === null ? null : Number(row.first_unlinked),
    unhashed: unhashed === '{}' ? [] : unhashed.slice(1, -1).split(',').map(Number),
  };
}

/**
 * The given events' stored hashes beside the hashes recomputed from their parsed values (`chainHash`):
 * the verifier's path for rows whose stored text is not canonical, so "valid" means exactly the
 * contract's definition.
 */
export async function recomputeHashes(
  db: Db,
  seqs: number[],
): Promise<Map<number, { stored: string; actual: string }>> {
  const rows = await db.select().from(auditEvents).where(inArray(auditEvents.seq, seqs));
  return new Map(
    rows.map((row) => [row.seq, { stored: row.hash, actual: chainHash(row.prevHash, toAuditEvent(row)) }]),
  );
}

/** The highest stored seq (0 when there is none), whoever wrote it. */
export async function lastEventSeq(db: Db): Promise<number> {
  const [row] = await db
    .select({ seq: sql<string | number | null>`max(${auditEvents.seq})` })
    .from(auditEvents);
  return Number(row?.seq ?? 0);
}
