import type { Config } from './config.js';
import type { Exporter } from './db/export.js';
import type { Db } from './db/types.js';
import type { Clock } from './domain/clock.js';

/**
 * What every service is built from: the database, its exporter, the clock and the parsed
 * configuration. Its own module, so services depend on it and `services.ts` on the services, without a
 * cycle between them.
 */
export interface Deps {
  db: Db;
  /** Downloads in constant memory, both formats, with the database's connection limit (`db/export.ts`). */
  exporter: Exporter;
  clock: Clock;
  config: Config;
}
