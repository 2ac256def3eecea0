import { execFile, execFileSync } from 'node:child_process';
import { chmodSync, chownSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A throw-away PostgreSQL cluster in a temporary directory on a free port, for fault injection: it
 * can be restarted with `-m immediate` without touching the machine's own server. As root, initdb
 * and pg_ctl run as the `postgres` user (PostgreSQL refuses to run as root).
 */
export interface Cluster {
  url: string;
  port: number;
  /** Asynchronous, so the clients and probes of the calling process keep running meanwhile. */
  restartImmediate(): Promise<void>;
  stop(): void;
}

const BIN = process.env.PG_BIN ?? findBin();

function findBin(): string {
  for (const version of ['17', '16', '15', '14']) {
    const dir = `/usr/lib/postgresql/${version}/bin`;
    try {
      execFileSync(`${dir}/pg_ctl`, ['--version'], { stdio: 'ignore' });
      return dir;
    } catch {
      // try the next one
    }
  }
  return '';
}

export const clusterAvailable = () => BIN !== '';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

function postgresUser(): { uid: number; gid: number } | null {
  if (process.getuid?.() !== 0) return null;
  const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
  const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
  return { uid, gid };
}

export async function createCluster(): Promise<Cluster> {
  const dir = mkdtempSync(join(tmpdir(), 'reserve-faults-'));
  const data = join(dir, 'data');
  const owner = postgresUser();
  if (owner) {
    chownSync(dir, owner.uid, owner.gid);
    chmodSync(dir, 0o700);
  }
  const run = (tool: string, args: string[]) =>
    owner
      ? execFileSync('runuser', ['-u', 'postgres', '--', `${BIN}/${tool}`, ...args], {
          stdio: 'pipe',
          cwd: dir,
        })
      : execFileSync(`${BIN}/${tool}`, args, { stdio: 'pipe', cwd: dir });
  run('initdb', ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync']);
  const port = await freePort();
  const options = [
    `-p ${port}`,
    '-c listen_addresses=127.0.0.1',
    `-c unix_socket_directories=${dir}`,
    '-c fsync=off', // a crashed *server process* loses nothing; only an OS crash would
    '-c max_connections=60',
    '-c shared_buffers=32MB',
  ].join(' ');
  const ctl = (args: string[]) =>
    run('pg_ctl', ['-D', data, '-l', join(dir, 'server.log'), '-o', options, ...args]);
  ctl(['start', '-w', '-t', '60']);
  const ctlAsync = (args: string[]) =>
    new Promise<void>((resolve, reject) => {
      const full = ['-D', data, '-l', join(dir, 'server.log'), '-o', options, ...args];
      const [file, argv] = owner
        ? ['runuser', ['-u', 'postgres', '--', `${BIN}/pg_ctl`, ...full]]
        : [`${BIN}/pg_ctl`, full];
      execFile(file as string, argv as string[], { cwd: dir }, (error) =>
        error ? reject(error) : resolve(),
      );
    });
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    restartImmediate: () => ctlAsync(['restart', '-m', 'immediate', '-w', '-t', '60']),
    stop: () => {
      try {
        ctl(['stop', '-m', 'immediate', '-w', '-t', '30']);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
