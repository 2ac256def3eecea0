import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { PGlite } from '@electric-sql/pglite';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { drizzle as drizzlePostgres } from 'drizzle-orm/postgres-js';
import postgres from 'postgres';
import { z } from 'zod';
import { type Config, ConfigError, loadConfig } from '../config.js';
import { DataDirLockedError, liveLockOwner, lockDataDir } from '../db/data-dir-lock.js';
import * as schema from '../db/schema.js';
import type { Db } from '../db/types.js';
import { ROLES, type Role } from '../domain/actor.js';
import { signToken } from '../http/auth.js';
import { findCompany } from '../modules/companies/companies.repository.js';
import { resolveJwtSecret } from '../secrets.js';

/**
 * Prints a signed token, alone on stdout, so `TOKEN=$(npm run -s token -- --role admin)` works.
 * Every mistake is one line on stderr and exit code 2; nothing is signed then.
 */
const USAGE =
  'usage: npm run -s token -- --role admin|auditor|company [--company UUID] [--sub NAME] [--ttl 1h]';
const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };
const MAX_TTL_SECONDS = 366 * 86400;

function fail(message: string, code = 2): never {
  process.stderr.write(`token: ${message}\n`);
  process.exit(code);
}

const warn = (message: string) => process.stderr.write(`token: warning: ${message}\n`);

function parse() {
  try {
    return parseArgs({
      options: {
        role: { type: 'string' },
        company: { type: 'string' },
        sub: { type: 'string' },
        ttl: { type: 'string', default: '1h' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (error) {
    // parseArgs' own messages (unknown option, stray argument, missing value) are clear; keep one line.
    const message = error instanceof Error ? error.message.replace(/\s+/g, ' ') : String(error);
    fail(`${message} (${USAGE})`);
  }
}

/** "30m" → 1800; a ttl must be a positive whole number of s, m, h or d, at most 366 days. */
function ttlSeconds(text: string): number {
  const match = /^(\d{1,9})([smhd])$/.exec(text);
  if (!match) fail(`--ttl must look like 30m, 1h or 7d, not '${text}'`);
  const seconds = Number(match[1]) * UNIT_SECONDS[match[2]!]!;
  if (seconds <= 0) fail('--ttl must be greater than zero');
  if (seconds > MAX_TTL_SECONDS) fail('--ttl must be at most 366d');
  return seconds;
}

type CompanyCheck = { found: boolean; where: string } | { skipped: string };

/**
 * Whether the company exists in the database this configuration points at. The embedded database is
 * opened only when no server holds its DATA_DIR (two processes on one PGlite directory lose writes);
 * while a server runs, that server is asked over HTTP instead, with a short-lived admin token.
 */
async function checkCompany(config: Config, secret: string, companyId: string): Promise<CompanyCheck> {
  const database = config.database;
  if (database.kind === 'postgres') {
    const client = postgres(database.url, { max: 1, connect_timeout: 5, onnotice: () => {} });
    try {
      const db = drizzlePostgres(client, { schema }) as unknown as Db;
      return { found: (await findCompany(db, companyId)) !== undefined, where: 'the PostgreSQL database' };
    } catch (error) {
      fail(`cannot check --company in DATABASE_URL: ${oneLine(error)}`, 1);
    } finally {
      await client.end({ timeout: 1 });
    }
  }
  if (database.dataDir === null) return { skipped: 'a memory: database lives only inside its server' };
  const dataDir = database.dataDir;
  const where = `the embedded database in ${dataDir}`;
  const owner = liveLockOwner(dataDir);
  if (owner) return askServer(config, secret, companyId, owner.pid, owner.url, where);
  if (!existsSync(join(dataDir, 'pglite'))) {
    fail(
      `there is no embedded database in ${dataDir} yet (start the server once), so no company ${companyId}`,
    );
  }
  let lock: ReturnType<typeof lockDataDir>;
  try {
    lock = lockDataDir(dataDir);
  } catch (error) {
    if (!(error instanceof DataDirLockedError)) throw error;
    return askServer(config, secret, companyId, error.owner.pid, error.owner.url, where);
  }
  const client = new PGlite(join(dataDir, 'pglite'));
  try {
    const db = drizzlePglite(client, { schema }) as unknown as Db;
    return { found: (await findCompany(db, companyId)) !== undefined, where };
  } finally {
    await client.close();
    lock.release();
  }
}

async function askServer(
  config: Config,
  secret: string,
  companyId: string,
  pid: number,
  url: string | null,
  where: string,
): Promise<CompanyCheck> {
  if (!url) return { skipped: `the server (pid ${pid}) holding ${where} is still starting` };
  // A server listening on every interface is reached on loopback.
  const base = url.replace('://0.0.0.0:', '://127.0.0.1:').replace('://[::]:', '://[::1]:');
  const token = await signToken(config.auth, secret, { role: 'admin', sub: 'cli:token', ttlSeconds: 60 });
  try {
    const res = await fetch(`${base}/v1/companies/${companyId}`, {
      headers: { authorization: `Bearer ${token}` },
      signal: AbortSignal.timeout(5000),
    });
    if (res.status === 200 || res.status === 404) {
      return { found: res.status === 200, where: `${where} (asked the server, pid ${pid})` };
    }
    return { skipped: `the server (pid ${pid}) at ${base} answered ${res.status}` };
  } catch (error) {
    return { skipped: `the server (pid ${pid}) at ${base} did not answer: ${oneLine(error)}` };
  }
}

/** An error as one line; for a failed query, the database's reason rather than drizzle's echo of the SQL. */
function oneLine(error: unknown): string {
  const cause = error instanceof Error && error.cause instanceof Error ? error.cause : undefined;
  const message = cause?.message ?? (error instanceof Error ? error.message : String(error));
  return message.replace(/\s+/g, ' ');
}

async function main() {
  const values = parse();
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const role = values.role as Role | undefined;
  if (!role || !ROLES.includes(role)) fail(`--role must be one of ${ROLES.join(', ')} (${USAGE})`);
  const companyId = values.company;
  if (role === 'company' && companyId === undefined) fail('--role company needs --company <companyId>');
  if (role !== 'company' && companyId !== undefined) fail('--company goes with --role company only');
  // The API refuses a company token whose companyId is not a UUID: do not sign one.
  if (companyId !== undefined && !z.uuid().safeParse(companyId).success) {
    fail(`--company must be a company id (a UUID), not '${companyId}'`);
  }
  if (values.sub !== undefined && values.sub.trim() === '') fail('--sub must not be empty');
  const ttl = ttlSeconds(values.ttl ?? '1h');

  let config: Config;
  try {
    config = loadConfig();
  } catch (error) {
    fail(error instanceof ConfigError ? error.message : oneLine(error));
  }
  if (config.database.kind === 'pglite' && config.database.dataDir === null && !config.auth.jwtSecret) {
    fail('a memory: database has a throw-away secret; set AUTH_JWT_SECRET to sign tokens for it');
  }
  const { secret } = resolveJwtSecret(config);
  if (!secret) fail('tokens are verified against AUTH_JWKS_URL; sign them with your identity provider');

  if (companyId !== undefined) {
    const check = await checkCompany(config, secret, companyId);
    if ('skipped' in check) warn(`--company not checked: ${check.skipped}`);
    else if (!check.found) fail(`no company ${companyId} in ${check.where}`);
  }

  const token = await signToken(config.auth, secret, { role, companyId, sub: values.sub, ttlSeconds: ttl });
  process.stdout.write(`${token}\n`);
  // `npm run token` (without -s) prints its banner on stdout before the token: say so when captured.
  if (
    process.env.npm_lifecycle_event === 'token' &&
    process.env.npm_config_loglevel !== 'silent' &&
    !process.stdout.isTTY
  ) {
    warn('npm printed its "> …" banner on stdout too; capture the token alone with `npm run -s token -- …`');
  }
}

main().catch((error) => fail(oneLine(error), 1));
