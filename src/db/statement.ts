import { getTableColumns, type SQL, sql, type Table } from 'drizzle-orm';
import type { Db } from './types.js';

interface Prepared<V, R> {
  execute(values: V): Promise<R>;
}

/**
 * A statement drizzle builds once, with `sql.placeholder`s where its values go, and then runs with fresh
 * values on whatever handle the repository is given (the pool or a transaction). drizzle otherwise
 * rebuilds the SQL text of every query on every call; on the draw submission path that was about a
 * quarter of the API process's CPU (BENCHMARKS.md, "Follow-up: draw submission"), and the process
 * is CPU-bound there. Use it for statements on hot paths only; elsewhere a plain query reads better.
 *
 * drizzle binds a prepared query to the client of the handle that prepared it, and a transaction has a
 * client of its own. So each call runs a copy of the built query whose `client` is the given handle's.
 * That property is internal to drizzle (0.45: `client` on the prepared query and on the session, for
 * both postgres.js and PGlite); the API tests run every statement on both drivers, so an upgrade that
 * changes it fails loudly. The built query is kept per driver (session class), since a process may open
 * both kinds of database (the tests do).
 */
export function statement<V extends Record<string, unknown>, R>(
  name: string,
  build: (db: Db) => { prepare(name: string): Prepared<V, R> },
): (db: Db, values: V) => Promise<R> {
  const built = new Map<unknown, Prepared<V, R>>();
  return (db, values) => {
    const driver = db._.session.constructor;
    let query = built.get(driver);
    if (!query) {
      query = build(db).prepare(name);
      built.set(driver, query);
    }
    const bound: Prepared<V, R> = Object.create(query, { client: { value: clientOf(db) } });
    return bound.execute(values);
  };
}

const clientOf = (db: Db): unknown => {
  const client = (db._.session as unknown as { client?: unknown }).client;
  if (!client) throw new Error('drizzle session without a client: see src/db/statement.ts');
  return client;
};

/**
 * Every column of `table` as a placeholder named after it (plus `suffix`, for multi-row inserts), for a
 * built `INSERT`. The values reach the driver as they are: drizzle's column encoders would run on nulls
 * too (a null timestamp would throw), so callers hand over driver values (ISO text for times).
 */
export function columnPlaceholders<T extends Table>(
  table: T,
  suffix = '',
): { [K in keyof T['$inferSelect']]: SQL } {
  return Object.fromEntries(
    Object.keys(getTableColumns(table)).map((k) => [k, sql`${sql.placeholder(`${k}${suffix}`)}`]),
  ) as { [K in keyof T['$inferSelect']]: SQL };
}
