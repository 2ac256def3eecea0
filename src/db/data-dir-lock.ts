import { linkSync, mkdirSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import type { DatabaseConfig } from '../config.js';

/**
 * One process per embedded data directory. PGlite has no lock of its own: two processes on one
 * DATA_DIR both run, each with its own view of the database, and after a restart one side's writes
 * are gone. The owner's pid (and, on Linux, its start time, so a recycled pid is not mistaken for it)
 * is kept in `DATA_DIR/.lock`; a lock whose owner is gone is stale and taken over.
 */
export interface LockOwner {
  pid: number;
  hostname: string;
  /** Start time of the process in clock ticks since boot (/proc/<pid>/stat), null where unknown. */
  procStart: string | null;
  startedAt: string;
  /** Where the owner serves HTTP, once it listens (the token CLI asks it instead of opening the files). */
  url: string | null;
}

export interface DataDirLock {
  readonly path: string;
  readonly owner: LockOwner;
  /** Records the owner's listen address in the lock file. */
  publish(url: string): void;
  /** Removes the lock if it is still ours (also done on process exit). */
  release(): void;
}

export class DataDirLockedError extends Error {
  override name = 'DataDirLockedError';
  constructor(
    readonly dataDir: string,
    readonly owner: LockOwner,
  ) {
    super(
      owner.hostname === hostname()
        ? `DATA_DIR ${dataDir} is in use by another process (pid ${owner.pid}, started ${owner.startedAt}); ` +
            'stop it first, or give this one a DATA_DIR of its own'
        : `DATA_DIR ${dataDir} is in use by pid ${owner.pid} on host ${owner.hostname} (started ` +
            `${owner.startedAt}), which cannot be checked from here; if that process is gone, delete ` +
            `${lockFile(dataDir)}`,
    );
  }
}

export const lockFile = (dataDir: string) => join(resolve(dataDir), '.lock');

/** Takes the lock on `dataDir` for this process, or throws DataDirLockedError naming its live owner. */
export function lockDataDir(dataDir: string): DataDirLock {
  const dir = resolve(dataDir);
  mkdirSync(dir, { recursive: true });
  const path = lockFile(dir);
  const owner: LockOwner = {
    pid: process.pid,
    hostname: hostname(),
    procStart: processStart(process.pid),
    startedAt: new Date().toISOString(),
    url: null,
  };
  let content = `${JSON.stringify(owner)}\n`;
  // Written whole beside the lock, then linked into place: the lock never exists half-written, and
  // link() fails with EEXIST if another process holds it, atomically.
  const draft = `${path}.${process.pid}.tmp`;
  writeFileSync(draft, content);
  try {
    for (let attempt = 0; ; attempt++) {
      if (attempt === 5) throw new Error(`could not lock ${dir}: ${path} keeps changing`);
      try {
        linkSync(draft, path);
        break;
      } catch (error) {
        if (!isCode(error, 'EEXIST')) throw error;
      }
      const seen = readText(path);
      if (seen === null) continue; // released meanwhile
      const current = parseOwner(seen);
      if (current && isAlive(current)) throw new DataDirLockedError(dir, current);
      // Stale (owner gone, or not a lock we wrote). Move it aside — rename is atomic, so of several
      // processes taking over only one moves it — then check that what moved is the stale lock and
      // not one a faster process has just taken; that one goes back.
      const aside = `${path}.${process.pid}.stale`;
      try {
        renameSync(path, aside);
      } catch (error) {
        if (isCode(error, 'ENOENT')) continue;
        throw error;
      }
      if (readText(aside) !== seen) {
        try {
          linkSync(aside, path);
        } catch {
          // Someone locked again meanwhile; the next attempt reads who.
        }
      }
      unlinkSync(aside);
    }
  } finally {
    unlinkSync(draft);
  }

  let released = false;
  const release = () => {
    if (released) return;
    released = true;
    process.off('exit', release);
    // Only our own lock: after a takeover by mistake the file may name someone else.
    if (readText(path) === content) unlinkSync(path);
  };
  process.once('exit', release);
  return {
    path,
    owner,
    publish(url) {
      owner.url = url;
      const next = `${JSON.stringify(owner)}\n`;
      const staged = `${path}.${process.pid}.tmp`;
      writeFileSync(staged, next);
      renameSync(staged, path); // atomic replace: readers see the old or the new owner line
      content = next;
    },
    release,
  };
}

/**
 * For the start-up of `src/server.ts`: locks the embedded DATA_DIR (not `memory:`, not PostgreSQL),
 * or prints one line naming the directory and the other process and exits with code 2.
 */
export function lockDataDirOrExit(database: DatabaseConfig): DataDirLock | null {
  if (database.kind !== 'pglite' || database.dataDir === null) return null;
  try {
    return lockDataDir(database.dataDir);
  } catch (error) {
    if (!(error instanceof DataDirLockedError)) throw error;
    process.stderr.write(`${error.message}\n`);
    process.exit(2);
  }
}

/** The live owner of `dataDir`'s lock, or null when nobody (alive) holds it. */
export function liveLockOwner(dataDir: string): LockOwner | null {
  const seen = readText(lockFile(dataDir));
  const owner = seen === null ? null : parseOwner(seen);
  return owner && isAlive(owner) ? owner : null;
}

/** Whether the process named in a lock still runs. Another host's process cannot be checked: it counts as alive. */
function isAlive(owner: LockOwner): boolean {
  if (owner.hostname !== hostname()) return true;
  // Our own pid in a lock we did not take: a previous run (containers restart as pid 1 again).
  if (owner.pid === process.pid) return false;
  try {
    process.kill(owner.pid, 0);
  } catch (error) {
    if (isCode(error, 'ESRCH')) return false; // EPERM: it exists, under another user
  }
  // The pid exists; is it still the same process, or a new one that got the recycled pid?
  const start = processStart(owner.pid);
  return owner.procStart === null || start === null || start === owner.procStart;
}

function processStart(pid: number): string | null {
  const stat = readText(`/proc/${pid}/stat`);
  if (stat === null) return null;
  // Fields after "(comm)": state is field 3, starttime field 22.
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null;
}

function parseOwner(text: string): LockOwner | null {
  try {
    const value = JSON.parse(text) as Partial<LockOwner>;
    if (!Number.isInteger(value.pid) || typeof value.hostname !== 'string') return null;
    return {
      pid: value.pid!,
      hostname: value.hostname,
      procStart: typeof value.procStart === 'string' ? value.procStart : null,
      startedAt: typeof value.startedAt === 'string' ? value.startedAt : 'unknown',
      url: typeof value.url === 'string' ? value.url : null,
    };
  } catch {
    return null;
  }
}

function readText(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    if (isCode(error, 'ENOENT')) return null;
    throw error;
  }
}

const isCode = (error: unknown, code: string) =>
  error instanceof Error && (error as NodeJS.ErrnoException).code === code;
