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

/**
 * The figures behind a refusal, sent beside `detail` as RFC 9457 extension members, so a client never
 * parses prose for them. Quantities are normalised decimal strings, like everywhere in the API. Which
 * members a problem carries depends on its type; the Problem schema (`src/http/schemas.ts`) documents
 * each one.
 */
export interface ProblemFields {
  mineralCode?: string;
  lotId?: string;
  requested?: string;
  drawable?: string;
  quantityOnHand?: string;
  onHand?: string;
  reserved?: string;
  cap?: string;
  held?: string;
  queued?: string;
  outstanding?: string;
  remaining?: string;
}

/** Everything a problem carries besides its type, title, status, detail and request id. */
export interface ProblemExtensions extends ProblemFields {
  /** One entry per invalid field (validation errors only). */
  errors?: FieldError[];
}

export class DomainError extends Error {
  constructor(
    readonly kind: ProblemKind,
    readonly detail: string,
    readonly extensions: ProblemExtensions = {},
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
  new DomainError('validation-error', `${path}: ${message}`, { errors: [{ path, message }] });
