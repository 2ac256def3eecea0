import { AsyncLocalStorage } from 'node:async_hooks';
import type { Db } from './types.js';

/** SQLSTATEs after which the whole transaction may simply run again. */
const RETRYABLE = new Set(['40001', '40P01']);
const MAX_ATTEMPTS = 4;

/** The SQLSTATE of a driver error, looking through drizzle's DrizzleQueryError wrapper. */
export function sqlState(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 4 && current && typeof current === 'object'; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/**
 * True for a serialization failure or deadlock that reached the caller: a transaction whose retries ran
 * out, or a read on a hot standby cancelled by a conflict with replication (PostgreSQL reports both
 * with these SQLSTATEs). Nothing was changed, and the same request may well succeed a moment later.
 */
export function isTransientConflict(error: unknown): boolean {
  const state = sqlState(error);
  return state !== undefined && RETRYABLE.has(state);
}

/** Driver error codes (postgres.js, Node sockets) that mean the database cannot be reached right now. */
const UNREACHABLE = new Set([
  'CONNECTION_CLOSED',
  'CONNECTION_ENDED',
  'CONNECTION_DESTROYED',
  'CONNECT_TIMEOUT',
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);
/** SQLSTATEs of a server going away or not ready: admin/crash shutdown, starting up, too many clients. */
const UNAVAILABLE_STATES = new Set(['57P01', '57P02', '57P03', '53300']);

/**
 * True when an error means "the database is unavailable" (restart, reset, refused, timed out), as
 * opposed to a bug: the caller should answer 503 and let the client retry.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current && typeof current === 'object'; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') {
      if (UNREACHABLE.has(code) || UNAVAILABLE_STATES.has(code) || code.startsWith('08')) return true;
    }
    // The embedded database, closed or closing (shutdown): unavailable too.
    const message = (current as { message?: unknown }).message;
    if (message === 'PGlite is closed' || message === 'PGlite is closing') return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}

/**
 * Work that must commit or roll back together with a use case's transaction, supplied by whoever
 * called the use case (the HTTP layer's idempotency claim), never by the service: services stay
 * unaware of it. The first transaction of the calling context takes the participant.
 */
export interface TransactionParticipant {
  /** First statement(s) of the transaction, before the use case's work (may lock and verify). */
  begin(tx: Db): Promise<void>;
  /**
   * After the work, before commit. The work's result has already been handed back to the caller
   * (the transaction stays open meanwhile), so this may wait for what the caller makes of it.
   * Throwing rolls everything back.
   */
  beforeCommit(tx: Db): Promise<void>;
  /** The transaction's fate, once known (after the result was handed back). */
  settled(outcome: { committed: true } | { committed: false; error: unknown }): void;
}

interface ParticipantSlot {
  participant: TransactionParticipant | null;
}
const participants = new AsyncLocalStorage<ParticipantSlot>();

/**
 * Runs `fn` (e.g. one HTTP request's lifecycle) in a context whose first transaction will include
 * the participant set later with `joinNextTransaction`.
 */
export const withTransactionContext = <T>(fn: () => T): T => participants.run({ participant: null }, fn);

/** Makes `participant` part of the next transaction started in the current context. */
export function joinNextTransaction(participant: TransactionParticipant): void {
  const slot = participants.getStore();
  if (!slot) throw new Error('joinNextTransaction outside withTransactionContext');
  slot.participant = participant;
}

const retryable = (error: unknown, attempt: number) => {
  const state = sqlState(error);
  return attempt < MAX_ATTEMPTS && state !== undefined && RETRYABLE.has(state);
};

/**
 * Runs one use case in one READ COMMITTED transaction. Locks are explicit (see the lock order in
 * `types.ts`), so serialization failures and deadlocks should not happen; if the database still
 * reports one, the use case is re-run from the start, which is safe because it has no effect outside
 * the transaction.
 *
 * With a participant in the context (an idempotent request), the participant's statements run first
 * and last in the same transaction, and the result is handed back before the commit: the response
 * the caller builds from it is then recorded in the transaction that made the change, so a change
 * never commits without its recorded response, nor the other way round.
 */
export async function inTransaction<T>(db: Db, work: (tx: Db) => Promise<T>): Promise<T> {
  const slot = participants.getStore();
  const participant = slot?.participant ?? null;
  if (!participant) {
    for (let attempt = 1; ; attempt++) {
      try {
        return await db.transaction((tx) => work(tx as unknown as Db));
      } catch (error) {
        if (!retryable(error, attempt)) throw error;
      }
    }
  }
  if (slot) slot.participant = null; // one request, one transaction: only the first takes part
  return new Promise<T>((resolve, reject) => {
    let handedBack = false;
    const run = async () => {
      for (let attempt = 1; ; attempt++) {
        try {
          await db.transaction(async (raw) => {
            const tx = raw as unknown as Db;
            await participant.begin(tx);
            const result = await work(tx);
            handedBack = true;
            resolve(result);
            await participant.beforeCommit(tx);
          });
          participant.settled({ committed: true });
          return;
        } catch (error) {
          if (!handedBack && retryable(error, attempt)) continue;
          participant.settled({ committed: false, error });
          if (!handedBack) reject(error);
          return;
        }
      }
    };
    void run();
  });
}
