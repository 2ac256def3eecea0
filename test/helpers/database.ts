import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import { describe, inject } from 'vitest';
import { adminUrl } from './postgres-setup.js';

export const onPostgres = process.env.TEST_DB === 'postgres';

/** `describe` that skips (visibly) when this run targets PostgreSQL and none is reachable. */
export const describeDb: typeof describe =
  onPostgres && !inject('postgresAvailable') ? (describe.skip as typeof describe) : describe;

export interface TestDatabase {
  /** `memory:` for PGlite, or the URL of a database created for this test file. */
  url: string;
  drop(): Promise<void>;
}

/** A fresh, empty database for one test file. */
export async function createTestDatabase(): Promise<TestDatabase> {
  if (!onPostgres) return { url: 'memory:', drop: async () => {} };
  const name = `reserve_test_${randomBytes(6).toString('hex')}`;
  const admin = postgres(adminUrl(), { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${name}`);
  await admin.end();
  const url = new URL(adminUrl());
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const sql = postgres(adminUrl(), { max: 1, onnotice: () => {} });
      await sql.unsafe(`drop database if exists ${name} with (force)`);
      await sql.end();
    },
  };
}

/**
 * Runs `work` while another transaction (on `other`) holds the lock `lockSql` takes, and returns what
 * `sent` (a driver's debug log) held once the work's backend waited on that lock: every statement the
 * work had issued by then, since postgres.js writes what it pipelines at once. Deterministic, no timing.
 */
export async function sentWhileBlocked(
  other: postgres.Sql,
  lockSql: string,
  sent: string[],
  work: () => Promise<unknown>,
): Promise<string[]> {
  let during: string[] = [];
  let running: Promise<unknown> | undefined;
  await other.begin(async (tx) => {
    await tx.unsafe(lockSql);
    sent.length = 0;
    running = work();
    for (;;) {
      const [waiting] = await tx`select count(*)::int as n from pg_stat_activity
        where datname = current_database() and wait_event_type = 'Lock'`;
      if (waiting!.n > 0) break;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    during = [...sent];
  });
  await running;
  return during;
}
