import { buildApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { createDatabase } from '../../src/db/client.js';
import { systemClock } from '../../src/domain/clock.js';
import { BENCH_SECRET } from './config.js';

/**
 * Runs `work` against the real application served in this process on a random loopback port: used to
 * create data sets through the API for measurements that have no server process of their own (the
 * postgres.js ceiling, pgbench). Closed before anything is measured.
 */
export async function withSeedingApp<T>(databaseUrl: string, work: (url: string) => Promise<T>): Promise<T> {
  const config = loadConfig({
    DATABASE_URL: databaseUrl,
    AUTH_JWT_SECRET: BENCH_SECRET,
    LOG_LEVEL: 'warn',
    RATE_LIMIT_MAX: '0',
    SEED_DEMO: 'false',
  });
  const database = await createDatabase(config.database);
  const app = await buildApp({
    config,
    database,
    clock: systemClock,
    jwtSecret: BENCH_SECRET,
    logger: false,
  });
  try {
    const url = await app.listen({ host: '127.0.0.1', port: 0 });
    return await work(url);
  } finally {
    await app.close();
    await database.close();
  }
}
