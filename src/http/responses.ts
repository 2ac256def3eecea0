import { PROBLEM_KINDS } from '../domain/errors.js';
import { statusOf } from './problem.js';
import { ProblemSchema } from './schemas.js';

/** The media type every error is sent as (RFC 9457). */
export const PROBLEM_MEDIA_TYPE = 'application/problem+json';

/** The slugs a status can carry, from the one kind → status table (`problem.ts`). */
export const slugsOf = (status: number): string[] =>
  PROBLEM_KINDS.filter((kind) => statusOf(kind) === status);

const code = (slugs: string[]) => slugs.map((s) => `\`${s}\``).join(', ');

/** What each problem status means, for the document; the slugs are listed from the kind table. */
const MEANING: Record<number, string> = {
  400:
    'The request is not valid: malformed JSON, a schema violation, an unknown property or query ' +
    'parameter, or a malformed header (`Idempotency-Key`). `errors` lists each offending field.',
  401:
    'No bearer token, or one that is invalid or expired. `WWW-Authenticate` names the scheme. Sent ' +
    'before the request is validated: a bad token with a bad body is a 401.',
  403: "The token's role may not call this operation.",
  404: 'No such resource, or it belongs to another company (existence is never revealed).',
  409:
    'The request conflicts with the current state; `type` says which rule (the operation description ' +
    'names the ones it can answer). `idempotency-key-in-progress`: the first request with this ' +
    '`Idempotency-Key` is still running.',
  413: 'The request body is larger than the configured limit (1 MiB by default).',
  415: 'The request body is not `application/json`.',
  422: 'This `Idempotency-Key` was already used by this caller for a different request.',
  429: 'Over the rate limit; retry after `Retry-After` seconds.',
  500: 'An unexpected error. The body never carries a stack trace or SQL; the server log has the cause.',
  503: 'The database does not answer.',
};

/** The description of a problem response: its meaning and the `type` slugs it can carry. */
export function problemDescription(status: number): string {
  const slugs = slugsOf(status);
  const meaning = MEANING[status] ?? 'A problem.';
  return slugs.length > 0 ? `${meaning} Problem type: ${code(slugs)}.` : meaning;
}

export interface ProblemResponse {
  description: string;
  content: { 'application/problem+json': { schema: typeof ProblemSchema } };
}

/** One `application/problem+json` response declaration (schema for both serialization and document). */
export const problemResponse = (status: number): ProblemResponse => ({
  description: problemDescription(status),
  content: { [PROBLEM_MEDIA_TYPE]: { schema: ProblemSchema } } as ProblemResponse['content'],
});

const ALWAYS = [400, 500, 503] as const;

/**
 * Response declarations for the problems a route can answer with, on top of 400, 500 and 503 (the database does not answer). Whatever
 * the platform adds on its own is declared automatically by `openapi.ts` (`onRoute`): 401 and 429
 * on authenticated routes, 403 on role-restricted ones, 404 with path parameters, 409 and 422
 * (idempotency) on every POST, 413 and 415 with a body. Listing those here too is harmless.
 */
export function problems(...statuses: number[]): Record<number, ProblemResponse> {
  const all = new Set<number>([...ALWAYS, ...statuses]);
  return Object.fromEntries([...all].sort((a, b) => a - b).map((s) => [s, problemResponse(s)]));
}

export const BEARER = [{ bearerAuth: [] }];
