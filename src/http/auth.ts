import type { FastifyRequest } from 'fastify';
import { createRemoteJWKSet, type JWTPayload, jwtVerify, SignJWT } from 'jose';
import { LRUCache } from 'lru-cache';
import { z } from 'zod';
import type { AuthConfig } from '../config.js';
import { type Actor, type Ctx, ROLES, type Role } from '../domain/actor.js';
import { DomainError } from '../domain/errors.js';
import { hasControlCharacter, LONE_SURROGATE } from './schemas.js';

const ASYMMETRIC_ALGORITHMS = ['RS256', 'ES256', 'EdDSA'];
const CLOCK_TOLERANCE_SECONDS = 30;
/** How many verified tokens are remembered, and for how long at most (see `createTokenVerifier`). */
const VERIFIED_TOKENS_MAX = 10_000;
const VERIFIED_TOKEN_TTL_MS = 60_000;

const Claims = z.object({
  // Recorded in audit events (hashed as JCS): valid Unicode without control characters only.
  sub: z
    .string()
    .min(1)
    .max(255)
    .refine((v) => !LONE_SURROGATE.test(v) && !hasControlCharacter(v)),
  role: z.enum(ROLES),
  companyId: z.uuid().optional(),
});

export type TokenVerifier = (token: string) => Promise<Actor>;

const unauthorized = (detail: string) => new DomainError('unauthorized', detail);

/**
 * Verifies bearer tokens exactly as the contract says: pinned algorithms (HS256 with a shared secret,
 * or asymmetric ones against a JWKS), `iss`, `aud`, required `exp`, `nbf` with 30 s leeway, a known
 * role, and `companyId` for company tokens. Every failure, including jose's plain TypeErrors for a
 * key/algorithm mismatch, becomes a 401.
 *
 * A token that verified is remembered (the exact token text, at most VERIFIED_TOKENS_MAX, least
 * recently used first out) until the earlier of its `exp` and one minute: verifying the signature
 * and claims on every request halved the throughput of a small read (BENCHMARKS.md). A token is never
 * accepted past its own `exp` that way; failures are not remembered; a key withdrawn from the JWKS
 * stops its tokens within the minute.
 */
export function createTokenVerifier(auth: AuthConfig, secret: string | null): TokenVerifier {
  const options = {
    issuer: auth.issuer,
    audience: auth.audience,
    clockTolerance: CLOCK_TOLERANCE_SECONDS,
    requiredClaims: ['exp', 'sub'],
  };
  let verify: (token: string) => Promise<JWTPayload>;
  if (secret) {
    const key = new TextEncoder().encode(secret);
    verify = async (token) => (await jwtVerify(token, key, { ...options, algorithms: ['HS256'] })).payload;
  } else if (auth.jwksUrl) {
    const jwks = createRemoteJWKSet(new URL(auth.jwksUrl));
    verify = async (token) =>
      (await jwtVerify(token, jwks, { ...options, algorithms: ASYMMETRIC_ALGORITHMS })).payload;
  } else {
    throw new Error('no token verification key configured');
  }
  const verified = new LRUCache<string, { actor: Actor; until: number }>({ max: VERIFIED_TOKENS_MAX });
  return async (token) => {
    const known = verified.get(token);
    if (known && Date.now() < known.until) return known.actor;
    let payload: JWTPayload;
    try {
      payload = await verify(token);
    } catch {
      throw unauthorized('The bearer token is invalid or expired.');
    }
    const claims = Claims.safeParse(payload);
    if (!claims.success) throw unauthorized('The bearer token lacks a valid sub, role or companyId claim.');
    const { sub, role, companyId } = claims.data;
    if (role === 'company' && !companyId) throw unauthorized('A company token must carry a companyId claim.');
    const actor: Actor = Object.freeze({
      sub,
      role,
      companyId: role === 'company' ? (companyId ?? null) : null,
    });
    // `exp` is required above; remembered only while it is still ahead (without the clock tolerance).
    const now = Date.now();
    const until = Math.min(now + VERIFIED_TOKEN_TTL_MS, (payload.exp ?? 0) * 1000);
    if (until > now) verified.set(token, { actor, until });
    return actor;
  };
}

/**
 * The role check of a route (`config.roles`), right after authentication and before validation: a
 * caller whose role is not listed gets a 403 naming the role and the route.
 */
export function checkRole(request: FastifyRequest, actor: Actor): void {
  const roles = request.routeOptions.config.roles;
  if (roles && !roles.includes(actor.role)) {
    throw new DomainError(
      'forbidden',
      `The ${actor.role} role may not ${request.method} ${request.routeOptions.url}.`,
    );
  }
}

/**
 * `request.ctx`: who acts and which request this is, for authenticated routes. Reading it where no
 * token was verified (a public route) is a programming error surfaced as a 401, never a null actor
 * passed on to a use case.
 */
export function requestContext(request: FastifyRequest): Ctx {
  if (!request.actor) throw unauthorized('This route needs a bearer token.');
  return { actor: request.actor, requestId: request.id };
}

/** Reads `Authorization: Bearer <token>` (the scheme is case-insensitive, RFC 9110); anything else is a 401. */
export function bearerToken(header: string | undefined): string {
  const match = header?.match(/^Bearer +([A-Za-z0-9\-_]+\.[A-Za-z0-9\-_]+\.[A-Za-z0-9\-_]*)$/i);
  if (!match?.[1]) throw unauthorized('Send a token as "Authorization: Bearer <JWT>".');
  return match[1];
}

export interface TokenRequest {
  role: Role;
  sub?: string;
  companyId?: string;
  ttlSeconds?: number;
}

/** Signs a development token (HS256) for the configured issuer and audience. */
export function signToken(
  auth: AuthConfig,
  secret: string,
  request: TokenRequest,
  now = new Date(),
): Promise<string> {
  const iat = Math.floor(now.getTime() / 1000);
  const claims: Record<string, unknown> = { role: request.role };
  if (request.companyId) claims.companyId = request.companyId;
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(request.sub ?? `dev:${request.role}${request.companyId ? `:${request.companyId}` : ''}`)
    .setIssuer(auth.issuer)
    .setAudience(auth.audience)
    .setIssuedAt(iat)
    .setExpirationTime(iat + (request.ttlSeconds ?? 3600))
    .sign(new TextEncoder().encode(secret));
}
