import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import { runMigrations } from '../../src/db/migrate.js';
import { adminUrl } from './config.js';

export interface BenchDatabase {
  name: string;
  url: string;
  /** A small postgres.js client for set-up and checks (not the system under test). */
  sql: postgres.Sql;
  drop(): Promise<void>;
}

const live = new Set<BenchDatabase>();

/** A fresh database `bench_<label>_<random>` with the service's migrations applied; dropped by `drop()`. */
export async function createBenchDatabase(label: string): Promise<BenchDatabase> {
  const name = `bench_${label.replace(/[^a-z0-9]/g, '_')}_${randomBytes(4).toString('hex')}`;
  const admin = postgres(adminUrl(), { max: 1, onnotice: () => {} });
  try {
    await admin.unsafe(`create database ${name}`);
  } finally {
    await admin.end({ timeout: 5 });
  }
  const url = new URL(adminUrl());
  url.pathname = `/${name}`;
  await runMigrations({ kind: 'postgres', url: url.toString() });
  const sql = postgres(url.toString(), { max: 2, onnotice: () => {} });
  const db: BenchDatabase = {
    name,
    url: url.toString(),
    sql,
    drop: async () => {
      live.delete(db);
      await sql.end({ timeout: 5 }).catch(() => {});
      const dropper = postgres(adminUrl(), { max: 1, onnotice: () => {} });
      try {
        await dropper.unsafe(`drop database if exists ${name} with (force)`);
      } finally {
        await dropper.end({ timeout: 5 });
      }
    },
  };
  live.add(db);
  return db;
}

/** Drops every database this run created and has not dropped yet (on failure or interruption). */
export async function dropAllBenchDatabases(): Promise<void> {
  for (const db of [...live]) await db.drop().catch(() => {});
}

/** Runs `work` on a fresh database and always drops it afterwards. */
export async function withBenchDatabase<T>(
  label: string,
  work: (db: BenchDatabase) => Promise<T>,
): Promise<T> {
  const db = await createBenchDatabase(label);
  try {
    return await work(db);
  } finally {
    await db.drop();
  }
}

/** Versions for the report: server version and the settings that matter for commit throughput. */
export async function serverInfo(): Promise<Record<string, string>> {
  const sql = postgres(adminUrl(), { max: 1, onnotice: () => {} });
  try {
    const [row] = await sql`
      select version() as version, current_setting('max_connections') as max_connections,
             current_setting('shared_buffers') as shared_buffers,
             current_setting('synchronous_commit') as synchronous_commit, current_setting('fsync') as fsync`;
    return row as unknown as Record<string, string>;
  } finally {
    await sql.end({ timeout: 5 });
  }
}
