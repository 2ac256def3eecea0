import { execFile, execFileSync } from 'node:child_process';
import { chmodSync, chownSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A throw-away PostgreSQL cluster in a temporary directory on a free port, for fault injection and for
 * replication: it can be restarted with `-m immediate` without touching the machine's own server, and
 * replicated (`createStandby`; the machine's server may not admit replication connections). As root,
 * initdb, pg_basebackup and pg_ctl run as the `postgres` user (PostgreSQL refuses to run as root).
 */
export interface Cluster {
  url: string;
  port: number;
  /** Asynchronous, so the clients and probes of the calling process keep running meanwhile. */
  restartImmediate(): Promise<void>;
  /**
   * Stops every process of the cluster (SIGSTOP): a database that hangs instead of refusing, as one
   * behind a dead network path or a stuck disk does. Returns the function that lets it run again.
   */
  freeze(): () => void;
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

/** Signals a process that may have exited meanwhile (a backend ending, reaped once its parent runs). */
function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}

/** The processes whose parent is `pid` (e.g. the postmaster's backends and helpers), from /proc. */
export function childrenOf(pid: number): number[] {
  const children: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // "pid (comm) state ppid …": comm may hold spaces, so read after its closing parenthesis.
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) children.push(Number(entry));
    } catch {
      // exited meanwhile
    }
  }
  return children;
}

/** Runs a PostgreSQL tool, as the `postgres` user when we are root (the server refuses to run as root). */
function runner(dir: string) {
  const owner = postgresUser();
  if (owner) {
    chownSync(dir, owner.uid, owner.gid);
    chmodSync(dir, 0o700);
  }
  const command = (tool: string, args: string[]): [string, string[]] =>
    owner ? ['runuser', ['-u', 'postgres', '--', `${BIN}/${tool}`, ...args]] : [`${BIN}/${tool}`, args];
  return {
    sync: (tool: string, args: string[]) => {
      const [file, argv] = command(tool, args);
      return execFileSync(file, argv, { stdio: 'pipe', cwd: dir });
    },
    async: (tool: string, args: string[]) =>
      new Promise<void>((resolve, reject) => {
        const [file, argv] = command(tool, args);
        execFile(file, argv, { cwd: dir }, (error) => (error ? reject(error) : resolve()));
      }),
  };
}

/** Server settings for a throw-away cluster; a standby gets the same (hot standby needs max_connections ≥ the primary's). */
const serverOptions = (port: number, dir: string) =>
  [
    `-p ${port}`,
    '-c listen_addresses=127.0.0.1',
    `-c unix_socket_directories=${dir}`,
    '-c fsync=off', // a crashed *server process* loses nothing; only an OS crash would
    '-c max_connections=60',
    '-c shared_buffers=32MB',
  ].join(' ');

export async function createCluster(): Promise<Cluster> {
  const dir = mkdtempSync(join(tmpdir(), 'reserve-faults-'));
  const data = join(dir, 'data');
  const run = runner(dir);
  // initdb's pg_hba.conf with `-A trust` also admits replication connections from 127.0.0.1 (standbys).
  run.sync('initdb', ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync']);
  const port = await freePort();
  const ctlArgs = ['-D', data, '-l', join(dir, 'server.log'), '-o', serverOptions(port, dir)];
  run.sync('pg_ctl', [...ctlArgs, 'start', '-w', '-t', '60']);
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    restartImmediate: () => run.async('pg_ctl', [...ctlArgs, 'restart', '-m', 'immediate', '-w', '-t', '60']),
    freeze: () => {
      const postmaster = Number(readFileSync(join(data, 'postmaster.pid'), 'utf8').split('\n')[0]);
      process.kill(postmaster, 'SIGSTOP'); // first, so it forks no backend we would miss
      const pids = [postmaster, ...childrenOf(postmaster)];
      for (const pid of pids) signal(pid, 'SIGSTOP');
      return () => {
        for (const pid of pids) signal(pid, 'SIGCONT');
      };
    },
    stop: () => {
      try {
        run.sync('pg_ctl', [...ctlArgs, 'stop', '-m', 'immediate', '-w', '-t', '30']);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

/** A hot standby streaming from a primary: read-only, replaying the primary's WAL as it comes. */
export interface Standby {
  url: string;
  port: number;
  /** Stops it (`-m immediate`) and removes its directory; safe to call twice. */
  stop(): void;
}

/**
 * A streaming replica of `primary` (any cluster on 127.0.0.1 that admits replication connections from
 * the user postgres): `pg_basebackup -R` into a temporary directory (a fast checkpoint, WAL streamed
 * alongside), then `pg_ctl start` on a free port. Resolves once it accepts read-only connections.
 */
export async function createStandby(primary: { port: number }): Promise<Standby> {
  const dir = mkdtempSync(join(tmpdir(), 'reserve-standby-'));
  const data = join(dir, 'data');
  const run = runner(dir);
  // -R writes standby.signal and primary_conninfo; the copy is of the whole cluster.
  run.sync('pg_basebackup', [
    ...['-h', '127.0.0.1', '-p', String(primary.port), '-U', 'postgres', '-D', data],
    ...['-R', '-X', 'stream', '-c', 'fast', '--no-sync'],
  ]);
  const port = await freePort();
  const ctlArgs = ['-D', data, '-l', join(dir, 'server.log'), '-o', serverOptions(port, dir)];
  run.sync('pg_ctl', [...ctlArgs, 'start', '-w', '-t', '60']);
  let stopped = false;
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    stop: () => {
      if (stopped) return;
      stopped = true;
      try {
        run.sync('pg_ctl', [...ctlArgs, 'stop', '-m', 'immediate', '-w', '-t', '30']);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
