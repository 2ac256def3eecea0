import type { Actor, Ctx, Role } from '../domain/actor.js';
import type { IdempotencyClaim } from './idempotency.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** No token needed (health, OpenAPI, docs). */
    public?: boolean;
    /** Roles allowed on the route; checked right after authentication, before validation. */
    roles?: readonly Role[];
  }
  interface FastifyRequest {
    /** The verified caller; null on public routes (and before authentication has run). */
    actor: Actor | null;
    /**
     * Who acts and which request this is: what every use case receives. An accessor over `actor`
     * (`requestContext`) that throws a 401 where there is no actor, so authenticated routes read it
     * without a null check and public routes cannot pass a missing caller on.
     */
    readonly ctx: Ctx;
    /** Set while this request owns an Idempotency-Key whose response must be stored. */
    idempotencyClaim: IdempotencyClaim | null;
    /** A failed authentication, thrown once the rate limiter has counted the request. */
    authError: Error | null;
  }
}

declare module 'fastify' {
  interface FastifySchema {
    /** Descriptions of success responses by status, where the generated one would not say enough. */
    'x-responses'?: Partial<Record<number, string>>;
  }
}
