import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DataDirLockedError, liveLockOwner, lockDataDir, lockFile } from '../src/db/data-dir-lock.js';
import { type ApiProcess, run, startApiProcess } from './helpers/processes.js';

const dirs: string[] = [];
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'reserve-lock-'));
  dirs.push(dir);
  return dir;
};
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** The pid of a process that has run and exited: nobody has it now (barring a rare recycle). */
function deadPid(): number {
  const done = spawnSync(process.execPath, ['-e', '']);
  expect(done.pid).toBeGreaterThan(0);
  return done.pid!;
}

const writeLock = (dir: string, owner: Record<string, unknown>) =>
  writeFileSync(lockFile(dir), `${JSON.stringify({ startedAt: '2026-01-01T00:00:00.000Z', ...owner })}\n`);

describe('the DATA_DIR lock (in process)', () => {
  it('is a file naming this process, removed on release', () => {
    const dir = tempDir();
    const lock = lockDataDir(dir);
    const owner = JSON.parse(readFileSync(lockFile(dir), 'utf8'));
    expect(owner).toMatchObject({ pid: process.pid, hostname: hostname(), url: null });
    lock.publish('http://127.0.0.1:1234');
    expect(JSON.parse(readFileSync(lockFile(dir), 'utf8')).url).toBe('http://127.0.0.1:1234');
    lock.release();
    expect(existsSync(lockFile(dir))).toBe(false);
  });

  it('refuses while a live process on this host holds it, naming directory and pid', () => {
    const dir = tempDir();
    // The parent process is alive and is not us.
    writeLock(dir, { pid: process.ppid, hostname: hostname(), procStart: null });
    let error: unknown;
    try {
      lockDataDir(dir);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(DataDirLockedError);
    const message = (error as Error).message;
    expect(message).toContain(dir);
    expect(message).toContain(`pid ${process.ppid}`);
    expect(message).not.toContain('\n');
    expect(liveLockOwner(dir)?.pid).toBe(process.ppid);
    // The refused process leaves the owner's lock alone.
    expect(JSON.parse(readFileSync(lockFile(dir), 'utf8')).pid).toBe(process.ppid);
  });

  it('takes over a stale lock: owner gone, or its pid recycled by another process', () => {
    const dead = tempDir();
    writeLock(dead, { pid: deadPid(), hostname: hostname(), procStart: '1' });
    expect(liveLockOwner(dead)).toBeNull();
    lockDataDir(dead).release();

    const recycled = tempDir();
    // A live pid whose start time is not the one recorded: the owner died and the pid was reused.
    writeLock(recycled, { pid: process.ppid, hostname: hostname(), procStart: '1' });
    const lock = lockDataDir(recycled);
    expect(JSON.parse(readFileSync(lockFile(recycled), 'utf8')).pid).toBe(process.pid);
    lock.release();
  });

  it("refuses another host's lock, which it cannot check, and says how to clear it", () => {
    const dir = tempDir();
    writeLock(dir, { pid: 1, hostname: 'another-host.invalid', procStart: null });
    expect(() => lockDataDir(dir)).toThrow(/pid 1 on host another-host\.invalid.*delete .*\.lock/);
  });
});

/** Runs src/server.ts to its end; for a process that must be refused at start. */
/** The server entry point run to its end, over a clean environment plus `env`. */
const runServer = (env: Record<string, string>) =>
  run(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
    HOST: '127.0.0.1',
    PORT: '0',
    LOG_LEVEL: 'warn',
    SEED_DEMO: 'false',
    ...env,
  });

describe('two server processes on one embedded DATA_DIR', () => {
  const servers: ApiProcess[] = [];
  afterAll(async () => {
    for (const server of servers) await server.stop();
  });

  it('refuses the second with one line and exit code 2; a crashed owner’s lock is taken over', async () => {
    const dir = tempDir();
    const env = { DATA_DIR: dir, DATABASE_URL: '' };
    const first = await startApiProcess(env);
    servers.push(first);
    const lock = JSON.parse(readFileSync(lockFile(dir), 'utf8'));
    expect(lock).toMatchObject({ pid: first.pid, url: first.url });

    const second = await runServer(env);
    expect(second.code).toBe(2);
    expect(second.stdout).toBe('');
    const line = second.stderr.trim();
    expect(line.split('\n')).toHaveLength(1);
    expect(line).toContain(dir);
    expect(line).toContain(`pid ${first.pid}`);
    // The owner still serves, and still owns the lock.
    expect((await fetch(`${first.url}/health/ready`)).status).toBe(200);
    expect(JSON.parse(readFileSync(lockFile(dir), 'utf8')).pid).toBe(first.pid);

    // A crash leaves the lock behind; the next start finds its owner gone and takes it over.
    first.child.kill('SIGKILL');
    await first.stop();
    expect(existsSync(lockFile(dir))).toBe(true);
    const third = await startApiProcess(env);
    servers.push(third);
    expect(JSON.parse(readFileSync(lockFile(dir), 'utf8')).pid).toBe(third.pid);
    expect((await fetch(`${third.url}/health/ready`)).status).toBe(200);

    // A clean stop releases it.
    await third.stop();
    expect(existsSync(lockFile(dir))).toBe(false);
  }, 240_000);

  it('locks nothing for a memory: database', async () => {
    const dir = tempDir();
    const server = await startApiProcess({
      DATA_DIR: dir,
      DATABASE_URL: 'memory:',
      AUTH_JWT_SECRET: 'm'.repeat(40),
    });
    servers.push(server);
    expect(existsSync(lockFile(dir))).toBe(false);
    await server.stop();
  }, 120_000);
});
