import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTestDatabase, describeDb, type TestDatabase } from '../helpers/database.js';

const run = promisify(execFile);

/**
 * Our postgres.js patch (patches/): a connection that writes after its backend went away must reject
 * the query, not throw an uncaught TypeError from `nextWrite` (porsager/postgres#1154, #1208), and the
 * pool must serve again afterwards (guarding the write alone left a stale flush timer behind, and the
 * connection never sent anything again). Runs in a child process, since the bug kills its process.
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
});
