import { sql } from 'drizzle-orm';
import fc from 'fast-check';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { textColumn } from '../../src/db/unnest.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { describeDb } from '../helpers/database.js';

/** `textColumn` (the set-based writes' columns) on the database: every value comes back, in order. */
describeDb('textColumn', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t?.close());

  const rowsOf = (result: unknown) =>
    (Array.isArray(result) ? result : (result as { rows: unknown[] }).rows) as Record<string, unknown>[];

  it('brings back ids, decimals, codes, free words and nulls, in order, for any row count', async () => {
    const value = fc.oneof(
      fc.uuid(),
      fc.constantFrom('0', '12.5', '-0.001', '99999999999999999.999', 'not allocated', 'DX', '\\', 'N'),
      fc.constant(null),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(value, { minLength: 1, maxLength: 40 }), async (values) => {
        const result = await t.database.db.execute(sql`
          select v.value, v.n::int as n from unnest(${textColumn(values)}) with ordinality as v(value, n)
          order by v.n`);
        expect(rowsOf(result).map((r) => r.value)).toEqual(values);
      }),
      { numRuns: 100 },
    );
  });

  it('casts a column as a whole and zips columns row by row', async () => {
    const result = await t.database.db.execute(sql`
      select v.id::text as id, v.quantity::text as quantity, v.position
      from unnest(${textColumn(['00000000-0000-4000-8000-000000000001', '00000000-0000-4000-8000-000000000002'])}::uuid[],
        ${textColumn(['1.5', null])}::numeric[], ${textColumn([7, 8])}::int[]) as v(id, quantity, position)`);
    expect(rowsOf(result)).toEqual([
      { id: '00000000-0000-4000-8000-000000000001', quantity: '1.5', position: 7 },
      { id: '00000000-0000-4000-8000-000000000002', quantity: null, position: 8 },
    ]);
  });

  it('refuses a value it could not bring back: a comma, the null mark, an empty text', () => {
    expect(() => textColumn([''])).toThrow(/comma-separated/);
    expect(() => textColumn(['a,b'])).toThrow(/comma-separated/);
    expect(() => textColumn(['\\N'])).toThrow(/comma-separated/);
  });
});
