import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import fc from 'fast-check';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { describeDb } from '../helpers/database.js';
import { setupReserve } from '../helpers/factories.js';

/**
 * Input fuzzing from the live OpenAPI document: for every operation, requests built from its declared
 * parameters and body — valid values, boundaries and hostile ones (huge numbers, lone surrogates,
 * control characters, out-of-range dates, malformed cursors, unknown properties). Whatever comes in:
 * no 5xx, every error a problem document, and a refusal changes nothing (the audit head stays put).
 */
type Schema = {
  type?: string | string[];
  format?: string;
  pattern?: string;
  enum?: unknown[];
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  anyOf?: Schema[];
  oneOf?: Schema[];
  minimum?: number;
  maximum?: number;
};
interface Parameter {
  in: 'path' | 'query' | 'header';
  name: string;
  required?: boolean;
  schema: Schema;
}
interface Operation {
  parameters?: Parameter[];
  requestBody?: { content?: Record<string, { schema: Schema }> };
}

const RUNS_PER_OPERATION = Number(process.env.FUZZ_RUNS ?? 12);
const SEED = Number(process.env.FUZZ_SEED ?? 1414);

const cursor = (at: string, id: string) => Buffer.from(JSON.stringify([at, id])).toString('base64url');
const HOSTILE_STRINGS = [
  '\ud800',
  'a\udc00b',
  '\u0000',
  'x\u0007y',
  '   ',
  '\u0085',
  'x'.repeat(5000),
  '9'.repeat(40),
  '1e400',
  '-1',
  '0',
  '0x10',
  ' 5',
  'NaN',
  '0000-01-01T00:00:00Z',
  '9999-12-31T23:00:00-05:00',
  '+275760-09-13T00:00:00.000Z',
  '2026-02-30T00:00:00Z',
  'not-a-uuid',
  '00000000-0000-0000-0000-000000000000',
  cursor('2026-01-01T00:00:00.000Z', 'not-a-uuid'),
  cursor('+275760-09-13T00:00:00.000Z', randomUUID()),
  '%',
  '../../etc/passwd',
  "'; drop table draws; --",
];
const CURSORS = [
  cursor('2026-01-01T00:00:00.000Z', 'not-a-uuid'),
  cursor('+275760-09-13T00:00:00.000Z', '00000000-0000-4000-8000-000000000000'),
  cursor('0000-01-01T00:00:00.000Z', '00000000-0000-4000-8000-000000000000'),
  cursor('2026-01-01T00:00:00.000Z', 'X'.repeat(64)),
  'bm90IGpzb24',
  '%%%',
];
const DATES = [
  '0000-01-01T00:00:00Z',
  '9999-12-31T23:00:00-05:00',
  '0001-01-01T00:00:00+01:00',
  '2026-02-30T00:00:00Z',
  '2026-13-01T00:00:00Z',
];
const NUMBERS = ['1e2', '0x10', ' 5', '-1', '0', '99999999999999999999', '1.5', ''];
const DECIMALS = ['999999999999999.999', '999999999999999', '0', '0.000', '1e3', '-0', '00001', '1.0001'];
const TEXTS = [
  '\ud800',
  'a\udc00b',
  '\u0000',
  'x\u0007y',
  '   ',
  '\u0085',
  'x'.repeat(5000),
  'ok \ud83d\ude00',
];
const HOSTILE_VALUES: unknown[] = [
  1e308,
  -1,
  2 ** 53 + 1,
  1.5,
  true,
  null,
  [],
  {},
  { nested: '\ud800' },
  ...HOSTILE_STRINGS,
];

/**
 * encodeURIComponent, except that a lone surrogate (which it refuses with a URIError) is sent as the
 * bytes WTF-8 gives it: a hostile path segment must reach the server, not crash the test.
 */
function encodeSegment(value: string): string {
  let out = '';
  for (const ch of value) {
    const code = ch.charCodeAt(0);
    if (ch.length === 1 && code >= 0xd800 && code <= 0xdfff) {
      const bytes = [0xe0 | (code >> 12), 0x80 | ((code >> 6) & 0x3f), 0x80 | (code & 0x3f)];
      out += bytes.map((b) => `%${b.toString(16).toUpperCase()}`).join('');
    } else {
      out += encodeURIComponent(ch);
    }
  }
  return out;
}

describeDb('fuzzing every operation from the OpenAPI document', () => {
  let t: TestApp;
  let known: { uuids: string[]; codes: string[] };
  let tokens: string[];

  beforeAll(async () => {
    t = await createTestApp();
    const r = await setupReserve(t);
    known = { uuids: [r.depotId, r.companyId, r.agreementId, ...r.lotIds], codes: [r.mineralCode] };
    tokens = [t.admin, t.auditor, r.company];
  });
  afterAll(() => t?.close());

  const valid = (schema: Schema): fc.Arbitrary<unknown> => {
    if (schema.enum) return fc.constantFrom(...schema.enum);
    if (schema.anyOf ?? schema.oneOf) return fc.oneof(...(schema.anyOf ?? schema.oneOf)!.map(valid));
    const type = Array.isArray(schema.type) ? schema.type.find((x) => x !== 'null') : schema.type;
    switch (type) {
      case 'string':
        if (schema.format === 'uuid') return fc.oneof(fc.constantFrom(...known.uuids), fc.uuid());
        if (schema.format === 'date-time')
          return fc
            .date({ min: new Date('2000-01-01'), max: new Date('2100-01-01'), noInvalidDate: true })
            .map((d) => d.toISOString());
        if (schema.pattern?.includes('A-Z0-9_'))
          return fc.oneof(fc.constantFrom(...known.codes), fc.stringMatching(new RegExp(schema.pattern)));
        if (schema.pattern) return fc.stringMatching(new RegExp(schema.pattern));
        return fc.string({ minLength: 1, maxLength: 40 });
      case 'integer':
        return fc.integer({ min: schema.minimum ?? 0, max: Math.min(schema.maximum ?? 1000, 10_000) });
      case 'number':
        return fc.double({ noNaN: true });
      case 'boolean':
        return fc.boolean();
      case 'array':
        return fc.array(valid(schema.items ?? {}), { maxLength: 3 });
      case 'object': {
        const props = Object.entries(schema.properties ?? {});
        const required = new Set(schema.required ?? []);
        return fc.record(Object.fromEntries(props.map(([k, s]) => [k, valid(s)])), {
          requiredKeys: props.map(([k]) => k).filter((k) => required.has(k)),
        });
      }
      default:
        return fc.constant(null);
    }
  };
  /** Hostile values that fit what the field is, so they get past the obvious checks. */
  const hostileFor = (schema: Schema, name: string): unknown[] => {
    if (name === 'cursor') return CURSORS;
    if (schema.format === 'date-time') return DATES;
    if (schema.format === 'uuid') return ['not-a-uuid', '00000000-0000-0000-0000-000000000000', '\ud800'];
    if (schema.type === 'integer' || schema.type === 'number') return NUMBERS;
    if (schema.pattern?.startsWith('^\\d') || schema.pattern?.startsWith('^-?\\d')) return DECIMALS;
    if (schema.type === 'string' && !schema.pattern && !schema.enum) return TEXTS;
    return HOSTILE_VALUES;
  };
  /** Mostly valid, sometimes hostile: the interesting requests are one bad value among good ones. */
  const value = (schema: Schema, name = ''): fc.Arbitrary<unknown> => {
    if (schema.type === 'object' || schema.properties) {
      const props = Object.entries(schema.properties ?? {});
      const required = new Set(schema.required ?? []);
      return fc
        .tuple(
          fc.record(Object.fromEntries(props.map(([k, s]) => [k, value(s, k)])), {
            requiredKeys: props.map(([k]) => k).filter((k) => required.has(k)),
          }),
          fc.option(
            fc.tuple(fc.constantFrom('extra', '\ud800', '__proto__'), fc.constantFrom(...HOSTILE_VALUES)),
            {
              freq: 8,
            },
          ),
        )
        .map(([record, extra]) => (extra ? { ...record, [extra[0]]: extra[1] } : record));
    }
    return fc.oneof(
      { weight: 3, arbitrary: valid(schema) },
      { weight: 1, arbitrary: fc.constantFrom(...hostileFor(schema, name)) },
      { weight: 1, arbitrary: fc.constantFrom(...HOSTILE_VALUES) },
    );
  };
  const text = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v));

  it('answers no 5xx, only problem documents for errors, and no change on refusal', async () => {
    const doc = t.app.swagger() as { paths: Record<string, Record<string, Operation>> };
    const operations = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.entries(ops).map(([method, op]) => ({ path, method: method.toUpperCase(), op })),
    );
    expect(operations.length).toBeGreaterThan(20);
    const head = async () => {
      const result = await t.database.db.execute(
        sql`select coalesce(max(seq), 0)::text as seq from audit_events`,
      );
      const rows =
        (result as unknown as { rows?: { seq: string }[] }).rows ?? (result as unknown as { seq: string }[]);
      return rows[0]!.seq;
    };
    let requests = 0;
    for (const { path, method, op } of operations) {
      const params = op.parameters ?? [];
      const bodySchema = op.requestBody?.content?.['application/json']?.schema;
      const request = fc.record({
        path: fc.tuple(
          ...params
            .filter((p) => p.in === 'path')
            .map((p) => value(p.schema).map((v) => [p.name, v] as const)),
        ),
        query: fc.tuple(
          ...params
            .filter((p) => p.in === 'query')
            .map((p) =>
              fc.option(
                value(p.schema).map((v) => [p.name, v] as const),
                { freq: 2 },
              ),
            ),
        ),
        body: bodySchema ? fc.option(value(bodySchema), { freq: 8 }) : fc.constant(null),
        token: fc.constantFrom(...tokens),
        key: fc.option(fc.constantFrom('fuzz-key-1', 'fuzz-key-2', '\u00e9'), { freq: 3 }),
      });
      await fc.assert(
        fc.asyncProperty(request, async (req) => {
          let url = path;
          for (const [name, v] of req.path) url = url.replace(`{${name}}`, encodeSegment(text(v)));
          const query = new URLSearchParams();
          for (const entry of req.query) if (entry) query.append(entry[0], text(entry[1]));
          const qs = query.toString();
          const before = await head();
          const res = await t.app.inject({
            method: method as 'GET',
            url: qs ? `${url}?${qs}` : url,
            headers: {
              authorization: `Bearer ${req.token}`,
              ...(req.key ? { 'idempotency-key': req.key } : {}),
              ...(req.body !== null ? { 'content-type': 'application/json' } : {}),
            },
            ...(req.body !== null ? { payload: JSON.stringify(req.body) } : {}),
          });
          requests++;
          const where = `${method} ${url}?${qs} ${JSON.stringify(req.body)?.slice(0, 300)} → ${res.statusCode} ${res.body.slice(0, 300)}`;
          expect(res.statusCode, where).toBeLessThan(500);
          if (res.statusCode >= 400) {
            expect(res.headers['content-type'], where).toMatch(/^application\/problem\+json/);
            const problem = res.json() as Record<string, unknown>;
            expect(problem.status, where).toBe(res.statusCode);
            expect(typeof problem.type, where).toBe('string');
            // A refusal changes nothing (a replayed refusal neither).
            expect(await head(), where).toBe(before);
          }
        }),
        { numRuns: RUNS_PER_OPERATION, seed: SEED, endOnFailure: true },
      );
    }
    process.stdout.write(`[fuzz] ${operations.length} operations, ${requests} requests, seed ${SEED}\n`);
  }, 120_000);
});
