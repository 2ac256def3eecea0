import type { FastifyInstance } from 'fastify';
import supertest from 'supertest';
import { buildApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { createDatabase, type Database } from '../../src/db/client.js';
import { openReadReplica } from '../../src/db/replica.js';
import type { Role } from '../../src/domain/actor.js';
import { ManualClock } from '../../src/domain/clock.js';
import { signToken } from '../../src/http/auth.js';
import { createTestDatabase, type TestDatabase } from './database.js';
import { drainViolations, validateResponsesAgainstDocument } from './openapi-validator.js';

export const TEST_SECRET = 'test-secret-that-is-long-enough-0123456789';

export interface TestApp {
  app: FastifyInstance;
  api: ReturnType<typeof supertest>;
  database: Database;
  clock: ManualClock;
  token(role: Role, companyId?: string, sub?: string): Promise<string>;
  admin: string;
  auditor: string;
  close(): Promise<void>;
}

/**
 * The real app on a fresh database (PGlite or PostgreSQL, per TEST_DB), with real migrations.
 * `env` overrides the configuration; `{ AUTH_JWKS_URL: url, AUTH_JWT_SECRET: '' }` verifies tokens
 * against that JWKS instead of the shared secret (then `token()` still signs HS256 with TEST_SECRET,
 * which such an app must reject). A `DATABASE_URL` in `env` names a database the caller owns (no
 * fresh one is made, none is dropped); a `DATABASE_READ_URL` opens that replica for the auditors' reads.
 * `extend` adds hooks to the app before it is ready (e.g. an injected failure).
 */
export async function createTestApp(
  env: Record<string, string> = {},
  extend?: (app: FastifyInstance) => void,
): Promise<TestApp> {
  const testDb: TestDatabase = env.DATABASE_URL
    ? { url: env.DATABASE_URL, drop: async () => {} }
    : await createTestDatabase();
  const config = loadConfig({
    DATABASE_URL: testDb.url,
    AUTH_JWT_SECRET: TEST_SECRET,
    RATE_LIMIT_MAX: '0',
    LOG_LEVEL: 'silent',
    ...env,
  });
  const opened = await createDatabase(config.database);
  // Closing twice is harmless, so a test may close the database itself (readiness) and still call close().
  let closing: Promise<void> | undefined;
  const database: Database = {
    ...opened,
    close: () => {
      closing ??= opened.close();
      return closing;
    },
  };
  const readReplica = config.readReplica ? openReadReplica(config.readReplica) : undefined;
  const clock = new ManualClock(new Date());
  const jwtSecret = config.auth.jwksUrl ? null : (config.auth.jwtSecret ?? TEST_SECRET);
  const app = await buildApp({
    config,
    database,
    readReplica,
    clock,
    jwtSecret,
    logger: process.env.TEST_LOG_LEVEL ? { level: process.env.TEST_LOG_LEVEL } : false,
  });
  extend?.(app);
  // Every response any test receives must be what the OpenAPI document declares (test/setup.ts).
  validateResponsesAgainstDocument(app);
  await app.ready();
  const token = (role: Role, companyId?: string, sub?: string) =>
    signToken(config.auth, jwtSecret ?? TEST_SECRET, { role, companyId, sub }, clock.now());
  return {
    app,
    api: supertest(app.server),
    database,
    clock,
    token,
    admin: await token('admin', undefined, 'admin-1'),
    auditor: await token('auditor', undefined, 'auditor-1'),
    close: async () => {
      await app.close();
      await Promise.all([database.close(), readReplica?.close()]);
      await testDb.drop();
      const violations = drainViolations();
      if (violations.length > 0)
        throw new Error(`responses differ from the OpenAPI document:\n${violations.join('\n')}`);
    },
  };
}

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
