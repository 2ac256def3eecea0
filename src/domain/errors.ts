/**
 * Every failure the domain can report, by its stable kind. The kind is the contract's problem slug;
 * `src/http/error-handler.ts` is the only place that turns a kind into an HTTP status.
 */
export const PROBLEM_KINDS = [
  'validation-error',
  'unauthorized',
  'forbidden',
  'not-found',
  'insufficient-stock',
  'entitlement-exceeded',
  'no-agreement',
  'company-inactive',
  'obligations-overdue',
  'invalid-state-transition',
  'exceeds-outstanding',
  'conflict',
  'nothing-to-allocate',
  'idempotency-key-in-progress',
  'payload-too-large',
  'unsupported-media-type',
  'idempotency-key-reuse',
  'rate-limited',
  'service-unavailable',
  'internal',
] as const;
export type ProblemKind = (typeof PROBLEM_KINDS)[number];

export interface FieldError {
  path: string;
  message: string;
}

export class DomainError extends Error {
  constructor(
    readonly kind: ProblemKind,
    readonly detail: string,
    readonly errors?: FieldError[],
  ) {
    super(detail);
    this.name = 'DomainError';
  }
}

export const notFound = (what: string, id: string) =>
  new DomainError('not-found', `${what} ${id} was not found.`);

export const invalidTransition = (what: string, id: string, from: string, action: string) =>
  new DomainError('invalid-state-transition', `${what} ${id} is ${from}; it cannot be ${action}.`);

export const validation = (path: string, message: string) =>
  new DomainError('validation-error', `${path}: ${message}`, [{ path, message }]);
