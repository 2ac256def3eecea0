import { spawn } from 'node:child_process';
import postgres from 'postgres';
import { ROOT } from '../../bench/lib/config.js';
import { type ServerProcess, startServer } from '../../bench/lib/processes.js';
import { signToken } from '../../src/http/auth.js';
import { TEST_SECRET } from './app.js';
import { createTestDatabase, type TestDatabase } from './database.js';

export type ApiProcess = ServerProcess;

/**
 * Starts the real server entry point (`src/server.ts`) in its own process on a random loopback port.
 * The launcher is the benchmarks' one, so tests and benchmarks start servers the same way.
 */
export const startApiProcess = (env: Record<string, string>): Promise<ApiProcess> =>
  startServer('src/server.ts', env);

export interface HttpResult {
  status: number;
  body: Record<string, unknown>;
  headers: Headers;
}

/** A small JSON client over fetch, for talking to API processes. */
export async function call(
  url: string,
  method: string,
  path: string,
  token: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<HttpResult> {
  const res = await fetch(`${url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...headers,
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : {}, headers: res.headers };
}

/** Several API processes on one fresh PostgreSQL database, with a direct connection and tokens. */
export interface ProcessCluster {
  db: TestDatabase;
  /** A small pool straight to the database, for checking invariants behind the API's back. */
  sql: postgres.Sql;
  admin: string;
  auditor: string;
  companyToken(companyId: string, sub: string): Promise<string>;
  /** The URL of process `i` (modulo their count), so callers spread requests over them. */
  url(i: number): string;
  stop(): Promise<void>;
}

/**
 * Starts `count` API processes at once on a new test database (their migrations serialize on the
 * advisory lock), each with a pool of 8; tokens are signed with the test secret, subjects named after
 * `label`.
 */
export async function startProcessCluster(count: number, label: string): Promise<ProcessCluster> {
  const db = await createTestDatabase();
  const apis = await Promise.all(
    Array.from({ length: count }, () =>
      startApiProcess({ DATABASE_URL: db.url, AUTH_JWT_SECRET: TEST_SECRET, DB_POOL_MAX: '8' }),
    ),
  );
  const sql = postgres(db.url, { max: 2, onnotice: () => {} });
  const auth = { issuer: 'reserve-dev', audience: 'reserve-api', jwtSecret: TEST_SECRET, jwksUrl: null };
  return {
    db,
    sql,
    admin: await signToken(auth, TEST_SECRET, { role: 'admin', sub: `${label}-admin` }),
    auditor: await signToken(auth, TEST_SECRET, { role: 'auditor', sub: `${label}-auditor` }),
    companyToken: (companyId, sub) => signToken(auth, TEST_SECRET, { role: 'company', companyId, sub }),
    url: (i) => apis[i % count]!.url,
    stop: async () => {
      await Promise.all(apis.map((a) => a.stop()));
      await sql.end();
      await db.drop();
    },
  };
}

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command in the repository with `env` over a clean environment (no DATABASE_URL, no secret). */
export function run(command: string, args: string[], env: Record<string, string> = {}): Promise<Run> {
  const base = { ...process.env };
  for (const name of ['DATABASE_URL', 'AUTH_JWT_SECRET', 'AUTH_JWKS_URL', 'DATA_DIR']) delete base[name];
  for (const name of Object.keys(base)) if (name.startsWith('npm_')) delete base[name];
  const child = spawn(command, args, {
    cwd: ROOT,
    env: { ...base, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => {
    stdout += chunk;
  });
  child.stderr.on('data', (chunk) => {
    stderr += chunk;
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  return new Promise((resolve) =>
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    }),
  );
}

/**
 * The companies of a mineral whose `entitlement_use` row (kept by triggers on draws) differs from the
 * sums it stands for: Σ quantity of their pending and approved draws, and of their queued ones. Empty
 * when the triggers kept up.
 */
export function entitlementUseDrift(sql: postgres.Sql, mineralCode: string) {
  return sql`
    select d.company_id from draws d
    left join entitlement_use u on u.company_id = d.company_id and u.mineral_code = d.mineral_code
    where d.mineral_code = ${mineralCode}
    group by d.company_id, u.held, u.queued
    having coalesce(sum(d.quantity) filter (where d.status in ('pending', 'approved')), 0) <> coalesce(u.held, 0)
        or coalesce(sum(d.quantity) filter (where d.status = 'queued'), 0) <> coalesce(u.queued, 0)`;
}
