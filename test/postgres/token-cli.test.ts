import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import supertest from 'supertest';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { createDatabase, type Database } from '../../src/db/client.js';
import { systemClock } from '../../src/domain/clock.js';
import { signToken } from '../../src/http/auth.js';
import { bearer, TEST_SECRET } from '../helpers/app.js';
import { createTestDatabase, describeDb, type TestDatabase } from '../helpers/database.js';
import { expectToken, token } from '../helpers/token-cli.js';

/** Minting tokens for a PostgreSQL deployment: AUTH_JWT_SECRET and DATABASE_URL of that deployment. */
describeDb('npm run token against PostgreSQL', () => {
  let testDb: TestDatabase;
  let database: Database;
  let app: FastifyInstance;
  let env: Record<string, string>;
  beforeAll(async () => {
    testDb = await createTestDatabase();
    env = { DATABASE_URL: testDb.url, AUTH_JWT_SECRET: TEST_SECRET };
    const config = loadConfig({ ...env, LOG_LEVEL: 'silent', RATE_LIMIT_MAX: '0' });
    database = await createDatabase(config.database);
    app = await buildApp({ config, database, clock: systemClock, jwtSecret: TEST_SECRET, logger: false });
    await app.ready();
  });
  afterAll(async () => {
    await app.close();
    await database.close();
    await testDb.drop();
  });

  it('signs a company token for a company of that database, and one the API accepts', async () => {
    const api = supertest(app.server);
    const admin = await signToken(loadConfig(env).auth, TEST_SECRET, {
      role: 'admin',
    });
    const created = await api
      .post('/v1/companies')
      .set(bearer(admin))
      .send({ name: 'Fab One', country: 'DE' });
    expect(created.status).toBe(201);
    const companyId = created.body.id as string;
    const result = await token(['--role', 'company', '--company', companyId], env);
    const claims = await expectToken(result, TEST_SECRET);
    expect(claims).toMatchObject({ role: 'company', companyId });
    const own = await api.get(`/v1/companies/${companyId}`).set(bearer(result.stdout.trim()));
    expect(own.status).toBe(200);
  });

  it('refuses a company that database does not have', async () => {
    const result = await token(['--role', 'company', '--company', randomUUID()], env);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/^token: no company [0-9a-f-]{36} in the PostgreSQL database\n$/);
  });

  it('says in one line (exit 1) when it cannot reach the database to check', async () => {
    const result = await token(['--role', 'company', '--company', randomUUID()], {
      DATABASE_URL: 'postgres://postgres@127.0.0.1:1/nowhere',
      AUTH_JWT_SECRET: TEST_SECRET,
    });
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/^token: cannot check --company in DATABASE_URL: .*\n$/);
  });
});
