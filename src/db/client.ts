import { mkdirSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import { sql } from 'drizzle-orm';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { drizzle as drizzlePostgres } from 'drizzle-orm/postgres-js';
import postgres from 'postgres';
import type { DatabaseConfig } from '../config.js';
import { type Exporter, keysetExporter, postgresExporter } from './export.js';
import { runMigrations } from './migrate.js';
import * as schema from './schema.js';
import type { Db } from './types.js';

export interface Database {
  db: Db;
  kind: 'pglite' | 'postgres';
  /** Downloads (NDJSON, CSV) in constant memory, with a limit on connections they hold; see `export.ts`. */
  exporter: Exporter;
  /** Resolves when the database answers a trivial query. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** Opens the configured database and brings its schema up to date (migrations under an advisory lock). */
export async function createDatabase(config: DatabaseConfig): Promise<Database> {
  if (config.kind === 'postgres') {
    await runMigrations({ kind: 'postgres', url: config.url });
    const client = postgres(config.url, {
      max: config.poolMax,
      onnotice: () => {},
      // While the database is away, a request fails within seconds (→ 503) instead of waiting 30 s.
      connect_timeout: 5,
      // numeric and bigint stay strings (postgres.js default): exact, never Number.
    });
    const db = drizzlePostgres(client, { schema }) as unknown as Db;
    return {
      db,
      kind: 'postgres',
      // A third of the pool for downloads (at least one): the rest stays free for requests.
      exporter: postgresExporter(client, Math.max(1, Math.floor(config.poolMax / 3))),
      ping: async () => {
        await db.execute(sql`select 1`);
      },
      close: () => client.end({ timeout: 5 }),
    };
  }
  if (config.dataDir) mkdirSync(config.dataDir, { recursive: true });
  const client = config.dataDir ? new PGlite(`${config.dataDir}/pglite`) : new PGlite();
  await client.waitReady;
  const db = drizzlePglite(client, { schema }) as unknown as Db;
  await runMigrations({ kind: 'pglite', db });
  return {
    db,
    kind: 'pglite',
    exporter: keysetExporter(db),
    ping: async () => {
      await db.execute(sql`select 1`);
    },
    close: () => client.close(),
  };
}
