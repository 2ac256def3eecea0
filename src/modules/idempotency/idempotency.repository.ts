import { and, eq, lt, or, sql } from 'drizzle-orm';
import type { Db } from '../../db/types.js';
import { type IdempotencyKeyRow, idempotencyKeys } from './idempotency.table.js';

export interface KeyClaim {
  caller: string;
  key: string;
  fingerprint: string;
  now: Date;
  expiresAt: Date;
  /** A `running` key older than this was abandoned by a crashed process and may be taken over. */
  staleBefore: Date;
}

/**
 * Claims a key with one statement: inserted (or taken over when expired/abandoned) → true; otherwise
 * the existing row is returned. The primary key makes exactly one of several concurrent claims win,
 * whichever process they come from.
 */
export async function claimKey(db: Db, claim: KeyClaim): Promise<true | IdempotencyKeyRow | undefined> {
  const claimed = await db
    .insert(idempotencyKeys)
    .values({
      caller: claim.caller,
      key: claim.key,
      fingerprint: claim.fingerprint,
      state: 'running',
      createdAt: claim.now,
      expiresAt: claim.expiresAt,
    })
    .onConflictDoUpdate({
      target: [idempotencyKeys.caller, idempotencyKeys.key],
      set: {
        fingerprint: claim.fingerprint,
        state: 'running',
        statusCode: null,
        responseBody: null,
        responseHeaders: null,
        createdAt: claim.now,
        expiresAt: claim.expiresAt,
      },
      setWhere: or(
        lt(idempotencyKeys.expiresAt, claim.now),
        and(eq(idempotencyKeys.state, 'running'), lt(idempotencyKeys.createdAt, claim.staleBefore)),
      ),
    })
    .returning({ caller: idempotencyKeys.caller });
  if (claimed.length > 0) return true;
  const [existing] = await db
    .select()
    .from(idempotencyKeys)
    .where(and(eq(idempotencyKeys.caller, claim.caller), eq(idempotencyKeys.key, claim.key)));
  return existing;
}

export async function completeKey(
  db: Db,
  caller: string,
  key: string,
  response: { statusCode: number; body: string; headers: Record<string, string> },
): Promise<void> {
  await db
    .update(idempotencyKeys)
    .set({
      state: 'completed',
      statusCode: response.statusCode,
      responseBody: response.body,
      responseHeaders: response.headers,
    })
    .where(and(eq(idempotencyKeys.caller, caller), eq(idempotencyKeys.key, key)));
}

export async function releaseKey(db: Db, caller: string, key: string): Promise<void> {
  await db
    .delete(idempotencyKeys)
    .where(
      and(
        eq(idempotencyKeys.caller, caller),
        eq(idempotencyKeys.key, key),
        eq(idempotencyKeys.state, 'running'),
      ),
    );
}

export async function purgeExpiredKeys(db: Db, now: Date): Promise<number> {
  const deleted = await db
    .delete(idempotencyKeys)
    .where(sql`${idempotencyKeys.expiresAt} < ${now.toISOString()}::timestamptz`)
    .returning({ key: idempotencyKeys.key });
  return deleted.length;
}
