import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTestDatabase, describeDb, type TestDatabase } from '../helpers/database.js';

const run = promisify(execFile);

/**
 * Our postgres.js patch (patches/): a connection that writes after its backend went away must reject
 * the query, not throw an uncaught TypeError from `nextWrite` (porsager/postgres#1154, #1208), and the
 * pool must serve again afterwards (guarding the write alone left a stale flush timer behind, and the
 * connection never sent anything again), and a connection closed while it fetches array types must
 * neither leave an unhandled rejection nor lose the reservation waiting for it (#1192, #1205), and a
 * connection whose cursor died mid-batch must start its next session clean (#1223), and a COPY that
 * fails at once must reach its reader as an error. Runs in child processes, since these bugs kill their
 * process.
 */
describeDb('postgres.js after a backend dies', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(() => database?.drop());

  it('rejects the writes of a dead connection, survives, and serves again', async () => {
    const { stdout } = await run(
      process.execPath,
      ['test/postgres/fixtures/closed-socket.mjs', database.url],
      {
        timeout: 20_000, // a connection that can never write again hangs: fail, do not wait forever
      },
    );
    const outcome = JSON.parse(stdout.trim()) as { rejected: (string | null)[]; served: number };
    // Every statement on a dead connection failed as a catchable error (none "succeeded", none hung).
    expect(outcome.rejected).toHaveLength(4);
    for (const code of outcome.rejected) expect(code).not.toBeNull();
    expect(outcome.served).toBe(36);
  }, 40_000);

  it('starts a clean session after a cursor dies mid-batch: no old error, no stale rows, no crash', async () => {
    // Before the patch: the first query after the reconnect failed with the dead backend's 57P01, the
    // next returned 1,001 rows (1,000 holes left by the cursor's batch, then its own), and the
    // cursor's late continuation threw `Cannot read properties of null (reading 'reject')`, killing
    // the process — what a database restart during an export download did to the API.
    const { stdout } = await run(
      process.execPath,
      ['test/postgres/fixtures/cursor-killed.mjs', database.url],
      { timeout: 20_000 },
    );
    const outcome = JSON.parse(stdout.trim()) as {
      cursor: string | null;
      after: { length?: number; i?: number; error?: string }[];
    };
    expect(outcome.cursor).not.toBe('completed'); // the backend did die under the cursor
    expect(outcome.after).toEqual([0, 1, 2, 3].map((i) => ({ length: 1, i })));
  }, 40_000);

  it('hands a COPY that fails on its first row to its reader as an error, not to the process', async () => {
    const { stdout } = await run(
      process.execPath,
      ['test/postgres/fixtures/copy-fails-at-once.mjs', database.url],
      { timeout: 20_000 },
    );
    expect(JSON.parse(stdout.trim())).toEqual({ error: '22012', after: 1 });
  }, 40_000);

  it('survives a new connection closing while it fetches array types, and still reserves one', async () => {
    // Before the patch: the catalog query's rejection went unhandled (which kills a server process),
    // and the reservation waiting for that connection never settled (the download hung on its slot).
    const { stdout } = await run(
      process.execPath,
      ['test/postgres/fixtures/fetch-types-closed.mjs', database.url],
      { timeout: 20_000 },
    );
    const outcome = JSON.parse(stdout.trim()) as {
      unhandled: string[];
      cuts: number;
      reserved: number | null;
      served: number;
    };
    expect(outcome.cuts).toBe(1); // the proxy did cut a connection in the middle of fetching types
    expect(outcome.unhandled).toEqual([]);
    expect(outcome.reserved).toBe(1);
    expect(outcome.served).toBe(5);
  }, 40_000);
});
