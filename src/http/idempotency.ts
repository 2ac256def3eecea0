import { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';
import type { FastifyInstance } from 'fastify';
import { validation } from '../domain/errors.js';
import type { IdempotencyService } from '../modules/idempotency/idempotency.service.js';

const KEY_PATTERN = /^[\x21-\x7E]{1,255}$/;
/** Response headers worth replaying (the body's type and where a created resource lives). */
const REPLAYED_HEADERS = ['content-type', 'location'];

/** Completed responses are stored and replayed, except those that mean "did not run" or "try again". */
const isStored = (status: number) => status < 500 && ![400, 401, 403, 413, 429].includes(status);

/**
 * `Idempotency-Key` on every POST: claimed after authentication and validation (so rejected requests
 * leave no trace), stored when the response is sent, replayed with `Idempotent-Replayed: true`.
 */
export function registerIdempotency(app: FastifyInstance, idempotency: IdempotencyService): void {
  app.decorateRequest('idempotencyClaim', null);

  app.addHook('preHandler', async (request, reply) => {
    if (request.method !== 'POST' || request.routeOptions.config.public) return;
    const key = request.headers['idempotency-key'];
    if (key === undefined) return;
    if (typeof key !== 'string' || !KEY_PATTERN.test(key)) {
      throw validation('Idempotency-Key', 'must be 1 to 255 visible ASCII characters');
    }
    const fingerprint = createHash('sha256')
      .update(`${request.method} ${request.url}\n${canonicalize(request.body ?? null)}`)
      .digest('hex');
    const caller = request.ctx.actor.sub;
    const stored = await idempotency.begin(caller, key, fingerprint);
    if (stored) {
      return reply
        .code(stored.statusCode)
        .headers({ ...stored.headers, 'idempotent-replayed': 'true' })
        .send(stored.body);
    }
    request.idempotencyClaim = { caller, key };
  });

  app.addHook('onSend', async (request, reply, payload) => {
    const claim = request.idempotencyClaim;
    if (!claim) return payload;
    request.idempotencyClaim = null;
    if (!isStored(reply.statusCode) || typeof payload !== 'string') {
      await idempotency.release(claim.caller, claim.key);
      return payload;
    }
    const headers: Record<string, string> = {};
    for (const name of REPLAYED_HEADERS) {
      const value = reply.getHeader(name);
      if (value !== undefined) headers[name] = String(value);
    }
    await idempotency.complete(claim.caller, claim.key, {
      statusCode: reply.statusCode,
      body: payload,
      headers,
    });
    return payload;
  });
}
