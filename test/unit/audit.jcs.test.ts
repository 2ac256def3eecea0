import canonicalize from 'canonicalize';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalJson } from '../../src/modules/audit/audit.jcs.js';

/** What a rendering gives: its text, or the error it throws (its class and message). */
function outcome(render: (value: unknown) => string | undefined, value: unknown) {
  try {
    return { text: render(value) };
  } catch (error) {
    return { threw: (error as Error).constructor.name, message: (error as Error).message };
  }
}

function sameAsCanonicalize(value: unknown): void {
  expect(outcome(canonicalJson, value)).toEqual(outcome(canonicalize, value));
}

/** Strings that stress JCS: quotes, backslashes, controls, lone and paired surrogates, U+2028. */
const awkwardString = fc.oneof(
  fc.string({ unit: 'binary' }),
  fc.string({ unit: fc.integer({ min: 0xd7f0, max: 0xe010 }).map((c) => String.fromCharCode(c)) }),
  fc.constantFrom('"', '\\', '\u0000\u0001\u001f\u007f', '\b\f\n\r\t', '😀 \u2028\u2029 é', '', '\uD800'),
);

/** Keys JSON.stringify would order differently, or that a plain object treats specially. */
const awkwardKey = fc.oneof(
  awkwardString,
  fc.constantFrom('0', '1', '10', '9', '01', '4294967294', '4294967295', '-1', '__proto__', 'toJSON', 'a'),
);

/** JSON-like values built from those strings and keys, with numbers of every kind. */
const { tree } = fc.letrec((tie) => ({
  tree: fc.oneof(
    { depthSize: 'small' },
    awkwardString,
    fc.double(),
    fc.integer(),
    fc.boolean(),
    fc.constant(null),
    fc.constantFrom(-0, Number.NaN, Number.POSITIVE_INFINITY, 1e21, 1e-7, Number.MAX_SAFE_INTEGER + 2),
    fc.array(tie('tree')),
    fc.dictionary(awkwardKey, tie('tree')),
  ),
}));

describe('canonicalJson', () => {
  it('writes exactly what canonicalize writes, and throws where it throws, on JSON values', () => {
    fc.assert(fc.property(fc.jsonValue(), sameAsCanonicalize), { numRuns: 3000 });
    fc.assert(fc.property(tree, sameAsCanonicalize), { numRuns: 3000 });
  });

  it('does so on any JavaScript value: undefined, functions, symbols, bigints, dates, boxed values, sparse arrays, null prototypes', () => {
    const anything = fc.anything({
      key: awkwardKey,
      withBigInt: true,
      withBoxedValues: true,
      withDate: true,
      withMap: true,
      withSet: true,
      withNullPrototype: true,
      withObjectString: true,
      withSparseArray: true,
      withTypedArray: true,
      withUnicodeString: true,
    });
    fc.assert(fc.property(anything, sameAsCanonicalize), { numRuns: 3000 });
  });

  it('keeps the exact path for toJSON, functions, cycles and deep nesting', () => {
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = cyclic;
    const shared = { x: '1' };
    let deep: unknown = 'leaf';
    for (let i = 0; i < 200; i++) deep = i % 2 ? { k: deep } : [deep];
    const cases: unknown[] = [
      undefined,
      () => 1,
      Symbol('s'),
      10n,
      new Date('2026-01-01T00:00:00Z'),
      { toJSON: () => ({ b: 1, a: 2 }) },
      { toJSON: 'not a function', b: 1 },
      { f: () => 1, g: undefined, h: Symbol('h') },
      [undefined, () => 1, Symbol('s'), 1],
      // biome-ignore lint/suspicious/noSparseArray: a hole is one of the cases
      [1, , 2],
      cyclic,
      [shared, { shared }],
      deep,
      { '\uD800': 1 },
      { 10: 'a', 9: 'b', x: 'c' },
      Object.assign(Object.create(null), { b: 1, a: 2 }),
      Object.assign([1, 2], { extra: 3 }),
    ];
    for (const value of cases) sameAsCanonicalize(value);
  });

  it('writes an allocation round event body as canonicalize does', () => {
    const allocations = Array.from({ length: 2000 }, (_, i) => ({
      drawId: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
      companyId: `10000000-0000-4000-8000-${String(i % 97).padStart(12, '0')}`,
      priorityClass: ['DX', 'DO', 'unrated'][i % 3],
      requested: `${1 + (i % 9000) / 1000}`,
      allocated: i % 4 ? `${(i % 5000) / 1000}` : '0',
    }));
    sameAsCanonicalize({ id: 'r', level: 'emergency', disruptionId: null, supply: '30000', allocations });
  });
});
