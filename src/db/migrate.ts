import { fileURLToPath } from 'node:url';
import type { PgliteDatabase } from 'drizzle-orm/pglite';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import { drizzle as drizzlePostgres } from 'drizzle-orm/postgres-js';
import { migrate as migratePostgres } from 'drizzle-orm/postgres-js/migrator';
import postgres from 'postgres';
import type { Db } from './types.js';

/** drizzle-kit's SQL files; the same relative path holds from src/db and from dist/db. */
const MIGRATIONS_FOLDER = fileURLToPath(new URL('../../drizzle', import.meta.url));

/** Any constant works; it only has to be the same in every instance of this service. */
const MIGRATION_LOCK_KEY = 7_270_311_482;

type Target = { kind: 'postgres'; url: string } | { kind: 'pglite'; db: Db };

/**
 * Applies pending migrations. On PostgreSQL several instances may start at once: each takes a
 * session-level advisory lock on its own single connection, so exactly one migrates at a time and the
 * others then find nothing left to do.
 */
export async function runMigrations(target: Target): Promise<void> {
  if (target.kind === 'pglite') {
    await migratePglite(target.db as unknown as PgliteDatabase, { migrationsFolder: MIGRATIONS_FOLDER });
    return;
  }
  const client = postgres(target.url, { max: 1, onnotice: () => {} });
  try {
    await client`select pg_advisory_lock(${MIGRATION_LOCK_KEY})`;
    try {
      await migratePostgres(drizzlePostgres(client), { migrationsFolder: MIGRATIONS_FOLDER });
    } finally {
      await client`select pg_advisory_unlock(${MIGRATION_LOCK_KEY})`;
    }
  } finally {
    await client.end({ timeout: 5 });
  }
}
