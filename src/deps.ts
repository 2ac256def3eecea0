import type { Config } from './config.js';
import type { ReadSide } from './db/replica.js';
import type { Db } from './db/types.js';
import type { Clock } from './domain/clock.js';

/**
 * What every service is built from: the database, the read side, the clock and the parsed
 * configuration. Its own module, so services depend on it and `services.ts` on the services, without a
 * cycle between them.
 */
export interface Deps {
  /** The primary: every write and every read but the auditors'. */
  db: Db;
  /**
   * The auditors' reads (audit log, ledger) and their downloads (`db/export.ts`): a streaming replica
   * when `DATABASE_READ_URL` is set, else the primary's own handle and exporter. Read-only.
   */
  reads: ReadSide;
  clock: Clock;
  config: Config;
}
