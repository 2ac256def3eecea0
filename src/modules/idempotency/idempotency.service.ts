import type { Db } from '../../db/types.js';
import type { Clock } from '../../domain/clock.js';
import { DomainError } from '../../domain/errors.js';
import {
  claimKey,
  completeKey,
  lockOwnedKey,
  purgeExpiredKeys,
  releaseKey,
  type StoredResponse,
} from './idempotency.repository.js';

export type { StoredResponse } from './idempotency.repository.js';

/**
 * A `running` key older than this may be taken over by a retry. Safe at any value: only the owner's
 * own transaction can complete a key (and it locks the key first), so a slow original whose key was
 * taken over rolls back instead of producing a second effect. Short, so a retry after a crash or an
 * outage runs again within seconds instead of answering 409 for minutes.
 */
export const ABANDONED_AFTER_MS = 15_000;

export interface KeyRef {
  /** The scope: a digest of the caller's whole identity. */
  caller: string;
  key: string;
  owner: string;
}

export type IdempotencyService = ReturnType<typeof createIdempotencyService>;

const inProgress = () =>
  new DomainError(
    'idempotency-key-in-progress',
    'A request with this Idempotency-Key is still running; retry later.',
  );

export function createIdempotencyService(deps: { db: Db; clock: Clock; ttlHours: number }) {
  const { db, clock } = deps;
  return {
    /**
     * Starts a keyed request. Returns `null` when this request now owns the key (run it), or the
     * stored response to replay. Rule: same key + different request → 422; same key while the first
     * is running → 409.
     */
    async begin(ref: KeyRef, fingerprint: string): Promise<StoredResponse | null> {
      const now = clock.now();
      for (let attempt = 0; attempt < 3; attempt++) {
        const result = await claimKey(db, {
          ...ref,
          fingerprint,
          now,
          expiresAt: new Date(now.getTime() + deps.ttlHours * 3_600_000),
          staleBefore: new Date(now.getTime() - ABANDONED_AFTER_MS),
        });
        if (result === true) return null;
        if (!result) continue; // released between our insert and select: claim again
        if (result.fingerprint !== fingerprint) {
          throw new DomainError(
            'idempotency-key-reuse',
            'This Idempotency-Key was already used with a different request (method, path or body).',
          );
        }
        if (result.state === 'running' || result.statusCode === null || result.responseBody === null) {
          throw inProgress();
        }
        return {
          statusCode: result.statusCode,
          body: result.responseBody,
          headers: result.responseHeaders ?? {},
        };
      }
      throw new DomainError('idempotency-key-in-progress', 'This Idempotency-Key is contended; retry later.');
    },
    /** In the use case's transaction, first: lock the key; 409 if a retry has taken it over. */
    async lockInTransaction(tx: Db, ref: KeyRef): Promise<void> {
      if (!(await lockOwnedKey(tx, ref.caller, ref.key, ref.owner))) throw inProgress();
    },
    /** Stores the response, in the use case's transaction (`tx`) or on its own after a refusal (`db`). */
    async complete(ref: KeyRef, response: StoredResponse, tx: Db = db): Promise<void> {
      if (!(await completeKey(tx, ref.caller, ref.key, ref.owner, response))) throw inProgress();
    },
    /** Forgets a key whose request was not completed (rejected or failed), so a retry may reuse it. */
    release: (ref: KeyRef) => releaseKey(db, ref.caller, ref.key, ref.owner),
    purgeExpired: () => purgeExpiredKeys(db, clock.now()),
  };
}
