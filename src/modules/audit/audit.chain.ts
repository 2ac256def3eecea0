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

/** `hash = hex(SHA-256(UTF-8(prevHash + "\n" + JCS(body))))`, the contract's definition. */
export function chainHash(prevHash: string, body: AuditEventBody): string {
  const canonical = canonicalize({
    seq: body.seq,
    occurredAt: body.occurredAt,
    actor: body.actor,
    action: body.action,
    entityType: body.entityType,
    entityId: body.entityId,
    data: body.data,
    requestId: body.requestId,
  });
  return createHash('sha256').update(`${prevHash}\n${canonical}`, 'utf8').digest('hex');
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
 * the previous one, its `prevHash` is not the previous event's hash, or its `hash` is not the hash of
 * its own body. A chain that starts after seq 1 (a partial export) is anchored on its first
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

  push(event: AuditEvent): void {
    this.checked++;
    if (this.expectedSeq === null) {
      this.expectedSeq = event.seq;
      this.expectedPrevHash = event.seq === 1 ? GENESIS_HASH : event.prevHash;
    }
    const ok =
      event.seq === this.expectedSeq &&
      event.prevHash === this.expectedPrevHash &&
      chainHash(event.prevHash, event) === event.hash;
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
