import { finished, type Readable } from 'node:stream';
import { type SQL, sql } from 'drizzle-orm';
import { PgDialect } from 'drizzle-orm/pg-core';
import pLimit from 'p-limit';
import type { Sql } from 'postgres';
import type { Db } from './types.js';

/** A driver row as selected: column aliases to values (text, numbers or parsed JSON, per driver). */
export type DriverRow = Record<string, unknown>;

/**
 * A read over a table in ascending `seq` order (seq > 0) that can resume after any seq. Both streaming
 * strategies need exactly this: PostgreSQL runs `sql(0, null)` once through a cursor, PGlite runs
 * `sql(lastSeq, batchSize)` batch after batch (keyset pagination).
 */
export interface SeqQuery<T extends { seq: number }> {
  /**
   * Rows with `seq > afterSeq`, ordered by seq, at most `limit` of them (all when null). Order by the
   * qualified column: ORDER BY resolves output aliases first, so a `seq::text as seq` in the select
   * list would sort as text (1, 10, 100, 2, …) and break both the order and the keyset.
   */
  sql(afterSeq: number, limit: number | null): SQL;
  /**
   * Turns a driver row into a value. The two drivers parse types differently (int8 is a number on
   * PGlite and a string on postgres.js, timestamps are session-time-zone text on both), so queries
   * select values that read the same on both: text, decimals as text, epoch milliseconds, JSON, and
   * int8 only where `Number()` of either form is exact (seq).
   */
  map(row: DriverRow): T;
}

/**
 * Reads a `SeqQuery` lazily in batches of at most `batchSize` rows: the next batch is fetched only when
 * the consumer asks for it, which is what lets an HTTP response apply backpressure all the way to the
 * database. Leaving the loop early (`break`, a destroyed stream) releases what the read holds.
 */
export type StreamRows = <T extends { seq: number }>(
  query: SeqQuery<T>,
  batchSize: number,
) => AsyncIterable<T[]>;

/**
 * Keyset batches (PGlite). Every batch is its own short statement, so PGlite's single connection is
 * free for other requests between batches; holding one open statement for a whole download would stall
 * the embedded database for every other caller.
 */
export function keysetStream(db: Db): StreamRows {
  return async function* <T extends { seq: number }>(query: SeqQuery<T>, batchSize: number) {
    let afterSeq = 0;
    for (;;) {
      const result = await db.execute(query.sql(afterSeq, batchSize));
      const rows = (result as unknown as { rows: DriverRow[] }).rows.map((row) => query.map(row));
      if (rows.length > 0) {
        yield rows;
        afterSeq = rows[rows.length - 1]!.seq;
      }
      if (rows.length < batchSize) return;
    }
  };
}

const dialect = new PgDialect();

/**
 * One statement through a postgres.js cursor (PostgreSQL): one snapshot for the whole read, rows pulled
 * `batchSize` at a time with `Execute(n)` only when the consumer asks. postgres.js reserves the
 * connection while the cursor is open (no other query is pipelined onto it) and closes the portal when
 * the iterator is abandoned, so an aborted download gives the connection back.
 */
export function cursorStream(client: Sql): StreamRows {
  return async function* <T extends { seq: number }>(query: SeqQuery<T>, batchSize: number) {
    const { sql: text, params } = dialect.sqlToQuery(query.sql(0, null));
    const cursor = client.unsafe(text, params as never[]).cursor(batchSize);
    for await (const rows of cursor) {
      yield (rows as unknown as DriverRow[]).map((row) => query.map(row));
    }
  };
}

/** A line-rendering `SeqQuery`: each row is one line of text the database built (no newlines in it). */
export interface LineQuery extends SeqQuery<{ seq: number; line: string }> {}

/** Seqs `fromSeq..toSeq`, both inclusive. */
export interface SeqRange {
  fromSeq: number;
  toSeq: number;
}

/**
 * Reads the lines a query renders over a seq range as chunks of newline-terminated text, ready to
 * send: the transport for exports whose lines the database renders. `query` builds the statement for
 * any sub-range, so a driver may split the work.
 */
export type StreamLines = (
  query: (range: SeqRange) => LineQuery,
  range: SeqRange,
) => AsyncIterable<string | Uint8Array>;

/** Rows per PGlite batch, joined into one chunk. */
const KEYSET_LINES_BATCH = 1000;

/** Keyset batches joined into one chunk each (PGlite; see `keysetStream`). */
export function keysetLines(db: Db): StreamLines {
  const rows = keysetStream(db);
  return async function* (query, range) {
    for await (const batch of rows(query(range), KEYSET_LINES_BATCH)) {
      yield `${batch.map((row) => row.line).join('\n')}\n`;
    }
  };
}

/** One CopyData message is one row: forwarded one by one, the HTTP stream's per-chunk work would cost
 * more than the rows themselves. */
const COPY_CHUNK_BYTES = 64 * 1024;

/**
 * `COPY (…) TO STDOUT` (PostgreSQL): the server streams the lines and Node only forwards bytes, with no
 * per-row work at all. CSV format with delimiter \x01 and quote \x02 writes a one-column row verbatim:
 * a value is only quoted when it holds the delimiter, the quote, CR or LF, and rendered JSON holds none
 * of them (`json` whitespace could hold CR/LF: the audit table's constraints rule it out). COPY takes no bind parameters, so the
 * query's parameters are inlined (callers pass integers only).
 *
 * At most `connections` exports stream from this process at once (later ones wait their turn): each
 * holds a pooled connection for as long as its client takes to download, and the rest of the pool must
 * stay free for the API's own requests.
 */
export function copyLines(client: Sql, connections: number): StreamLines {
  const slots = pLimit(connections);
  const turn = () => new Promise<() => void>((granted) => void slots(() => new Promise<void>(granted)));
  return async function* (query, range) {
    const release = await turn();
    try {
      yield* copyOut(client, query(range));
    } finally {
      release();
    }
  };
}

/**
 * One COPY on a reserved connection: postgres.js would otherwise pipeline other requests' queries onto
 * it, behind a download that the client's pace can hold for minutes. Leaving early (the client went
 * away) cancels the COPY with `pg_cancel_backend` and drains what is already in flight. The connection
 * goes back to the pool only after a query on it has completed once the COPY ended: that round trip
 * absorbs a cancel that arrives after the COPY finished by itself.
 */
async function* copyOut(client: Sql, query: LineQuery): AsyncGenerator<Uint8Array> {
  const select = query.sql(0, null).inlineParams();
  const { sql: text } = dialect.sqlToQuery(sql`
    copy (select q.line from (${select}) as q order by q.seq)
    to stdout with (format csv, delimiter E'\\x01', quote E'\\x02')`);
  const reserved = await client.reserve();
  let stream: Readable;
  let pid: number;
  try {
    const [backend] = await reserved<{ pid: number }[]>`select pg_backend_pid() as pid`;
    pid = backend!.pid;
    stream = await reserved.unsafe(text).readable();
  } catch (error) {
    reserved.release();
    throw error;
  }
  finished(stream, () => {
    reserved`select 1`.catch(() => {}).finally(() => reserved.release());
  });
  let complete = false;
  try {
    // Not `for await (… of stream)`: leaving that loop destroys the stream, which would leave the
    // connection's socket paused mid-COPY for good.
    let pending: Buffer[] = [];
    let size = 0;
    for await (const chunk of stream.iterator({ destroyOnReturn: false })) {
      pending.push(chunk as Buffer);
      size += (chunk as Buffer).length;
      if (size >= COPY_CHUNK_BYTES) {
        yield Buffer.concat(pending, size);
        pending = [];
        size = 0;
      }
    }
    if (size > 0) yield Buffer.concat(pending, size);
    complete = true;
  } finally {
    if (!complete && !stream.readableEnded && !stream.destroyed) {
      stream.resume();
      await client`select pg_cancel_backend(${pid})`.catch(() => {});
    }
  }
}
