import postgres from 'postgres';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { cursorBatches } from '../../src/db/export.js';
import { isDatabaseUnavailable } from '../../src/db/transaction.js';
import { createTestDatabase, describeDb, type TestDatabase } from '../helpers/database.js';

/**
 * The rows transport of downloads (CSV, ledger NDJSON) against the driver itself. postgres.js 3.4.9's
 * cursor iterator simply ends when its connection dies while the reader holds a batch, so a download
 * cut by a database restart, a terminated backend or a hot standby's conflict looked complete (found
 * with the read replica: a stalled CSV export cancelled by replay ended with a clean last chunk).
 * `cursorBatches` must fail instead. (What the driver does with that connection afterwards is its own
 * matter: 3.4.9 keeps the dead query's state across the reconnect, so the next query or two on it may
 * fail or see stray rows; not asserted here.)
 */
describeDb('cursor downloads on PostgreSQL', () => {
  let database: TestDatabase;
  let sql: postgres.Sql;
  let admin: postgres.Sql;
  const series = 'select g, pg_backend_pid() as pid from generate_series(1, 100000) g';

  beforeAll(async () => {
    database = await createTestDatabase();
    sql = postgres(database.url, { max: 1, onnotice: () => {} });
    admin = postgres(database.url, { max: 1, onnotice: () => {} });
  });
  afterAll(async () => {
    await Promise.all([sql?.end({ timeout: 5 }), admin?.end({ timeout: 5 })]);
    await database?.drop();
  });

  it('reads every row in order, a batch at a time', async () => {
    let next = 1;
    for await (const rows of cursorBatches(sql, series, [])) {
      expect(rows.length).toBeLessThanOrEqual(1000);
      for (const row of rows) expect(row.g).toBe(next++);
    }
    expect(next).toBe(100_001);
  });

  it('closes the portal when the reader leaves early, so the connection serves the next query', async () => {
    for await (const rows of cursorBatches(sql, series, [])) {
      expect(rows.length).toBeGreaterThan(0);
      break;
    }
    const [row] = await sql`select 2 as two`;
    expect(row!.two).toBe(2);
  });

  it('fails, rather than ends, when the connection dies while the reader holds a batch', async () => {
    // A pool of its own: the driver may leave this one's connection confused (see above).
    const doomed = postgres(database.url, { max: 1, onnotice: () => {} });
    let read = 0;
    const reading = (async () => {
      for await (const rows of cursorBatches(doomed, series, [])) {
        if (read === 0) {
          await admin`select pg_terminate_backend(${rows[0]!.pid as number})`;
          await new Promise((resolve) => setTimeout(resolve, 200)); // the socket has closed meanwhile
        }
        read += rows.length;
      }
    })();
    const failure = await reading.then(
      () => null,
      (error: unknown) => error,
    );
    // Whichever way the driver learns of it (57P01, a reset, a closed socket): an unavailable database.
    expect(isDatabaseUnavailable(failure), String(failure)).toBe(true);
    expect(read).toBeLessThan(100_000);
    await doomed.end({ timeout: 1 }).catch(() => {});
  });
});
