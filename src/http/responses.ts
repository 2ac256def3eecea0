import { ProblemSchema } from './schemas.js';

const ALWAYS = [400, 401, 429, 500, 503] as const;

/**
 * Response schemas for the problems a route can answer with, on top of the ones every authenticated
 * route can (400, 401, 429, 500, and 503 while the database is unavailable). Keeps every route's OpenAPI entry complete.
 */
export function problems(...statuses: number[]): Record<number, typeof ProblemSchema> {
  const all = new Set<number>([...ALWAYS, ...statuses]);
  return Object.fromEntries([...all].sort().map((s) => [s, ProblemSchema]));
}

export const BEARER = [{ bearerAuth: [] }];
