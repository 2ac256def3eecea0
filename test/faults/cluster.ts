import { execFile, execFileSync } from 'node:child_process';
import { chmodSync, chownSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
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
        ctl(['stop', '-m', 'immediate', '-w', '-t', '30']);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
