import type { SQL } from 'drizzle-orm';
import { PgDialect } from 'drizzle-orm/pg-core';
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
