import { fileURLToPath } from 'node:url';
import type { AuthConfig } from '../../src/config.js';

/** Repository root: servers are started from here, so `tsx` and the migrations resolve as in production. */
export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const RESULTS_DIR = fileURLToPath(new URL('../results/', import.meta.url));

/** Only for benchmarks: signs tokens for the servers the suite starts, never used elsewhere. */
export const BENCH_SECRET = 'bench-only-secret-0123456789abcdef-not-for-production';
export const BENCH_AUTH: AuthConfig = {
  issuer: 'reserve-dev',
  audience: 'reserve-api',
  jwtSecret: BENCH_SECRET,
  jwksUrl: null,
};

/** The seed of the data-set generator and of the request mix: same seed, same data, comparable runs. */
export const DATA_SEED = 20261121;

/** The PostgreSQL server that hosts the per-scenario databases (loopback only). */
export function adminUrl(): string {
  const url = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const host = new URL(url).hostname;
  if (host !== '127.0.0.1' && host !== 'localhost') {
    throw new Error(`BENCH_DATABASE_URL must point at a loopback server (got ${host})`);
  }
  return url;
}

export type Mode = 'quick' | 'full';

/**
 * How long each measurement runs. Every HTTP measurement is a warm-up followed by back-to-back windows
 * against the same server process: the median window is the figure, the first and last windows show
 * drift (the postgres.js queue trap only shows after tens of seconds of saturation).
 */
export interface Plan {
  mode: Mode;
  warmupSeconds: number;
  windowSeconds: number;
  windows: number;
  /** Length of a non-HTTP measurement (postgres.js ceiling, pgbench). */
  directSeconds: number;
  /** Windows of the driver regression (saturated SELECT 1), which needs time to show the decline. */
  driverWindows: number;
  auditEvents: number;
}

export function planFor(mode: Mode): Plan {
  return mode === 'full'
    ? {
        mode,
        warmupSeconds: 3,
        windowSeconds: 10,
        windows: 6,
        directSeconds: 60,
        driverWindows: 6,
        auditEvents: 1_000_000,
      }
    : {
        mode,
        warmupSeconds: 2,
        windowSeconds: 5,
        windows: 3,
        directSeconds: 10,
        driverWindows: 4,
        auditEvents: 200_000,
      };
}

/** Connections of the load generator, and the pool every server process gets (the service default). */
export const READ_CONNECTIONS = 64;
export const DRAW_CONNECTIONS = 32;
export const POOL_MAX = 10;
