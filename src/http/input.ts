import type { FastifyInstance } from 'fastify';
import { DomainError, type FieldError } from '../domain/errors.js';
import { LONE_SURROGATE } from './schemas.js';

/** Where in a parsed JSON body a string (value or property name) holds a lone UTF-16 surrogate. */
function loneSurrogates(value: unknown, path: string, found: FieldError[]): void {
  if (found.length >= 10) return;
  if (typeof value === 'string') {
    if (LONE_SURROGATE.test(value))
      found.push({ path, message: 'must be valid Unicode (no lone surrogates)' });
    return;
  }
  if (Array.isArray(value)) {
    for (const [i, item] of value.entries()) loneSurrogates(item, path ? `${path}.${i}` : String(i), found);
    return;
  }
  if (value && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) {
      const at = path ? `${path}.${key}` : key;
      if (LONE_SURROGATE.test(key)) found.push({ path: at, message: 'is not a valid Unicode property name' });
      loneSurrogates(item, at, found);
    }
  }
}

/**
 * Input rules that hold for every route, before its schema runs:
 * - no string anywhere in a body may hold a lone UTF-16 surrogate (JSON allows `"\ud800"`, but it is
 *   no character: it cannot be stored as UTF-8 nor canonicalised for the audit hash);
 * - a range's lower bound may not be after its upper bound (`from`/`to` query parameters).
 */
export function registerInputRules(app: FastifyInstance): void {
  app.addHook('preValidation', async (request) => {
    const errors: FieldError[] = [];
    loneSurrogates(request.body, '', errors);
    const query = request.query as Record<string, unknown> | undefined;
    if (query && typeof query === 'object') {
      loneSurrogates(query, 'query', errors);
      const { from, to } = query;
      if (typeof from === 'string' && typeof to === 'string') {
        const a = Date.parse(from);
        const b = Date.parse(to);
        if (!Number.isNaN(a) && !Number.isNaN(b) && a > b) {
          errors.push({ path: 'query.from', message: 'must not be after `to`' });
        }
      }
    }
    if (errors.length > 0) {
      throw new DomainError(
        'validation-error',
        errors.map((e) => `${e.path || 'body'}: ${e.message}`).join('; '),
        { errors },
      );
    }
  });
}
