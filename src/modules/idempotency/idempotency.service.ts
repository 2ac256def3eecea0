import type { Db } from '../../db/types.js';
import type { Clock } from '../../domain/clock.js';
import { DomainError } from '../../domain/errors.js';
import { claimKey, completeKey, purgeExpiredKeys, releaseKey } from './idempotency.repository.js';

const ABANDONED_AFTER_MS = 5 * 60 * 1000;

export interface StoredResponse {
  statusCode: number;
  body: string;
  headers: Record<string, string>;
}

export type IdempotencyService = ReturnType<typeof createIdempotencyService>;

export function createIdempotencyService(deps: { db: Db; clock: Clock; ttlHours: number }) {
  const { db, clock } = deps;
  return {
    /**
     * Starts a keyed request. Returns `null` when this request now owns the key (run it), or the
     * stored response to replay. Rule: same key + different request → 422; same key while the first
     * is running → 409.
     */
    async begin(caller: string, key: string, fingerprint: string): Promise<StoredResponse | null> {
      const now = clock.now();
      for (let attempt = 0; attempt < 3; attempt++) {
        const result = await claimKey(db, {
          caller,
          key,
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
          throw new DomainError(
            'idempotency-key-in-progress',
            'A request with this Idempotency-Key is still running; retry later.',
          );
        }
        return {
          statusCode: result.statusCode,
          body: result.responseBody,
          headers: result.responseHeaders ?? {},
        };
      }
      throw new DomainError('idempotency-key-in-progress', 'This Idempotency-Key is contended; retry later.');
    },
    complete: (caller: string, key: string, response: StoredResponse) =>
      completeKey(db, caller, key, response),
    /** Forgets a key whose request was not completed (rejected or failed), so a retry may reuse it. */
    release: (caller: string, key: string) => releaseKey(db, caller, key),
    purgeExpired: () => purgeExpiredKeys(db, clock.now()),
  };
}
