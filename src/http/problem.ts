import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ProblemExtensions, ProblemKind } from '../domain/errors.js';

const PROBLEMS: Record<ProblemKind, { status: number; title: string }> = {
  'validation-error': { status: 400, title: 'Your request is not valid' },
  unauthorized: { status: 401, title: 'Authentication required' },
  forbidden: { status: 403, title: 'Not allowed for your role' },
  'not-found': { status: 404, title: 'Resource not found' },
  'insufficient-stock': { status: 409, title: 'Insufficient stock' },
  'entitlement-exceeded': { status: 409, title: 'Entitlement exceeded' },
  'no-agreement': { status: 409, title: 'No active agreement' },
  'company-inactive': { status: 409, title: 'Company is suspended' },
  'obligations-overdue': { status: 409, title: 'Replenishment obligations overdue' },
  'invalid-state-transition': { status: 409, title: 'Invalid state transition' },
  'exceeds-outstanding': { status: 409, title: 'Delivery exceeds outstanding quantity' },
  conflict: { status: 409, title: 'Conflict' },
  'nothing-to-allocate': { status: 409, title: 'Nothing to allocate' },
  'idempotency-key-in-progress': { status: 409, title: 'Idempotent request still in progress' },
  'payload-too-large': { status: 413, title: 'Payload too large' },
  'unsupported-media-type': { status: 415, title: 'Unsupported media type' },
  'idempotency-key-reuse': { status: 422, title: 'Idempotency key reused with a different request' },
  'rate-limited': { status: 429, title: 'Too many requests' },
  'service-unavailable': { status: 503, title: 'Service unavailable' },
  internal: { status: 500, title: 'Internal server error' },
};

export const statusOf = (kind: ProblemKind): number => PROBLEMS[kind].status;

/** Seconds a client should wait before retrying while the database is unavailable or we shut down. */
export const RETRY_AFTER_SECONDS = 2;

/**
 * A problem document as raw bytes, for the one path that answers without a request object: the
 * HTTP parser's client errors (oversized headers → 431, unparsable requests → 400, timeouts → 408).
 */
export function rawProblem(status: 400 | 408 | 431, detail: string): string {
  const title =
    status === 431
      ? 'Request header fields too large'
      : status === 408
        ? 'Request timeout'
        : PROBLEMS['validation-error'].title;
  const body = JSON.stringify({ type: '/problems/validation-error', title, status, detail, requestId: null });
  const reason =
    status === 431 ? 'Request Header Fields Too Large' : status === 408 ? 'Request Timeout' : 'Bad Request';
  return (
    `HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Type: application/problem+json\r\n` +
    `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`
  );
}

/**
 * Sends an RFC 9457 problem. The only place a problem body is shaped: the standard members first, then
 * the extension members (`errors`, and the figures behind a refusal).
 */
export function sendProblem(
  request: FastifyRequest,
  reply: FastifyReply,
  kind: ProblemKind,
  detail: string,
  extensions: ProblemExtensions = {},
) {
  const { status, title } = PROBLEMS[kind];
  if (kind === 'unauthorized') reply.header('www-authenticate', 'Bearer realm="reserve-api"');
  return reply
    .code(status)
    .type('application/problem+json')
    .send({
      type: `/problems/${kind}`,
      title,
      status,
      detail,
      requestId: request.id,
      ...extensions,
    });
}
