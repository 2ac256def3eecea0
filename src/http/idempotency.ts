import { createHash, randomUUID } from 'node:crypto';
import canonicalize from 'canonicalize';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { joinNextTransaction, withTransactionContext } from '../db/transaction.js';
import type { Actor } from '../domain/actor.js';
import { validation } from '../domain/errors.js';
import type {
  IdempotencyService,
  KeyRef,
  StoredResponse,
} from '../modules/idempotency/idempotency.service.js';

const KEY_PATTERN = /^[\x21-\x7E]{1,255}$/;
/** Response headers worth replaying (the body's type and where a created resource lives). */
const REPLAYED_HEADERS = ['content-type', 'location'];
/** How long a use case's open transaction waits for the response built from its result. */
const RESPONSE_WAIT_MS = 10_000;

/** Completed responses are stored and replayed, except those that mean "did not run" or "try again". */
const isStored = (status: number) => status < 500 && ![400, 401, 403, 413, 429].includes(status);
const isSuccess = (status: number) => status >= 200 && status < 300;

/** The scope of a key: the caller's whole identity, so no other identity can ever replay its responses. */
export const keyScope = (issuer: string, actor: Actor) =>
  createHash('sha256')
    .update(JSON.stringify([issuer, actor.sub, actor.role, actor.companyId]))
    .digest('hex');

type Outcome = { committed: true } | { committed: false; error: unknown };

/** What a request owning a key carries from its claim to its response. */
export interface IdempotencyClaim {
  ref: KeyRef;
  /** Set once the use case's transaction is open and waiting for the response. */
  awaitingResponse: boolean;
  respond(response: StoredResponse): void;
  settled: Promise<Outcome>;
}

class RolledBack extends Error {}

function responseOf(reply: FastifyReply, payload: unknown): StoredResponse {
  const headers: Record<string, string> = {};
  for (const name of REPLAYED_HEADERS) {
    const value = reply.getHeader(name);
    if (value !== undefined) headers[name] = String(value);
  }
  return { statusCode: reply.statusCode, body: typeof payload === 'string' ? payload : '', headers };
}

/**
 * `Idempotency-Key` on every POST: claimed after authentication and validation (so rejected requests
 * leave no trace), replayed with `Idempotent-Replayed: true`.
 *
 * Exactly once: the request's use case transaction takes the claim along (`joinNextTransaction`). It
 * locks the key first, hands its result to the route, and before committing waits for the response the
 * route sends (status, body, `Location`) and stores it in the same transaction. So the change and its
 * stored response commit together or not at all: a retry after any crash or database failure finds
 * either the original response or no change (and runs cleanly once the key is released or taken over).
 * Refusals (404, 409, 422) change nothing and are stored after they are sent.
 */
export function registerIdempotency(
  app: FastifyInstance,
  idempotency: IdempotencyService,
  issuer: string,
): void {
  app.decorateRequest('idempotencyClaim', null);

  // Callback style: the rest of the request (handler included) runs inside the transaction context.
  app.addHook('preHandler', (request, reply, done) => {
    if (request.method !== 'POST' || request.routeOptions.config.public) return done();
    const key = request.headers['idempotency-key'];
    if (key === undefined) return done();
    if (typeof key !== 'string' || !KEY_PATTERN.test(key)) {
      return done(validation('Idempotency-Key', 'must be 1 to 255 visible ASCII characters'));
    }
    const fingerprint = createHash('sha256')
      .update(`${request.method} ${request.url}\n${canonicalize(request.body ?? null)}`)
      .digest('hex');
    const ref: KeyRef = { caller: keyScope(issuer, request.ctx.actor), key, owner: randomUUID() };
    idempotency.begin(ref, fingerprint).then(
      (stored) => {
        if (stored) {
          reply
            .code(stored.statusCode)
            .headers({ ...stored.headers, 'idempotent-replayed': 'true' })
            .send(stored.body);
          return;
        }
        let respond: (response: StoredResponse) => void = () => {};
        const responded = new Promise<StoredResponse>((resolve) => {
          respond = resolve;
        });
        let settle: (outcome: Outcome) => void = () => {};
        const claim: IdempotencyClaim = {
          ref,
          awaitingResponse: false,
          respond: (response) => respond(response),
          settled: new Promise<Outcome>((resolve) => {
            settle = resolve;
          }),
        };
        request.idempotencyClaim = claim;
        withTransactionContext(() => {
          joinNextTransaction({
            begin: (tx) => idempotency.lockInTransaction(tx, ref),
            beforeCommit: async (tx) => {
              claim.awaitingResponse = true;
              let timer: NodeJS.Timeout | undefined;
              const response = await Promise.race([
                responded,
                new Promise<never>((_, reject) => {
                  timer = setTimeout(() => reject(new Error('no response to record')), RESPONSE_WAIT_MS);
                }),
              ]).finally(() => clearTimeout(timer));
              // The route answered with an error after all: nothing the use case did may stay.
              if (!isSuccess(response.statusCode)) throw new RolledBack('response was an error');
              await idempotency.complete(ref, response, tx);
            },
            settled: (outcome) => settle(outcome),
          });
          done();
        });
      },
      (error: unknown) => done(error as Error),
    );
  });

  app.addHook('onSend', async (request, reply, payload) => {
    const claim = request.idempotencyClaim;
    if (!claim) return payload;
    request.idempotencyClaim = null;
    const response = responseOf(reply, payload);
    if (claim.awaitingResponse) {
      claim.respond(response);
      const outcome = await claim.settled;
      if (outcome.committed) return payload;
      if (isSuccess(response.statusCode)) {
        // The change did not commit (database lost, key taken over): the success must not be sent.
        await idempotency.release(claim.ref).catch(() => {});
        throw outcome.error;
      }
      // An error response rolled the change back: treat it as a refusal below.
    }
    // No transaction took part (refused before or inside it): nothing changed, store or release.
    // Never throw from here: an error now would bypass the problem handler (and leak its message).
    try {
      if (isStored(response.statusCode) && typeof payload === 'string') {
        await idempotency.complete(claim.ref, response);
      } else {
        await idempotency.release(claim.ref);
      }
    } catch (err) {
      request.log.warn({ err }, 'could not record the idempotent response; the key is released or expires');
    }
    return payload;
  });
}
