import { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';

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
 * JCS (RFC 8785) of an event body, built from the JCS of `actor` and `data` in the body's sorted key
 * order: action, actor, data, entityId, entityType, occurredAt, requestId, seq. Strings and the
 * integer `seq` canonicalise to exactly what `JSON.stringify` prints. The appender stores `actor` and
 * `data` as this very text, so the database can rebuild the body by concatenation (see
 * `canonicalBodySql`) and the live verifier only hashes it. A unit test holds this equal to
 * `canonicalize(body)`.
 */
export function canonicalEvent(body: AuditEventBody): {
  actor: string;
  data: string | undefined;
  body: string;
} {
  const actor = canonicalize(body.actor) as string;
  const data = canonicalize(body.data);
  const text =
    `{"action":${JSON.stringify(body.action)},"actor":${actor}` +
    (data === undefined ? '' : `,"data":${data}`) +
    `,"entityId":${JSON.stringify(body.entityId)},"entityType":${JSON.stringify(body.entityType)}` +
    `,"occurredAt":${JSON.stringify(body.occurredAt)},"requestId":${JSON.stringify(body.requestId)}` +
    `,"seq":${JSON.stringify(body.seq)}}`;
  return { actor, data, body: text };
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

/**
 * Checks a chain one event at a time, in constant memory, so the live `verify` endpoint and the
 * offline verifier share one definition of "valid". An event is invalid when its `seq` does not follow
 * the previous one, its `prevHash` is not the previous event's hash, or its `hash` is not the hash the
 * caller recomputed from its body (`chainHash`, or `hashCanonical` of the stored canonical text). A chain that starts after seq 1 (a partial export) is anchored on its first
 * `prevHash`, which cannot be checked without the earlier events — unless `fromGenesis` says the chain
 * is the whole log (the live database), where a missing first event is itself a break at seq 1.
 */
export class ChainVerifier {
  private expectedSeq: number | null = null;
  private expectedPrevHash: string | null = null;
  private checked = 0;
  private firstInvalid: number | null = null;
  private lastSeq: number | null = null;
  private lastHash: string | null = null;

  constructor(options: { fromGenesis?: boolean } = {}) {
    if (options.fromGenesis) {
      this.expectedSeq = 1;
      this.expectedPrevHash = GENESIS_HASH;
    }
  }

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
    if (!ok && this.firstInvalid === null) this.firstInvalid = Math.min(event.seq, this.expectedSeq);
    this.expectedSeq = event.seq + 1;
    this.expectedPrevHash = event.hash;
    this.lastSeq = event.seq;
    this.lastHash = event.hash;
  }

  /** Marks a break that is not visible in the events themselves (e.g. events missing after the last). */
  markInvalid(seq: number): void {
    if (this.firstInvalid === null || seq < this.firstInvalid) this.firstInvalid = seq;
  }

  get nextSeq(): number {
    return this.expectedSeq ?? 1;
  }

  report(): ChainReport {
    return {
      valid: this.firstInvalid === null,
      eventsChecked: this.checked,
      headSeq: this.lastSeq,
      headHash: this.lastHash,
      firstInvalidSeq: this.firstInvalid,
    };
  }
}
