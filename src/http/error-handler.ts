import type { FastifyError, FastifyInstance } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { DomainError, type FieldError } from '../domain/errors.js';
import { sendProblem } from './problem.js';

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
      return sendProblem(request, reply, error.kind, error.detail, error.errors);
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
      return sendProblem(request, reply, 'validation-error', detail, errors);
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
        return sendProblem(request, reply, 'validation-error', 'The request body is not valid JSON.', [
          { path: '', message: 'malformed JSON' },
        ]);
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

  app.setNotFoundHandler((request, reply) =>
    sendProblem(request, reply, 'not-found', `No route ${request.method} ${request.url.split('?')[0]}.`),
  );
}
