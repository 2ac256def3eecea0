import { finished, type Readable } from 'node:stream';
import { stringify } from 'csv-stringify/sync';
import { type SQL, sql } from 'drizzle-orm';
import { PgDialect } from 'drizzle-orm/pg-core';
import pLimit from 'p-limit';
import type { Sql } from 'postgres';
import type { Db } from './types.js';

/**
 * Downloads (audit events, the ledger): one abstraction for both formats and both databases, below the
 * HTTP layer. A service describes what to read (a `SeqQuery`) and gets a `Download` — a file name, a
 * format and its text, produced lazily as the reader pulls — from the database's `Exporter`; the HTTP
 * layer only sets headers and pipes it (`http/export.ts`).
 */
export type ExportFormat = 'ndjson' | 'csv';

/** A driver row as selected: column aliases to values (text, numbers or parsed JSON, per driver). */
type DriverRow = Record<string, unknown>;

/**
 * A read over a table in ascending `seq` order (seq > 0) that can resume after any seq: PostgreSQL runs
 * `sql(0, null)` once (a cursor, or COPY), PGlite runs `sql(lastSeq, batchSize)` batch after batch
 * (keyset pagination).
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

/** A row the database rendered as one line of text (no CR or LF in it): see `Exporter.lines`. */
export interface RenderedLine {
  seq: number;
  line: string;
}

/** One CSV column: its header and the text of a row's cell (nested values as JSON text). */
export interface CsvColumn<T> {
  header: string;
  cell(row: T): string | number | null;
}

/** A download, ready to send: read `chunks` as fast as the client takes them, and no faster. */
export interface Download {
  /** File name without extension, e.g. `audit-events-1-42`: ASCII letters, digits, `-`, `_`, `.`. */
  name: string;
  format: ExportFormat;
  chunks: AsyncIterable<string | Uint8Array>;
}

/**
 * The database's side of downloads (`Database.exporter`). Each download, whatever its format, takes one
 * of a few export slots for as long as it streams (later ones wait their turn): on PostgreSQL a
 * download holds a pooled connection until its client has read it all, and the rest of the pool must
 * stay free for the API's own requests (ten stalled downloads once held every connection).
 */
export interface Exporter {
  /** Rows mapped in Node, as NDJSON (`JSON.stringify` per row) or CSV (a header, then `columns`). */
  rows<T extends { seq: number }>(
    name: string,
    format: ExportFormat,
    query: SeqQuery<T>,
    columns: readonly CsvColumn<T>[],
  ): Download;
  /** NDJSON lines the database rendered itself (the fast path: Node forwards bytes). */
  lines(name: string, query: SeqQuery<RenderedLine>): Download;
}

// RFC 4180: CRLF between records, and any field holding a comma, a double quote, CR or LF is quoted.
// csv-stringify quotes only fields that contain the whole record delimiter, so a lone CR or LF inside
// a value needs `quoted_match` or it would split the record for most readers.
const CSV_OPTIONS = { record_delimiter: 'windows', quoted_match: /[\r\n]/ } as const;

/** Rows per database round trip when reading rows: big enough to amortise it, small enough to hold. */
const ROW_BATCH = 1000;

/** Encodes batches of rows as NDJSON or CSV text, one chunk per batch. */
export async function* encodeRows<T>(
  batches: AsyncIterable<T[]>,
  format: ExportFormat,
  columns: readonly CsvColumn<T>[],
): AsyncGenerator<string> {
  // The header goes out with the first batch, so nothing is sent before the first query succeeded.
  let header = format === 'csv' ? stringify([columns.map((c) => c.header)], CSV_OPTIONS) : '';
  for await (const batch of batches) {
    const rows =
      format === 'csv'
        ? stringify(
            batch.map((row) => columns.map((c) => c.cell(row))),
            CSV_OPTIONS,
          )
        : batch.map((row) => `${JSON.stringify(row)}\n`).join('');
    const chunk = header + rows;
    header = '';
    if (chunk) yield chunk;
  }
  if (header) yield header;
}

/** Builds an `Exporter` from a database's two ways of reading, each run inside an export slot. */
function exporter(
  slots: number,
  readRows: <T extends { seq: number }>(query: SeqQuery<T>) => AsyncIterable<T[]>,
  readLines: (query: SeqQuery<RenderedLine>) => AsyncIterable<string | Uint8Array>,
): Exporter {
  const limit = pLimit(slots);
  const turn = () => new Promise<() => void>((granted) => void limit(() => new Promise<void>(granted)));
  async function* inSlot<C>(chunks: () => AsyncIterable<C>): AsyncGenerator<C> {
    const release = await turn();
    try {
      yield* chunks();
    } finally {
      release();
    }
  }
  return {
    rows: (name, format, query, columns) => ({
      name,
      format,
      chunks: inSlot(() => encodeRows(readRows(query), format, columns)),
    }),
    lines: (name, query) => ({ name, format: 'ndjson', chunks: inSlot(() => readLines(query)) }),
  };
}

/**
 * PGlite: keyset batches. Every batch is its own short statement, so PGlite's single connection is free
 * for other requests between batches (holding one open statement for a whole download would stall the
 * embedded database for every other caller). A download holds nothing between batches, so it needs no
 * slot.
 */
export function keysetExporter(db: Db): Exporter {
  async function* batches<T extends { seq: number }>(query: SeqQuery<T>): AsyncGenerator<T[]> {
    let afterSeq = 0;
    for (;;) {
      const result = await db.execute(query.sql(afterSeq, ROW_BATCH));
      const rows = (result as unknown as { rows: DriverRow[] }).rows.map((row) => query.map(row));
      if (rows.length > 0) {
        yield rows;
        afterSeq = rows[rows.length - 1]!.seq;
      }
      if (rows.length < ROW_BATCH) return;
    }
  }
  return exporter(Number.POSITIVE_INFINITY, batches, async function* (query) {
    for await (const batch of batches(query)) yield `${batch.map((row) => row.line).join('\n')}\n`;
  });
}

const dialect = new PgDialect();

/**
 * PostgreSQL: rows through a postgres.js cursor (one statement, one snapshot, `batch` rows pulled with
 * `Execute(n)` only when the reader asks; postgres.js reserves the connection while the cursor is open
 * and closes the portal when the iterator is abandoned), rendered lines through `COPY … TO STDOUT`.
 * At most `connections` downloads at once from this process, both formats counted together.
 */
export function postgresExporter(client: Sql, connections: number): Exporter {
  return exporter(
    connections,
    async function* <T extends { seq: number }>(query: SeqQuery<T>) {
      const { sql: text, params } = dialect.sqlToQuery(query.sql(0, null));
      for await (const rows of cursorBatches(client, text, params)) yield rows.map((row) => query.map(row));
    },
    (query) => copyOut(client, query),
  );
}

type CursorStep =
  | { kind: 'rows'; rows: DriverRow[]; resume: (close?: unknown) => void }
  | { kind: 'done' }
  | { kind: 'failed'; error: unknown };

/**
 * A postgres.js cursor's rows, `ROW_BATCH` at a time, each batch fetched only when the reader asks.
 * Not the driver's own async iterator: when the connection dies while the reader holds a batch (a
 * database restart, a terminated backend, a hot standby cancelling the statement to replay the
 * primary), that iterator simply ends, and a cut download would look complete. The callback form
 * rejects instead; each callback here waits until the reader wants the next batch. A reader that
 * leaves early closes the portal and waits for it, so the connection goes back to the pool idle.
 */
export async function* cursorBatches(
  client: Sql,
  text: string,
  params: unknown[],
): AsyncGenerator<DriverRow[]> {
  const steps: CursorStep[] = [];
  let wake: (() => void) | null = null;
  const push = (step: CursorStep) => {
    steps.push(step);
    wake?.();
    wake = null;
  };
  const running = client
    .unsafe(text, params as never[])
    .cursor(ROW_BATCH, (rows) => {
      return new Promise<unknown>((resume) =>
        push({ kind: 'rows', rows: rows as unknown as DriverRow[], resume }),
      );
    })
    .then(
      () => push({ kind: 'done' }),
      (error: unknown) => push({ kind: 'failed', error }),
    );
  let held: CursorStep | undefined;
  try {
    for (;;) {
      if (steps.length === 0)
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
      const step = steps.shift()!;
      if (step.kind === 'failed') throw step.error;
      if (step.kind === 'done') return;
      held = step;
      yield step.rows;
      held = undefined;
      // A cursor whose connection died must not be resumed: its next Execute would be written to the
      // connection's reconnected socket, failing whatever query runs there next.
      const failed = steps.find((next) => next.kind === 'failed');
      if (failed) throw failed.error;
      step.resume();
    }
  } finally {
    if (held?.kind === 'rows' && !steps.some((next) => next.kind === 'failed')) {
      held.resume(client.CLOSE);
      await running;
    }
  }
}

/** One CopyData message is one row: forwarded one by one, the HTTP stream's per-chunk work would cost
 * more than the rows themselves. */
const COPY_CHUNK_BYTES = 64 * 1024;

/**
 * `COPY (…) TO STDOUT` on a reserved connection: the server streams the lines and Node only forwards
 * bytes, with no per-row work at all. CSV format with delimiter \x01 and quote \x02 writes a one-column
 * row verbatim: a value is only quoted when it holds the delimiter, the quote, CR or LF, and a rendered
 * line holds none of them (`json` whitespace could hold CR/LF: the audit table's constraints rule it
 * out). COPY takes no bind parameters, so the query's parameters are inlined (callers pass integers
 * only). The connection is reserved because postgres.js would otherwise pipeline other requests'
 * queries onto it, behind a download that the client's pace can hold for minutes. Leaving early (the
 * client went away) reads the rest of the COPY and drops it; the connection goes back to the pool once
 * a query on it has completed after the COPY ended.
 */
export async function* copyOut(client: Sql, query: SeqQuery<RenderedLine>): AsyncGenerator<Uint8Array> {
  const select = query.sql(0, null).inlineParams();
  const { sql: text } = dialect.sqlToQuery(sql`
    copy (select q.line from (${select}) as q order by q.seq)
    to stdout with (format csv, delimiter E'\\x01', quote E'\\x02')`);
  const reserved = await client.reserve();
  let stream: Readable;
  try {
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
      // The reader left early: read the rest and drop it (at the database's pace, about a second per
      // million lines), so the connection goes back to the pool idle. Not `pg_cancel_backend`: sent
      // from another connection, a cancel could land after this COPY ended by itself, on whatever
      // request the pool had given the connection to next (the fault suite caught one: a mineral
      // lock "canceling statement due to user request", a 500).
      stream.resume();
      await new Promise<void>((resolve) => finished(stream, () => resolve()));
    }
  }
}
