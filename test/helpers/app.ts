import type { FastifyInstance } from 'fastify';
import supertest from 'supertest';
import { buildApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { createDatabase, type Database } from '../../src/db/client.js';
import type { Role } from '../../src/domain/actor.js';
import { ManualClock } from '../../src/domain/clock.js';
import { signToken } from '../../src/http/auth.js';
import { createTestDatabase, type TestDatabase } from './database.js';

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

/** The real app on a fresh database (PGlite or PostgreSQL, per TEST_DB), with real migrations. */
export async function createTestApp(env: Record<string, string> = {}): Promise<TestApp> {
  const testDb: TestDatabase = await createTestDatabase();
  const config = loadConfig({
    DATABASE_URL: testDb.url,
    AUTH_JWT_SECRET: TEST_SECRET,
    RATE_LIMIT_MAX: '0',
    LOG_LEVEL: 'silent',
    ...env,
  });
  const database = await createDatabase(config.database);
  const clock = new ManualClock(new Date());
  const app = await buildApp({ config, database, clock, jwtSecret: TEST_SECRET, logger: false });
  await app.ready();
  const token = (role: Role, companyId?: string, sub?: string) =>
    signToken(config.auth, TEST_SECRET, { role, companyId, sub }, clock.now());
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
      await database.close();
      await testDb.drop();
    },
  };
}

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
