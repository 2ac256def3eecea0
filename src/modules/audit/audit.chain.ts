import { createHash } from 'node:crypto';
import { canonicalJson } from './audit.jcs.js';

/** The first event's `prevHash`. */
export const GENESIS_HASH = '0'.repeat(64);

export interface AuditActor {
  sub: string;
  role: string;
  companyId: string | null;
}

/** The hashed part of an event, exactly as the API returns it. */
export interface AuditEventBody {
  seq: number;
  occurredAt: string;
  actor: AuditActor;
  action: string;
  entityType: string;
  entityId: string;
  data: unknown;
  requestId: string;
}

export interface AuditEvent extends AuditEventBody {
  prevHash: string;
  hash: string;
}

/**
 * How a body field's value is written in the canonical text:
 * - `code`: a JSON string whose value never needs escaping (letters, digits, `_`, `-`, `.`; the audit
 *   table's CHECK constraints hold the stored values to that);
 * - `text`: a JSON string of free text (escaped);
 * - `instant`: a JSON string of an ISO-8601 UTC timestamp with milliseconds (`toISOString()`);
 * - `json`: the JCS (RFC 8785) of a nested value;
 * - `integer`: a JSON number without fraction or exponent.
 */
export type CanonicalKind = 'code' | 'text' | 'instant' | 'json' | 'integer';

/**
 * THE definition of an event's canonical body: its fields in JCS key order (RFC 8785 sorts keys by
 * UTF-16 code units) and how each is written. Everything that produces or checks the canonical text is
 * derived from this list: `canonicalEvent` (hashing when appending, offline verification) and the
 * database's rendering in `audit.repository.ts` (live verification, NDJSON export). Adding a field to
 * the body means adding it here (and a column); the property tests in test/unit/audit.canonical.test.ts
 * and test/api/audit-canonical-sql.test.ts hold both renderings equal to `canonicalize(body)`.
 */
export const CANONICAL_FIELDS = [
  { key: 'action', kind: 'code' },
  { key: 'actor', kind: 'json' },
  { key: 'data', kind: 'json' },
  { key: 'entityId', kind: 'code' },
  { key: 'entityType', kind: 'code' },
  { key: 'occurredAt', kind: 'instant' },
  { key: 'requestId', kind: 'text' },
  { key: 'seq', kind: 'integer' },
] as const satisfies readonly { key: keyof AuditEventBody; kind: CanonicalKind }[];

/**
 * JCS (RFC 8785) of an event body, written field by field from `CANONICAL_FIELDS`. Strings and the
 * integer `seq` canonicalise to exactly what `JSON.stringify` prints; `actor` and `data` are JCS'd on
 * their own (`canonicalJson`: the `canonicalize` package's text, written faster) and returned too,
 * because the appender stores them as this very text (so the database can rebuild the body by
 * concatenation, see `canonicalBodySql`). A `data` of `undefined` is left out, as
 * JCS leaves out an undefined property.
 */
export function canonicalEvent(body: AuditEventBody): {
  actor: string;
  data: string | undefined;
  body: string;
} {
  const { seq, ...rest } = body;
  const open = openCanonicalEvent(rest);
  return { actor: open.actor, data: open.data, body: closeCanonicalEvent(open.open, seq) };
}

/** `seq` sorts last in JCS key order: the body of an event is its open text, then `seq`. */
if (CANONICAL_FIELDS[CANONICAL_FIELDS.length - 1]?.key !== 'seq') {
  throw new Error('openCanonicalEvent relies on seq being the last field of the canonical body');
}

/**
 * An event's canonical body without `seq`, the one field known only once the chain's head is locked:
 * everything up to `"seq":` (seq sorts last, see the check above). `closeCanonicalEvent` completes it,
 * so an appender can canonicalise a large batch before it queues on the head's lock; `canonicalEvent`
 * is built from the two, so the text is the same by construction.
 */
export function openCanonicalEvent(body: Omit<AuditEventBody, 'seq'>): {
  actor: string;
  data: string | undefined;
  open: string;
} {
  const actor = canonicalJson(body.actor) as string;
  const data = canonicalJson(body.data);
  const members: string[] = [];
  for (const { key, kind } of CANONICAL_FIELDS) {
    if (key === 'seq') continue;
    const value = kind === 'json' ? (key === 'actor' ? actor : data) : JSON.stringify(body[key]);
    if (value !== undefined) members.push(`"${key}":${value}`);
  }
  members.push('"seq":');
  return { actor, data, open: `{${members.join(',')}` };
}

/**
 * The canonical body of an event opened by `openCanonicalEvent`, once its seq is known. A value JSON
 * cannot write (an event parsed from a file without `seq`) leaves the member out, as JCS does.
 */
export function closeCanonicalEvent(open: string, seq: number): string {
  const value = JSON.stringify(seq) as string | undefined;
  if (value !== undefined) return `${open}${value}}`;
  const bare = open.slice(0, -'"seq":'.length);
  return `${bare.endsWith(',') ? bare.slice(0, -1) : bare}}`;
}

/** `hash = hex(SHA-256(UTF-8(prevHash + "\n" + canonicalBody)))`, the contract's definition. */
export function hashCanonical(prevHash: string, canonicalBody: string): string {
  return createHash('sha256').update(`${prevHash}\n${canonicalBody}`, 'utf8').digest('hex');
}

/** The hash of an event from its values: `hashCanonical` of its JCS body. */
export function chainHash(prevHash: string, body: AuditEventBody): string {
  return hashCanonical(prevHash, canonicalEvent(body).body);
}

/** What links an event into the chain. */
export interface ChainLink {
  seq: number;
  prevHash: string;
  hash: string;
}

export interface ChainReport {
  valid: boolean;
  eventsChecked: number;
  headSeq: number | null;
  headHash: string | null;
  firstInvalidSeq: number | null;
}

/** A stretch of the chain already checked elsewhere (in the database: `checkChainStretch`). */
export interface CheckedStretch {
  /** Events in the stretch. */
  checked: number;
  /** The stretch's last event, or null when it holds none. */
  last: { seq: number; hash: string } | null;
  /** The lowest seq at which the stretch breaks, or null. */
  firstInvalid: number | null;
}

/**
 * THE definition of "a valid chain", used by the live `verify` endpoint and the offline verifier alike.
 * Events are taken one at a time (`push`) or as stretches the database checked with the same rule
 * (`pushChecked`), in seq order, in constant memory. An event is invalid when its `seq` is not the
 * previous one's plus one, its `prevHash` is not the previous event's hash, or its `hash` is not the one
 * recomputed from its body; the break is reported at the lower of the event's seq and the seq expected
 * there (a deleted event breaks the chain at its own seq). A chain that starts after seq 1 (a partial
 * export) is anchored on its first `prevHash`, which cannot be checked without the earlier events —
 * unless `fromGenesis` says the chain is the whole log, where a missing first event is a break at 1.
 * With `head` (the database's `audit_head`, or a head an auditor recorded), the chain must end exactly
 * there: events missing after the last one break it right after the last one, the event at the head's
 * seq must carry the head's hash, and events beyond the head break it right after the head.
 *
 * test/api/audit-chain-equivalence.test.ts holds the live verification (SQL stretches plus this class)
 * equal to the offline one (this class alone) on random chains with random tampering.
 */
export class ChainVerifier {
  private expectedSeq: number | null = null;
  private expectedPrevHash: string | null = null;
  private checked = 0;
  private firstInvalid: number | null = null;
  private last: { seq: number; hash: string } | null = null;
  private readonly head: { seq: number; hash: string } | null;
  /** The hash of the event at the head's seq, once seen. */
  private hashAtHead: string | null = null;

  constructor(options: { fromGenesis?: boolean; head?: { seq: number; hash: string } } = {}) {
    if (options.fromGenesis) {
      this.expectedSeq = 1;
      this.expectedPrevHash = GENESIS_HASH;
    }
    this.head = options.head ?? null;
  }

  /** One event, with the hash the caller recomputed from its body (`chainHash`). */
  push(event: ChainLink, recomputedHash: string): void {
    this.checked++;
    if (this.expectedSeq === null) {
      this.expectedSeq = event.seq;
      this.expectedPrevHash = event.seq === 1 ? GENESIS_HASH : event.prevHash;
    }
    const ok =
      event.seq === this.expectedSeq &&
      event.prevHash === this.expectedPrevHash &&
      recomputedHash === event.hash;
    if (!ok) this.invalidAt(Math.min(event.seq, this.expectedSeq));
    this.follow({ seq: event.seq, hash: event.hash });
  }

  /** A stretch checked by the same rule elsewhere, following the events pushed so far. */
  pushChecked(stretch: CheckedStretch): void {
    this.checked += stretch.checked;
    if (stretch.firstInvalid !== null) this.invalidAt(stretch.firstInvalid);
    if (stretch.last) this.follow(stretch.last);
  }

  /** A break found by other means (e.g. a recomputed hash that differs). */
  invalidAt(seq: number): void {
    if (this.firstInvalid === null || seq < this.firstInvalid) this.firstInvalid = seq;
  }

  report(): ChainReport {
    const breaks = [this.firstInvalid, this.headBreak()].filter((seq): seq is number => seq !== null);
    return {
      valid: breaks.length === 0,
      eventsChecked: this.checked,
      headSeq: this.last?.seq ?? null,
      headHash: this.last?.hash ?? null,
      firstInvalidSeq: breaks.length === 0 ? null : Math.min(...breaks),
    };
  }

  /** Where the chain fails to end at `head`, if it does. */
  private headBreak(): number | null {
    if (this.head === null) return null;
    const lastSeq = this.last?.seq ?? 0;
    if (lastSeq < this.head.seq) return lastSeq + 1;
    if (this.head.seq > 0 && this.hashAtHead !== this.head.hash) return this.head.seq;
    if (lastSeq > this.head.seq) return this.head.seq + 1;
    return null;
  }

  private follow(event: { seq: number; hash: string }): void {
    if (event.seq === this.head?.seq) this.hashAtHead = event.hash;
    this.expectedSeq = event.seq + 1;
    this.expectedPrevHash = event.hash;
    this.last = event;
  }
}
