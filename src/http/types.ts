import type { Actor, Ctx, Role } from '../domain/actor.js';

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
    idempotencyClaim: { caller: string; key: string } | null;
  }
}
