import type { Duplex } from 'node:stream';
import type {
  FastifyError,
  FastifyInstance,
  FastifyReply,
  FastifyRequest,
  preHandlerHookHandler,
} from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { isDatabaseUnavailable, isTransientConflict, sqlState } from '../db/transaction.js';
import { DomainError, type FieldError } from '../domain/errors.js';
import { RETRY_AFTER_SECONDS, rawProblem, sendProblem } from './problem.js';

const fieldPath = (segments: ReadonlyArray<PropertyKey>, context: string | undefined) => {
  const prefix = context === 'body' ? '' : context ? `${context}.` : '';
  return `${prefix}${segments.map(String).join('.')}` || context || '';
};

/**
 * Maps every error to a problem: domain errors by kind, framework errors by code, anything else to a
 * bare 500 whose body says nothing about the cause (the log has it).
 */
export function registerErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error instanceof DomainError) {
      if (error.kind === 'service-unavailable') reply.header('retry-after', String(RETRY_AFTER_SECONDS));
      return sendProblem(request, reply, error.kind, error.detail, error.extensions);
    }
    if (isDatabaseUnavailable(error)) {
      // A restart, reset or timeout of the database: temporary, so 503 and a hint when to retry.
      request.log.warn({ err: error }, 'database unavailable');
      reply.header('retry-after', String(RETRY_AFTER_SECONDS));
      return sendProblem(
        request,
        reply,
        'service-unavailable',
        'The database is unavailable; retry shortly.',
      );
    }
    if (isTransientConflict(error)) {
      // Retries ran out under contention, or a read replica cancelled a statement that conflicted
      // with replaying the primary's changes (README, "Read replica"): nothing changed; retry.
      request.log.warn({ err: error }, 'statement cancelled by a conflict');
      reply.header('retry-after', String(RETRY_AFTER_SECONDS));
      return sendProblem(
        request,
        reply,
        'service-unavailable',
        'The database cancelled the request because of a conflict; nothing was changed. Retry shortly.',
      );
    }
    if (hasZodFastifySchemaValidationErrors(error)) {
      // fastify-type-provider-zod reports the path as a JSON-pointer-like `instancePath`
      // ("/a/0/b"); an unknown property is an issue on the enclosing object that lists the keys.
      const errors: FieldError[] = error.validation.flatMap((v) => {
        const segments = v.instancePath
          .split('/')
          .slice(1)
          .filter((s) => s !== '');
        const keys = v.keyword === 'unrecognized_keys' ? v.params.keys : undefined;
        if (Array.isArray(keys) && keys.length > 0) {
          return keys.map((key) => ({
            path: fieldPath([...segments, String(key)], error.validationContext),
            message: 'is not an allowed property',
          }));
        }
        return [{ path: fieldPath(segments, error.validationContext), message: v.message ?? 'is invalid' }];
      });
      const detail = errors.map((e) => (e.path ? `${e.path}: ${e.message}` : e.message)).join('; ');
      return sendProblem(request, reply, 'validation-error', detail, { errors });
    }
    if (sqlState(error) === '22003') {
      // A total or amount past the precision of its column (e.g. on-hand stock beyond 17 integer
      // digits, an amount beyond 20): the request is well-formed, but the reserve's state cannot
      // record its result. The transaction rolled back; nothing changed.
      return sendProblem(
        request,
        reply,
        'conflict',
        'The result would exceed the largest quantity or amount the reserve can record; nothing was changed.',
      );
    }
    switch (error.code) {
      case 'FST_ERR_CTP_BODY_TOO_LARGE':
        return sendProblem(request, reply, 'payload-too-large', 'The request body is larger than allowed.');
      case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
        return sendProblem(
          request,
          reply,
          'unsupported-media-type',
          'Send request bodies as application/json.',
        );
      case 'FST_ERR_CTP_INVALID_JSON_BODY':
      case 'FST_ERR_CTP_EMPTY_JSON_BODY':
        return sendProblem(request, reply, 'validation-error', 'The request body is not valid JSON.', {
          errors: [{ path: '', message: 'malformed JSON' }],
        });
    }
    if (error.statusCode === 429) {
      return sendProblem(request, reply, 'rate-limited', 'Rate limit exceeded; retry after the given delay.');
    }
    if (error.statusCode && error.statusCode >= 400 && error.statusCode < 500) {
      // Other client errors raised by Fastify itself (e.g. bad content-length): say only that.
      return sendProblem(request, reply, 'validation-error', 'The request could not be processed as sent.');
    }
    request.log.error({ err: error }, 'unhandled error');
    return sendProblem(request, reply, 'internal', 'An unexpected error occurred; it has been logged.');
  });
}

/**
 * Unknown URLs answer a 404 problem; `rateLimit` (when the limiter is on) counts them by address like
 * any unauthenticated request, so probing for routes is limited too.
 */
export function registerNotFound(app: FastifyInstance, rateLimit?: preHandlerHookHandler): void {
  app.setNotFoundHandler(rateLimit ? { preHandler: rateLimit } : {}, (request, reply) =>
    sendProblem(request, reply, 'not-found', `No route ${request.method} ${request.url.split('?')[0]}.`),
  );
}

/**
 * Errors Fastify raises before routing (a malformed URL → 400) answer problems too; a request
 * arriving while the server drains answers a 503 problem instead of Fastify's plain JSON.
 */
export const frameworkErrors = (error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
  if (error.code === 'FST_ERR_BAD_URL') {
    return sendProblem(request, reply, 'validation-error', 'The request URL is malformed.', {
      errors: [{ path: 'url', message: 'malformed percent-encoding or characters' }],
    });
  }
  request.log.error({ err: error }, 'framework error');
  return sendProblem(request, reply, 'internal', 'An unexpected error occurred; it has been logged.');
};

/**
 * The HTTP parser's errors (no request object exists yet): oversized headers → 431, a request that
 * cannot be parsed → 400, a request timeout → 408, all as problem documents.
 */
export function clientErrorHandler(error: Error & { code?: string }, socket: Duplex): void {
  if (error.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy();
    return;
  }
  const response =
    error.code === 'HPE_HEADER_OVERFLOW'
      ? rawProblem(431, 'The request headers are larger than allowed.')
      : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? rawProblem(408, 'The request was not received in time.')
        : rawProblem(400, 'The request could not be parsed as HTTP.');
  socket.end(response);
}
