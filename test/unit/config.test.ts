import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SECRET = 's'.repeat(32);

/** The ConfigError loadConfig throws for `env`, with a message that must be one line. */
function configError(env: Record<string, string | undefined>): ConfigError {
  let caught: unknown;
  try {
    loadConfig(env);
  } catch (error) {
    caught = error;
  }
  expect(caught, `expected a ConfigError for ${JSON.stringify(env)}`).toBeInstanceOf(ConfigError);
  const error = caught as ConfigError;
  expect(error.message).not.toContain('\n');
  return error;
}

describe('loadConfig', () => {
  it('defaults to an embedded database under ./data on 127.0.0.1:3000', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      database: { kind: 'pglite', dataDir: './data' },
      dataDir: './data',
      host: '127.0.0.1',
      port: 3000,
      seedDemo: true,
      rateLimitMax: 600,
      logLevel: 'info',
      bodyLimit: 1024 * 1024,
      auth: { jwtSecret: null, jwksUrl: null, issuer: 'reserve-dev', audience: 'reserve-api' },
    });
    expect(config.idempotencyTtlHours).toBeGreaterThanOrEqual(24);
  });

  it('reads every documented variable', () => {
    const config = loadConfig({
      DATA_DIR: '/var/lib/reserve',
      HOST: '0.0.0.0',
      PORT: '8080',
      SEED_DEMO: 'false',
      RATE_LIMIT_MAX: '0',
      LOG_LEVEL: 'warn',
      AUTH_JWT_SECRET: SECRET,
      AUTH_ISSUER: 'issuer-x',
      AUTH_AUDIENCE: 'audience-y',
    });
    expect(config).toMatchObject({
      database: { kind: 'pglite', dataDir: '/var/lib/reserve' },
      host: '0.0.0.0',
      port: 8080,
      seedDemo: false,
      rateLimitMax: 0,
      logLevel: 'warn',
      auth: { jwtSecret: SECRET, issuer: 'issuer-x', audience: 'audience-y' },
    });
  });

  it('treats an empty variable as unset', () => {
    expect(loadConfig({ PORT: '', HOST: '', SEED_DEMO: '' })).toMatchObject({
      port: 3000,
      host: '127.0.0.1',
      seedDemo: true,
    });
  });

  it('uses a throw-away embedded database for memory:, still seeding by default', () => {
    expect(loadConfig({ DATABASE_URL: 'memory:' })).toMatchObject({
      database: { kind: 'pglite', dataDir: null },
      seedDemo: true,
    });
  });

  it('does not seed by default with a PostgreSQL URL, and seeds when asked', () => {
    const url = 'postgres://reserve@db.internal:5432/reserve';
    expect(loadConfig({ DATABASE_URL: url, AUTH_JWT_SECRET: SECRET })).toMatchObject({
      database: { kind: 'postgres', url },
      seedDemo: false,
    });
    expect(loadConfig({ DATABASE_URL: url, AUTH_JWT_SECRET: SECRET, SEED_DEMO: 'true' }).seedDemo).toBe(true);
    expect(
      loadConfig({ DATABASE_URL: 'postgresql://h/db', AUTH_JWKS_URL: 'https://idp.example/jwks.json' }).auth,
    ).toMatchObject({ jwtSecret: null, jwksUrl: 'https://idp.example/jwks.json' });
  });

  it('puts the audit and ledger reads on the primary unless DATABASE_READ_URL names a replica', () => {
    const url = 'postgres://reserve@db.internal:5432/reserve';
    const replica = 'postgres://reserve@replica.internal:5432/reserve';
    expect(loadConfig({ DATABASE_URL: url, AUTH_JWT_SECRET: SECRET }).readReplica).toBeNull();
    expect(
      loadConfig({ DATABASE_URL: url, AUTH_JWT_SECRET: SECRET, DATABASE_READ_URL: '' }).readReplica,
    ).toBeNull();
    expect(
      loadConfig({ DATABASE_URL: url, AUTH_JWT_SECRET: SECRET, DATABASE_READ_URL: replica, DB_POOL_MAX: '6' })
        .readReplica,
    ).toEqual({ url: replica, poolMax: 6 });
  });

  it('refuses DATABASE_READ_URL with the embedded database, which has no replicas', () => {
    const replica = 'postgres://reserve@replica.internal:5432/reserve';
    for (const env of [{}, { DATABASE_URL: 'memory:' }]) {
      const message = configError({ ...env, DATABASE_READ_URL: replica }).message;
      expect(message).toContain('DATABASE_READ_URL');
      expect(message).toContain('embedded database has no replicas');
    }
  });

  it.each([
    ['DATABASE_READ_URL', { DATABASE_READ_URL: 'memory:' }],
    ['DATABASE_READ_URL', { DATABASE_READ_URL: 'replica.internal:5432' }],
    ['PORT', { PORT: 'abc' }],
    ['PORT', { PORT: '65536' }],
    ['PORT', { PORT: '-1' }],
    ['PORT', { PORT: '80.5' }],
    ['LOG_LEVEL', { LOG_LEVEL: 'verbose' }],
    ['AUTH_JWT_SECRET', { AUTH_JWT_SECRET: 'short' }],
    ['AUTH_JWT_SECRET', { AUTH_JWT_SECRET: 's'.repeat(31) }],
    ['DATABASE_URL', { DATABASE_URL: 'mysql://localhost/db' }],
    ['DATABASE_URL', { DATABASE_URL: 'localhost:5432' }],
    ['RATE_LIMIT_MAX', { RATE_LIMIT_MAX: '-5' }],
    ['RATE_LIMIT_MAX', { RATE_LIMIT_MAX: 'lots' }],
    ['SEED_DEMO', { SEED_DEMO: 'maybe' }],
    ['AUTH_JWKS_URL', { AUTH_JWKS_URL: 'not a url' }],
    ['AUTH_JWKS_URL', { AUTH_JWKS_URL: 'file:///etc/jwks.json' }],
    ['TRUST_PROXY', { TRUST_PROXY: 'yes please' }],
    ['TRUST_PROXY', { TRUST_PROXY: '10.0.0.1,proxy.internal' }],
    ['TRUST_PROXY', { TRUST_PROXY: '10.0.0.0/33' }],
  ])('rejects a bad %s with a one-line message naming it', (variable, env) => {
    expect(configError(env).message).toContain(variable);
  });

  it('believes no proxy unless TRUST_PROXY says which', () => {
    expect(loadConfig({}).trustProxy).toBe(false);
    expect(loadConfig({ TRUST_PROXY: 'true' }).trustProxy).toBe(true);
    expect(loadConfig({ TRUST_PROXY: 'false' }).trustProxy).toBe(false);
    expect(loadConfig({ TRUST_PROXY: '10.0.0.1, 172.16.0.0/12,::1' }).trustProxy).toEqual([
      '10.0.0.1',
      '172.16.0.0/12',
      '::1',
    ]);
  });

  it('names every bad variable at once, still on one line', () => {
    const message = configError({ PORT: 'abc', LOG_LEVEL: 'loud' }).message;
    expect(message).toContain('PORT');
    expect(message).toContain('LOG_LEVEL');
  });

  it('refuses PostgreSQL without a way to verify tokens', () => {
    const message = configError({ DATABASE_URL: 'postgres://db/reserve' }).message;
    expect(message).toContain('AUTH_JWT_SECRET');
  });

  it('refuses a secret and a JWKS URL together', () => {
    const message = configError({
      AUTH_JWT_SECRET: SECRET,
      AUTH_JWKS_URL: 'https://idp.example/jwks.json',
    }).message;
    expect(message).toContain('AUTH_JWT_SECRET');
    expect(message).toContain('AUTH_JWKS_URL');
  });
});

describe('the server entry point', () => {
  it('exits non-zero with one line naming PORT (and no stack trace) when PORT is invalid', async () => {
    const { code, stdout, stderr } = await new Promise<{
      code: number | null;
      stdout: string;
      stderr: string;
    }>((resolve) => {
      execFile(
        process.execPath,
        ['--import', 'tsx', 'src/server.ts'],
        {
          cwd: ROOT,
          timeout: 20_000,
          // A clean environment: nothing from the test run (DATABASE_URL, TEST_DB…) leaks in.
          env: { PATH: process.env.PATH, HOME: process.env.HOME, PORT: 'abc', DATABASE_URL: 'memory:' },
        },
        (error, out, err) =>
          resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout: out, stderr: err }),
      );
    });
    expect(code).not.toBe(0);
    const output = `${stdout}${stderr}`.trim();
    expect(output.split('\n')).toHaveLength(1);
    expect(output).toContain('PORT');
    expect(output).not.toContain('    at ');
    expect(output).not.toMatch(/listening/i);
  }, 30_000);
});
