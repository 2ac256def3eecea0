import canonicalize from 'canonicalize';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type AuditEventBody, canonicalEvent } from '../../src/modules/audit/audit.chain.js';

/** Strings that stress JCS: quotes, backslashes, every control character, non-BMP and U+2028. */
const awkwardString = fc.oneof(
  fc.string({ unit: 'binary' }),
  fc.constantFrom('"', '\\', '\u0000\u0001\u001f\u007f', '\b\f\n\r\t', '😀 \u2028\u2029 é', ''),
);

const body = fc.record({
  seq: fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
  occurredAt: fc
    .date({
      min: new Date('2000-01-01T00:00:00Z'),
      max: new Date('2099-12-31T23:59:59Z'),
      noInvalidDate: true,
    })
    .map((d) => d.toISOString()),
  actor: fc.record({
    sub: awkwardString,
    role: fc.constantFrom('admin', 'company', 'auditor'),
    companyId: fc.option(fc.uuid(), { nil: null }),
  }),
  action: awkwardString,
  entityType: awkwardString,
  entityId: awkwardString,
  data: fc.dictionary(awkwardString, fc.jsonValue()),
  requestId: awkwardString,
});

describe('canonicalEvent', () => {
  it('assembles exactly the JCS of the whole body from the JCS of its parts', () => {
    fc.assert(
      fc.property(body, (b: AuditEventBody) => {
        expect(canonicalEvent(b).body).toBe(canonicalize(b));
      }),
      { numRuns: 2000 },
    );
  });

  it('returns the JCS of actor and data, which is what the appender stores', () => {
    fc.assert(
      fc.property(body, (b: AuditEventBody) => {
        const parts = canonicalEvent(b);
        expect(parts.actor).toBe(canonicalize(b.actor));
        expect(parts.data).toBe(canonicalize(b.data));
      }),
    );
  });
});
