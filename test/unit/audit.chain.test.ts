import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import canonicalize from 'canonicalize';
import { describe, expect, it } from 'vitest';
import {
  type AuditEvent,
  type AuditEventBody,
  CANONICAL_FIELDS,
  ChainVerifier,
  canonicalEvent,
  chainHash,
  GENESIS_HASH,
  hashCanonical,
} from '../../src/modules/audit/audit.chain.js';
import { MalformedExportError, verifyNdjsonExport } from '../../src/modules/audit/audit.offline.js';

const contractHash = (prevHash: string, body: AuditEventBody) =>
  createHash('sha256')
    .update(`${prevHash}\n${canonicalize(body)}`, 'utf8')
    .digest('hex');

/** Rehashes events from `from` (an index) on, as a forger who rewrites the rest of the chain would. */
function rehash(events: AuditEvent[], from: number, keepPrevHashAt?: number): AuditEvent[] {
  const out = events.map((e) => ({ ...e }));
  for (let i = from; i < out.length; i++) {
    const { prevHash: _p, hash: _h, ...body } = out[i]!;
    const prevHash = i === keepPrevHashAt ? out[i]!.prevHash : i === 0 ? GENESIS_HASH : out[i - 1]!.hash;
    out[i] = { ...body, prevHash, hash: contractHash(prevHash, body) };
  }
  return out;
}

/** A valid chain of `n` events, hashed with the contract's formula written out here. */
function chain(n: number, seqs?: number[]): AuditEvent[] {
  const events: AuditEvent[] = [];
  let prevHash = GENESIS_HASH;
  for (const seq of seqs ?? Array.from({ length: n }, (_, i) => i + 1)) {
    const body: AuditEventBody = {
      seq,
      occurredAt: new Date(Date.UTC(2026, 0, 1, 0, 0, seq)).toISOString(),
      actor: { sub: 'admin-1', role: 'admin', companyId: null },
      action: 'depot.created',
      entityType: 'depot',
      entityId: `d-${seq}`,
      data: { n: seq, name: `Depot "${seq}" \\ \u2028` },
      requestId: `req-${seq}`,
    };
    const hash = createHash('sha256')
      .update(`${prevHash}\n${canonicalize(body)}`, 'utf8')
      .digest('hex');
    events.push({ ...body, prevHash, hash });
    prevHash = hash;
  }
  return events;
}

function verify(events: AuditEvent[], options: ConstructorParameters<typeof ChainVerifier>[0] = {}) {
  const verifier = new ChainVerifier(options);
  for (const event of events) verifier.push(event, chainHash(event.prevHash, event));
  return verifier;
}

const ndjson = (events: unknown[]) => Readable.from([events.map((e) => JSON.stringify(e)).join('\n')]);

describe('the canonical body', () => {
  it('lists its fields in JCS key order, exactly the body fields', () => {
    const keys = CANONICAL_FIELDS.map((f) => f.key);
    expect(keys).toEqual([...keys].sort());
    expect(keys.sort()).toEqual(
      Object.keys(chain(1)[0]!)
        .filter((k) => k !== 'prevHash' && k !== 'hash')
        .sort(),
    );
  });
  it('hashes prevHash, a newline and the canonical text (a fixed vector)', () => {
    expect(hashCanonical(GENESIS_HASH, '{}')).toBe(
      createHash('sha256')
        .update(`${'0'.repeat(64)}\n{}`)
        .digest('hex'),
    );
    expect(GENESIS_HASH).toMatch(/^0{64}$/);
    const [event] = chain(1);
    expect(chainHash(GENESIS_HASH, event!)).toBe(event!.hash);
  });
  it('leaves out undefined data, as JCS does', () => {
    const { prevHash: _p, hash: _h, ...event } = chain(1)[0]!;
    const body = { ...event, data: undefined };
    expect(canonicalEvent(body).body).toBe(canonicalize(body));
    expect(canonicalEvent(body).body).not.toContain('"data"');
  });
});

describe('ChainVerifier', () => {
  it('accepts an intact chain and reports its head', () => {
    const events = chain(5);
    expect(verify(events, { fromGenesis: true }).report()).toEqual({
      valid: true,
      eventsChecked: 5,
      headSeq: 5,
      headHash: events[4]!.hash,
      firstInvalidSeq: null,
    });
    expect(new ChainVerifier().report()).toEqual({
      valid: true,
      eventsChecked: 0,
      headSeq: null,
      headHash: null,
      firstInvalidSeq: null,
    });
  });
  it('finds an edited value at its seq', () => {
    const events = chain(5);
    events[2] = { ...events[2]!, data: { n: 99 } };
    expect(verify(events).report()).toMatchObject({ valid: false, firstInvalidSeq: 3, eventsChecked: 5 });
  });
  it('finds a forged hash at the event and a broken link at the next', () => {
    const events = chain(5);
    events[1] = { ...events[1]!, hash: 'f'.repeat(64) };
    expect(verify(events).report().firstInvalidSeq).toBe(2);
    const relinked = chain(5);
    relinked[3] = { ...relinked[3]!, prevHash: 'e'.repeat(64) };
    expect(verify(relinked).report().firstInvalidSeq).toBe(4);
  });
  it('finds a deleted event at its own seq, and a reorder at the first swapped seq', () => {
    const events = chain(6);
    expect(verify([...events.slice(0, 3), ...events.slice(4)]).report().firstInvalidSeq).toBe(4);
    const swapped = [events[0]!, events[1]!, events[3]!, events[2]!, events[4]!];
    expect(verify(swapped).report().firstInvalidSeq).toBe(3);
  });
  it('finds a gap in seq even when every hash and link was recomputed around it', () => {
    const gapped = chain(4, [1, 2, 4, 5]);
    expect(verify(gapped).report().firstInvalidSeq).toBe(3);
  });
  it('finds a forged prevHash even when the event was rehashed over it', () => {
    const events = chain(5);
    events[3] = { ...events[3]!, prevHash: 'e'.repeat(64) };
    const forged = rehash(events, 3, 3);
    expect(chainHash(forged[3]!.prevHash, forged[3]!)).toBe(forged[3]!.hash);
    expect(verify(forged).report().firstInvalidSeq).toBe(4);
    const first = rehash([{ ...events[0]!, prevHash: 'a'.repeat(64) }, ...events.slice(1)], 0, 0);
    expect(verify(first).report().firstInvalidSeq).toBe(1);
  });
  it('anchors a slice on its first prevHash unless it must start at genesis', () => {
    const slice = chain(8).slice(3);
    expect(verify(slice).report()).toMatchObject({ valid: true, eventsChecked: 5, headSeq: 8 });
    expect(verify(slice, { fromGenesis: true }).report().firstInvalidSeq).toBe(1);
    const first = chain(3);
    first[0] = { ...first[0]!, prevHash: 'a'.repeat(64) };
    expect(verify(first).report().firstInvalidSeq).toBe(1);
  });
  it('holds the chain against a recorded head', () => {
    const events = chain(4);
    const head = { seq: 4, hash: events[3]!.hash };
    const at = (list: AuditEvent[], h = head) =>
      verify(list, { fromGenesis: true, head: h }).report().firstInvalidSeq;
    expect(at(events)).toBeNull();
    expect(at(events.slice(0, 2))).toBe(3); // a cut tail
    expect(at([])).toBe(1);
    expect(at(events, { seq: 3, hash: events[2]!.hash })).toBe(4); // an event beyond the head
    expect(at(events, { seq: 2, hash: events[1]!.hash })).toBe(3); // two beyond: the break is after the head
    expect(at(events, { seq: 4, hash: 'b'.repeat(64) })).toBe(4); // a rewritten last event
    // An event beyond the head and a different event at the head's seq: the break is at the head.
    expect(at(events, { seq: 3, hash: 'c'.repeat(64) })).toBe(3);
    expect(at(chain(4, [1, 2, 4, 5]), { seq: 3, hash: events[2]!.hash })).toBe(3); // no event at the head
    expect(
      new ChainVerifier({ fromGenesis: true, head: { seq: 0, hash: GENESIS_HASH } }).report().valid,
    ).toBe(true);
    expect(at(events, { seq: 0, hash: GENESIS_HASH })).toBe(1); // events where the log should be empty
    // A break inside the chain and a cut tail: the first of them counts.
    const edited = events.slice(0, 3).map((e) => (e.seq === 2 ? { ...e, requestId: 'forged' } : e));
    expect(at(edited)).toBe(2);
  });
  it('combines stretches checked elsewhere with the same rule', () => {
    const events = chain(6);
    const v = new ChainVerifier({ fromGenesis: true });
    v.pushChecked({ checked: 3, last: { seq: 3, hash: events[2]!.hash }, firstInvalid: null });
    for (const e of events.slice(3)) v.push(e, chainHash(e.prevHash, e));
    expect(v.report()).toMatchObject({ valid: true, eventsChecked: 6, headSeq: 6 });
    v.pushChecked({ checked: 2, last: null, firstInvalid: 9 });
    v.pushChecked({ checked: 0, last: null, firstInvalid: null }); // a clean stretch heals nothing
    v.invalidAt(11);
    expect(v.report()).toMatchObject({ valid: false, eventsChecked: 8, headSeq: 6, firstInvalidSeq: 9 });
    v.invalidAt(7);
    expect(v.report().firstInvalidSeq).toBe(7);
  });
});

describe('the offline verifier, in process', () => {
  it('accepts an intact export and reports where it starts', async () => {
    const events = chain(4);
    const report = await verifyNdjsonExport(ndjson(events));
    expect(report).toEqual({
      valid: true,
      eventsChecked: 4,
      headSeq: 4,
      headHash: events[3]!.hash,
      firstInvalidSeq: null,
      firstSeq: 1,
    });
    expect((await verifyNdjsonExport(ndjson(events.slice(2)))).firstSeq).toBe(3);
  });
  it('skips blank lines and a byte-order mark, reads CRLF', async () => {
    const events = chain(3);
    const text = `\uFEFF${events.map((e) => JSON.stringify(e)).join('\r\n\r\n')}\r\n`;
    expect(await verifyNdjsonExport(Readable.from([text]))).toMatchObject({ valid: true, eventsChecked: 3 });
  });
  it('names the first invalid seq, and holds the chain against a head', async () => {
    const events = chain(5);
    const edited = events.map((e) => (e.seq === 4 ? { ...e, requestId: 'forged' } : e));
    expect((await verifyNdjsonExport(ndjson(edited))).firstInvalidSeq).toBe(4);
    const head = { seq: 5, hash: events[4]!.hash };
    expect((await verifyNdjsonExport(ndjson(events.slice(0, 3)), { head })).firstInvalidSeq).toBe(4);
    expect((await verifyNdjsonExport(ndjson(events.slice(1)), { fromGenesis: true })).firstInvalidSeq).toBe(
      1,
    );
  });
  it('rejects a line that is not JSON or not an event, naming the line', async () => {
    const events = chain(2);
    const error = await verifyNdjsonExport(Readable.from([`${JSON.stringify(events[0])}\n{oops`])).catch(
      (e: unknown) => e as MalformedExportError,
    );
    expect(error).toBeInstanceOf(MalformedExportError);
    expect(error).toMatchObject({ line: 2, name: 'MalformedExportError' });
    expect(String((error as Error).message)).toMatch(/^line 2: not valid JSON \(/);
    const notEvent = await verifyNdjsonExport(
      Readable.from([JSON.stringify({ ...events[0], seq: 'one' })]),
    ).catch((e: unknown) => e as MalformedExportError);
    expect(notEvent).toMatchObject({ line: 1 });
    expect((notEvent as Error).message).toMatch(/^line 1: not an audit event \(seq: /);
  });
});
