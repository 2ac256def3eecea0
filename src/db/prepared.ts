import type { Sql, TransactionSql } from 'postgres';

/**
 * The postgres.js client drizzle gets, with its statements prepared. drizzle runs every query that is
 * not explicitly `.prepare()`d as `unsafe(text, params, { prepare: false })`, and for a parameterized
 * statement that is not prepared postgres.js first asks the server to describe it, waits for the answer,
 * then binds and executes: two round trips per query, and the connection takes no pipelined query while
 * it waits (so `Promise.all` inside a transaction runs one query after another). Prepared — what
 * postgres.js does by default for its own tagged queries — a statement is described once per connection
 * and every later execution is one pipelinable round trip. Inside a transaction that holds a row lock
 * (a mineral, the audit head), every round trip is time other requests wait: see BENCHMARKS.md.
 *
 * Only `unsafe` changes (same SQL, same parameters, same results); transactions and savepoints hand
 * their callbacks a client wrapped the same way.
 */
export function withPreparedStatements<T extends Sql | TransactionSql>(client: T): T {
  return new Proxy(client, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof value !== 'function') return value;
      if (property === 'unsafe') {
        return (query: string, parameters?: unknown[], options?: { prepare?: boolean }) =>
          (value as Sql['unsafe']).call(target, query, parameters as never, { ...options, prepare: true });
      }
      if (property === 'begin' || property === 'savepoint') {
        return (...args: unknown[]) => {
          const work = args[args.length - 1];
          if (typeof work !== 'function') return value.apply(target, args);
          const wrapped = (tx: TransactionSql) => work(withPreparedStatements(tx));
          return value.apply(target, [...args.slice(0, -1), wrapped]);
        };
      }
      return value;
    },
  });
}
