import { type Column, getTableColumns, is, Placeholder, type SQL, sql, type Table } from 'drizzle-orm';
import { PgDialect } from 'drizzle-orm/pg-core';
import type { Db } from './types.js';

/**
 * Hot-path statements: rendered to SQL text once, run as server-side prepared statements on whatever
 * handle a repository is given (the pool or a transaction). Use them for the statements every draw
 * submission and every audit append runs, and for the reads every request makes (a draw, a page of
 * draws, the inventory); elsewhere a plain drizzle query reads better.
 *
 * Why: drizzle renders a query's SQL on every call (on the submission path that was about a quarter
 * of the API process's CPU, BENCHMARKS.md), and runs every query that is not `.prepare()`d unprepared
 * — postgres.js then asks the server to describe a parameterized statement and waits for the answer
 * before it binds: two round trips, and no pipelining on that connection meanwhile. Inside a
 * transaction that holds a row lock (a mineral, the audit head) every round trip is time other
 * requests wait.
 *
 * How, with public APIs only: the text comes from drizzle's `PgDialect.sqlToQuery` (so a statement may
 * compose other modules' SQL expressions), and each call hands the text to the handle's session through
 * `PgSession.prepareQuery(query, fields, name, …)`, the method every drizzle query builder's
 * `.prepare(name)` calls (`db._.session`: public in drizzle's type declarations, on the pool and on a
 * transaction alike). A named query is one postgres.js runs with `prepare: true` (described once per
 * connection, then one pipelinable round trip); PGlite runs it in process. Rows come back as arrays
 * in select-list order on both drivers (a custom result mapper); `rowOf` decodes a table's columns the
 * way a drizzle select does. Owning the transaction instead (postgres.js `sql.begin`, then a drizzle
 * handle over it) is not possible in drizzle 0.45: `drizzle()` needs `client.options`, which a
 * postgres.js transaction does not have ("Cannot read properties of undefined (reading 'parsers')").
 * test/api/hot-statements.test.ts checks the decoding against drizzle's own selects on both drivers,
 * and that PostgreSQL holds the statements as prepared ones, so a drizzle update that changes any of
 * this fails there.
 */
export interface PreparedStatement<V extends Record<string, unknown>> {
  readonly name: string;
  readonly text: string;
  /** The statement's parameters in order, each `sql.placeholder(key)` filled from `values[key]`. */
  params(values: V): unknown[];
}

const dialect = new PgDialect();

/** Renders `query` once; its `sql.placeholder`s become the keys of the values each run takes. */
export function preparedStatement<V extends Record<string, unknown>>(
  name: string,
  query: SQL,
): PreparedStatement<V> {
  const { sql: text, params } = dialect.sqlToQuery(query);
  return {
    name,
    text,
    params: (values) => params.map((p) => (is(p, Placeholder) ? values[p.name as keyof V] : p)),
  };
}

/**
 * A statement whose text depends on which optional parts a call uses (a list's filters, a cursor):
 * rendered once per combination, on first use. `present` names the parts in a fixed order.
 */
export function preparedStatementFamily<K extends string, V extends Record<string, unknown>>(
  name: string,
  render: (present: ReadonlySet<K>) => SQL,
): (present: readonly K[]) => PreparedStatement<V> {
  const rendered = new Map<string, PreparedStatement<V>>();
  return (present) => {
    const key = present.join(',');
    let statement = rendered.get(key);
    if (!statement) {
      statement = preparedStatement<V>(`${name}(${key})`, render(new Set(present)));
      rendered.set(key, statement);
    }
    return statement;
  };
}

/** Runs a prepared statement on `db` (pool or transaction); the rows as arrays in select-list order. */
export function runPrepared<V extends Record<string, unknown>>(
  db: Db,
  statement: PreparedStatement<V>,
  values: V,
): Promise<unknown[][]> {
  return db._.session
    .prepareQuery<{ execute: unknown[][]; all: unknown; values: unknown }>(
      { sql: statement.text, params: statement.params(values) },
      undefined,
      statement.name,
      true,
      (rows) => rows,
    )
    .execute();
}

/** A table's columns for a hand-written statement: the select list, and a decoder for those values. */
export interface RowShape<T extends Table> {
  /** `"table"."column", …` for every column, in the order `decode` reads them. */
  readonly columns: SQL;
  readonly width: number;
  /** The row from `values[offset … offset + width)`, decoded as a drizzle select decodes it. */
  decode(values: readonly unknown[], offset?: number): T['$inferSelect'];
  /** The row's values as the driver takes them, by property name (nulls stay null). */
  driverValues(row: T['$inferSelect']): Record<string, unknown>;
}

export function rowOf<T extends Table>(table: T): RowShape<T> {
  const entries = Object.entries(getTableColumns(table)) as [string, Column][];
  return {
    columns: sql.join(
      entries.map(([, column]) => sql`${column}`),
      sql`, `,
    ),
    width: entries.length,
    decode(values, offset = 0) {
      const row: Record<string, unknown> = {};
      entries.forEach(([key, column], i) => {
        const value = values[offset + i];
        row[key] = value === null || value === undefined ? null : column.mapFromDriverValue(value);
      });
      return row as T['$inferSelect'];
    },
    driverValues(row) {
      const values: Record<string, unknown> = {};
      for (const [key, column] of entries) {
        const value = (row as Record<string, unknown>)[key];
        values[key] = value === null || value === undefined ? null : column.mapToDriverValue(value);
      }
      return values;
    },
  };
}

/** `insert into table (every column) values (a placeholder per column, named by property)`. */
export function insertEveryColumn(table: Table): SQL {
  const entries = Object.entries(getTableColumns(table));
  return sql`insert into ${table} (${sql.join(
    entries.map(([, column]) => sql.identifier(column.name)),
    sql`, `,
  )}) values (${sql.join(
    entries.map(([key]) => sql.placeholder(key)),
    sql`, `,
  )})`;
}
