import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { lockFile } from '../src/db/data-dir-lock.js';
import { signToken } from '../src/http/auth.js';
import { secretFile } from '../src/secrets.js';
import { type ApiProcess, call, startApiProcess } from './helpers/processes.js';
import { expectRefused, expectToken, run, token } from './helpers/token-cli.js';

/** `npm run token` through real processes: what it refuses, what it prints, what it checks. */
const SECRET = 't'.repeat(40);
const MEMORY = { DATABASE_URL: 'memory:', AUTH_JWT_SECRET: SECRET };

describe.concurrent('npm run token refuses mistakes with one line and exit code 2', () => {
  it.each([
    ['an unknown option', ['--role', 'admin', '--rol', 'x'], /Unknown option '--rol'/],
    ['a stray argument', ['--role', 'admin', 'extra'], /Unexpected argument 'extra'/],
    ['an option without its value', ['--role'], /--role/],
    ['no role', [], /--role must be one of company, admin, auditor/],
    ['an unknown role', ['--role', 'root'], /--role must be one of/],
    ['a company role without a company', ['--role', 'company'], /--company/],
    ['a company for another role', ['--role', 'admin', '--company', randomUUID()], /--role company only/],
    [
      'a company id that is not a UUID',
      ['--role', 'company', '--company', 'acme'],
      /must be a company id \(a UUID\)/,
    ],
    ['a zero ttl', ['--role', 'admin', '--ttl', '0s'], /--ttl must be greater than zero/],
    ['a ttl without a unit', ['--role', 'admin', '--ttl', '60'], /--ttl must look like/],
    ['a negative ttl', ['--role', 'admin', '--ttl=-5m'], /--ttl must look like/],
    ['a ttl beyond a year', ['--role', 'admin', '--ttl', '400d'], /at most 366d/],
    ['an empty subject', ['--role', 'admin', '--sub', ''], /--sub must not be empty/],
  ])('%s', async (_case, args, pattern) => {
    expectRefused(await token(args, MEMORY), pattern);
  });

  it('names a bad variable in one line too', async () => {
    expectRefused(
      await token(['--role', 'admin'], { ...MEMORY, AUTH_JWT_SECRET: 'short' }),
      /AUTH_JWT_SECRET/,
    );
  });
});

describe('npm run token prints the token alone on stdout', () => {
  it('signs the asked role, subject and lifetime', async () => {
    const claims = await expectToken(
      await token(['--role', 'auditor', '--sub', 'auditor:jane', '--ttl', '30m'], MEMORY),
      SECRET,
    );
    expect(claims).toMatchObject({ role: 'auditor', sub: 'auditor:jane' });
    expect(claims.exp! - claims.iat!).toBe(1800);
  });

  it('through `npm run -s token`, so TOKEN=$(npm run -s token -- --role admin) captures just the token', async () => {
    const result = await run('npm', ['run', '-s', 'token', '--', '--role', 'admin'], MEMORY);
    expect(await expectToken(result, SECRET)).toMatchObject({ role: 'admin' });
    expect(result.stderr).toBe('');
  });

  it('through `npm run token` (no -s): the token is the last line, and stderr says how to drop the banner', async () => {
    const result = await run('npm', ['run', 'token', '--', '--role', 'admin'], MEMORY);
    expect(result.code, result.stderr).toBe(0);
    const lines = result.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^> /); // npm's banner, on stdout
    await expectToken({ ...result, stdout: `${lines.at(-1)}\n` }, SECRET);
    expect(result.stderr).toContain('npm run -s token');
  });

  it('signs a company token for a memory: database, warning that it cannot check the company', async () => {
    const company = randomUUID();
    const result = await token(['--role', 'company', '--company', company], MEMORY);
    expect(await expectToken(result, SECRET)).toMatchObject({ role: 'company', companyId: company });
    expect(result.stderr).toMatch(/^token: warning: --company not checked: a memory: database/);
  });
});

describe('--company must name a company of the embedded database', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'reserve-token-'));
  const env = { DATA_DIR: dataDir };
  let server: ApiProcess | undefined;
  afterAll(async () => {
    await server?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('refuses any company before the database exists', async () => {
    expectRefused(
      await token(['--role', 'company', '--company', randomUUID()], env),
      /no embedded database in .* yet/,
    );
  });

  it('asks the running server (which holds DATA_DIR), then opens the files once it has stopped', async () => {
    server = await startApiProcess({ DATA_DIR: dataDir, DATABASE_URL: '', SEED_DEMO: 'true' });
    const secret = readFileSync(secretFile(dataDir), 'utf8').trim();
    const admin = await signToken(
      { jwtSecret: secret, jwksUrl: null, issuer: 'reserve-dev', audience: 'reserve-api' },
      secret,
      { role: 'admin' },
    );
    const companies = await call(server.url, 'GET', '/v1/companies', admin);
    const companyId = (companies.body.data as { id: string }[])[0]!.id;

    // While the server runs: checked through its API, never by opening its files.
    const running = await token(['--role', 'company', '--company', companyId], env);
    expect(await expectToken(running, secret)).toMatchObject({ role: 'company', companyId });
    expect(running.stderr).toBe('');
    expectRefused(
      await token(['--role', 'company', '--company', randomUUID()], env),
      /no company .* in the embedded database in .* \(asked the server, pid \d+\)/,
    );
    expect(JSON.parse(readFileSync(lockFile(dataDir), 'utf8')).pid).toBe(server.pid);

    await server.stop();
    server = undefined;
    // Stopped: the CLI locks DATA_DIR itself, reads the company, and lets go again.
    const stopped = await token(['--role', 'company', '--company', companyId, '--ttl', '7d'], env);
    const claims = await expectToken(stopped, secret);
    expect(claims).toMatchObject({ role: 'company', companyId });
    expect(claims.exp! - claims.iat!).toBe(7 * 86400);
    expect(stopped.stderr).toBe('');
    expectRefused(
      await token(['--role', 'company', '--company', randomUUID()], env),
      /no company .* in the embedded/,
    );
    expect(existsSync(lockFile(dataDir))).toBe(false);
  }, 240_000);
});
