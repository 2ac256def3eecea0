import { drizzle } from 'drizzle-orm/postgres-js';
import postgres from 'postgres';
import type { ReadReplicaConfig } from '../config.js';
import { type Exporter, postgresExporter } from './export.js';
import * as schema from './schema.js';
import type { Db } from './types.js';

/**
 * Where the auditors' reads run — the audit log (list, exports, verify) and the ledger export: reads of
 * append-only history that may lag the primary by the replication delay. Either a streaming replica
 * (`DATABASE_READ_URL`) or, without one, the primary's own handle and exporter. Nothing else reads
 * here, and nothing ever writes here.
 */
export interface ReadSide {
  db: Db;
  exporter: Exporter;
}

/** A read side on a replica of its own, with its own pool to close. */
export interface ReadReplica extends ReadSide {
  close(): Promise<void>;
}

/** Shows in the replica's `pg_stat_activity`, so an operator (and the test) can tell these sessions apart. */
export const READ_REPLICA_APPLICATION_NAME = 'reserve-api-reads';

/**
 * A pool on the read replica. It connects lazily: a replica that is down does not stop the server from
 * starting, and while it is away only the reads placed on it fail (503, like any unreachable database),
 * never the rest of the API; the readiness probe stays on the primary. No migrations run here: the
 * replica receives the primary's schema with its WAL.
 *
 * Every session is read-only (`default_transaction_read_only`): a hot standby refuses writes anyway,
 * but a URL that names a writable server by mistake must not become a second primary either.
 */
export function openReadReplica(config: ReadReplicaConfig): ReadReplica {
  const client = postgres(config.url, {
    max: config.poolMax,
    onnotice: () => {},
    // As on the primary: a replica that is away fails a request within seconds (→ 503).
    connect_timeout: 5,
    connection: {
      application_name: READ_REPLICA_APPLICATION_NAME,
      default_transaction_read_only: true,
    },
    // numeric and bigint stay strings (postgres.js default): exact, never Number.
  });
  return {
    db: drizzle(client, { schema }) as unknown as Db,
    // Downloads dominate this pool, yet verify and the list need connections too: a third, as on the primary.
    exporter: postgresExporter(client, Math.max(1, Math.floor(config.poolMax / 3))),
    close: () => client.end({ timeout: 5 }),
  };
}
