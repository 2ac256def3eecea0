import { BENCH_SECRET, type Plan, POOL_MAX, READ_CONNECTIONS } from './config.js';
import { type Measurement, measure } from './load.js';
import { type ServerProcess, startServer } from './processes.js';
import { drift, type Section } from './report.js';

/** The API (src/server.ts) on `databaseUrl`, with the benchmark's signing secret and the default pool. */
export const startApi = (databaseUrl: string, env: Record<string, string> = {}): Promise<ServerProcess> =>
  startServer('src/server.ts', {
    DATABASE_URL: databaseUrl,
    AUTH_JWT_SECRET: BENCH_SECRET,
    DB_POOL_MAX: String(POOL_MAX),
    ...env,
  });

/** GET `path` from READ_CONNECTIONS connections for the plan's windows. */
export const measureGet = (
  url: string,
  path: string,
  plan: Plan,
  headers: Record<string, string> = {},
): Promise<Measurement> =>
  measure([{ url, connections: READ_CONNECTIONS, requests: [{ method: 'GET', path, headers }] }], plan);

/**
 * Measures each path on the baseline server (bench/baseline-server.ts, same database and pool size),
 * one after another, and stops it. The server verifies tokens with the benchmark's secret.
 */
export async function measureBaselines<K extends string>(
  databaseUrl: string,
  plan: Plan,
  paths: Record<K, { path: string; headers?: Record<string, string> }>,
): Promise<Record<K, Measurement>> {
  const server = await startServer('bench/baseline-server.ts', {
    DATABASE_URL: databaseUrl,
    DB_POOL_MAX: String(POOL_MAX),
    AUTH_JWT_SECRET: BENCH_SECRET,
  });
  try {
    const results = {} as Record<K, Measurement>;
    for (const [name, { path, headers }] of Object.entries(paths) as [K, (typeof paths)[K]][]) {
      results[name] = await measureGet(server.url, path, plan, headers);
    }
    return results;
  } finally {
    await server.stop();
  }
}

/** One note per measurement: its drift over the windows, and any status other than 200. */
export function noteDrifts(s: Section, measurements: readonly (readonly [string, Measurement])[]): void {
  for (const [name, m] of measurements) {
    const non200 = Object.entries(m.statusRate).filter(([code]) => code !== '200');
    s.notes.push(
      `${name}: ${drift(m)}${non200.length ? `; non-200: ${non200.map(([c, r]) => `${c} ${Math.round(r)}/s`).join(', ')}` : ''}`,
    );
  }
}
