import { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';
import { expect } from 'vitest';
import type { AuditEventOut } from './factories.js';

/**
 * The contract's hash chain, written here from the contract text alone (not imported from src/), so a
 * test that agrees with the service shows the service implements the published formula:
 * hash = lowercase hex SHA-256 of UTF-8(prevHash + "\n" + JCS(body)), the first prevHash 64 zeros.
 */
export const GENESIS = '0'.repeat(64);

export function contractHash(prevHash: string, event: AuditEventOut): string {
  const body = {
    seq: event.seq,
    occurredAt: event.occurredAt,
    actor: event.actor,
    action: event.action,
    entityType: event.entityType,
    entityId: event.entityId,
    data: event.data,
    requestId: event.requestId,
  };
  const canonical = canonicalize(body);
  if (canonical === undefined) throw new Error('event body is not serialisable');
  return createHash('sha256')
    .update(Buffer.from(`${prevHash}\n${canonical}`, 'utf8'))
    .digest('hex');
}

/** Asserts the listed events are the whole chain: seq 1..N without gaps, linked and correctly hashed. */
export function expectIntactChain(events: AuditEventOut[]): void {
  let prevHash = GENESIS;
  events.forEach((event, index) => {
    expect(event.seq, `event #${index}`).toBe(index + 1);
    expect(event.prevHash, `prevHash of seq ${event.seq}`).toBe(prevHash);
    expect(event.hash, `hash of seq ${event.seq}`).toMatch(/^[0-9a-f]{64}$/);
    expect(event.hash, `hash of seq ${event.seq}`).toBe(contractHash(prevHash, event));
    prevHash = event.hash;
  });
}
