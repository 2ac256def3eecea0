import { and, eq, lt, or, type Placeholder, sql } from 'drizzle-orm';
import { preparedStatement, runPrepared } from '../../db/prepared.js';
import type { Db } from '../../db/types.js';
import { type IdempotencyKeyRow, idempotencyKeys } from './idempotency.table.js';

export interface KeyClaim {
  caller: string;
  key: string;
  fingerprint: string;
  /** Names this request; only its transaction may complete the key. */
  owner: string;
  now: Date;
  expiresAt: Date;
  /** A `running` key older than this may be taken over (its owner crashed or lost its database). */
  staleBefore: Date;
}

export interface StoredResponse {
  statusCode: number;
  body: string;
  headers: Record<string, string>;
}

const thisKey = (caller: string | Placeholder, key: string | Placeholder) =>
  and(eq(idempotencyKeys.caller, caller), eq(idempotencyKeys.key, key));

/**
 * Claims a key with one statement: inserted (or taken over when expired/abandoned) → true; otherwise
 * the existing row is returned. The primary key makes exactly one of several concurrent claims win,
 * whichever process they come from. Taking over waits for the row lock, so a key whose owner is inside
 * its transaction is never taken over: the claim sees the outcome of that transaction instead.
 */
export async function claimKey(db: Db, claim: KeyClaim): Promise<true | IdempotencyKeyRow | undefined> {
  const claimed = await db
    .insert(idempotencyKeys)
    .values({
      caller: claim.caller,
      key: claim.key,
      fingerprint: claim.fingerprint,
      owner: claim.owner,
      state: 'running',
      createdAt: claim.now,
      expiresAt: claim.expiresAt,
    })
    .onConflictDoUpdate({
      target: [idempotencyKeys.caller, idempotencyKeys.key],
      set: {
        fingerprint: claim.fingerprint,
        owner: claim.owner,
        state: 'running',
        statusCode: null,
        responseBody: null,
        responseHeaders: null,
        createdAt: claim.now,
        expiresAt: claim.expiresAt,
      },
      setWhere: or(
        lt(idempotencyKeys.expiresAt, claim.now),
        and(
          eq(idempotencyKeys.state, 'running'),
          lt(idempotencyKeys.createdAt, claim.staleBefore),
          // A different request body under the same key is a reuse (422), not a takeover.
          eq(idempotencyKeys.fingerprint, claim.fingerprint),
        ),
      ),
    })
    .returning({ caller: idempotencyKeys.caller });
  if (claimed.length > 0) return true;
  const [existing] = await db.select().from(idempotencyKeys).where(thisKey(claim.caller, claim.key));
  return existing;
}

// Hot statements (src/db/prepared.ts): the first and the last statement of every keyed POST's
// transaction (the last one while the use case still holds its locks).
const ownedRunningKey = and(
  thisKey(sql.placeholder('caller'), sql.placeholder('key')),
  eq(idempotencyKeys.owner, sql.placeholder('owner')),
  eq(idempotencyKeys.state, 'running'),
);
type OwnedKey = { caller: string; key: string; owner: string };

const lockOwnedKeyStatement = preparedStatement<OwnedKey>(
  'lock_owned_idempotency_key',
  sql`select 1 from ${idempotencyKeys} where ${ownedRunningKey} for update`,
);

/**
 * First statement of the owner's transaction: locks the key and checks it is still this request's
 * (a takeover after a long stall hands it to the retry). False → someone else owns it now.
 */
export async function lockOwnedKey(db: Db, caller: string, key: string, owner: string): Promise<boolean> {
  const rows = await runPrepared(db, lockOwnedKeyStatement, { caller, key, owner });
  return rows.length > 0;
}

const completeKeyStatement = preparedStatement<
  OwnedKey & { statusCode: number; responseBody: string; responseHeaders: unknown }
>(
  'complete_idempotency_key',
  sql`update ${idempotencyKeys} set state = 'completed', status_code = ${sql.placeholder('statusCode')},
      response_body = ${sql.placeholder('responseBody')}, response_headers = ${sql.placeholder('responseHeaders')}
    where ${ownedRunningKey} returning 1`,
);

/** Stores the response of a running key this request owns; false when it does not own it (any more). */
export async function completeKey(
  db: Db,
  caller: string,
  key: string,
  owner: string,
  response: StoredResponse,
): Promise<boolean> {
  const rows = await runPrepared(db, completeKeyStatement, {
    caller,
    key,
    owner,
    statusCode: response.statusCode,
    responseBody: response.body,
    responseHeaders: idempotencyKeys.responseHeaders.mapToDriverValue(response.headers),
  });
  return rows.length > 0;
}

export async function releaseKey(db: Db, caller: string, key: string, owner: string): Promise<void> {
  await db
    .delete(idempotencyKeys)
    .where(and(thisKey(caller, key), eq(idempotencyKeys.owner, owner), eq(idempotencyKeys.state, 'running')));
}

export async function purgeExpiredKeys(db: Db, now: Date): Promise<number> {
  const deleted = await db
    .delete(idempotencyKeys)
    .where(sql`${idempotencyKeys.expiresAt} < ${now.toISOString()}::timestamptz`)
    .returning({ key: idempotencyKeys.key });
  return deleted.length;
}
