import fc from 'fast-check';
import { serializerCompiler as zodSerializerCompiler } from 'fastify-type-provider-zod';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ProblemSchema } from '../../src/http/schemas.js';
import { serializerCompiler } from '../../src/http/serializer.js';
import { DrawList } from '../../src/modules/draws/draws.schemas.js';

type Serialize = (data: unknown) => string;
const route = (schema: unknown) => ({ schema, method: 'GET', url: '/t', httpStatus: '200' }) as never;
const compiled = (schema: unknown) => serializerCompiler(route(schema)) as Serialize;
const byZod = (schema: unknown) => zodSerializerCompiler(route(schema)) as Serialize;

const uuid = fc.uuid({ version: 4 });
const decimal = fc.stringMatching(/^-?(0|[1-9][0-9]{0,8})(\.[0-9]{1,3})?$/);
const instant = fc
  .date({ min: new Date('2000-01-01T00:00:00Z'), max: new Date('2100-01-01T00:00:00Z'), noInvalidDate: true })
  .map((d) => d.toISOString());
// Any text, lone surrogates and control characters included: escaping must match JSON.stringify's.
const text = fc.string({ unit: 'binary', maxLength: 40 });

const draw = fc.record({
  id: uuid,
  companyId: uuid,
  mineralCode: fc.constantFrom('GA', 'GE', 'NDPR_OXIDE'),
  quantity: decimal,
  requestedQuantity: decimal,
  unitPrice: decimal,
  currency: fc.constant('USD'),
  amount: decimal,
  status: fc.constantFrom('pending', 'queued', 'approved', 'rejected', 'cancelled', 'fulfilled'),
  priorityClass: fc.constantFrom('DX', 'DO', 'unrated'),
  disruptionId: fc.option(uuid),
  allocationRoundId: fc.option(uuid),
  depotId: fc.option(uuid),
  note: fc.option(text),
  reason: fc.option(text),
  createdAt: instant,
  updatedAt: instant,
  decidedAt: fc.option(instant),
  fulfilledAt: fc.option(instant),
  obligationId: fc.option(uuid),
  marketPrice: fc.option(decimal),
  hedgeValue: fc.option(decimal),
  allocations: fc.array(fc.record({ lotId: uuid, quantity: decimal }), { maxLength: 3 }),
  // Not in the schema: must be left out, as zod's encode leaves it out.
  internal: fc.option(text),
});

describe('the compiled response serializer', () => {
  it('writes a page of draws byte for byte as the zod serializer did', () => {
    const fast = compiled(DrawList);
    const reference = byZod(DrawList);
    fc.assert(
      fc.property(fc.array(draw, { maxLength: 4 }), fc.option(text), (data, nextCursor) => {
        const page = { data, nextCursor };
        expect(fast(page)).toBe(reference(page));
      }),
      { numRuns: 300 },
    );
  });

  it('writes a problem with its extension members', () => {
    const problem = {
      type: '/problems/entitlement-exceeded',
      title: 'Entitlement exceeded',
      status: 409,
      detail: 'GA: cap 100, requested 120.',
      requestId: 'r-1',
      mineralCode: 'GA',
      cap: '100',
      requested: '120',
    };
    expect(JSON.parse(compiled(ProblemSchema)(problem))).toEqual(JSON.parse(byZod(ProblemSchema)(problem)));
  });

  it('refuses a reply that lacks a required member instead of writing a partial body', () => {
    expect(() => compiled(z.object({ id: z.string(), n: z.number() }))({ id: 'x' })).toThrow();
  });

  it('keeps the zod serializer for a schema JSON Schema cannot express', () => {
    const at = z.codec(z.iso.datetime(), z.date(), {
      decode: (text) => new Date(text),
      encode: (date) => date.toISOString(),
    });
    const schema = z.object({ at });
    const reply = { at: new Date(0) };
    expect(compiled(schema)(reply)).toBe('{"at":"1970-01-01T00:00:00.000Z"}');
    expect(compiled(schema)(reply)).toBe(byZod(schema)(reply));
  });
});
