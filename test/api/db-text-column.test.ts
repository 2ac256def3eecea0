import { sql } from 'drizzle-orm';
import fc from 'fast-check';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { preparedStatement, runPrepared } from '../../src/db/prepared.js';
import { columnText, textColumn } from '../../src/db/unnest.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { describeDb } from '../helpers/database.js';

/** `textColumn` (the set-based writes' columns) on the database: every value comes back, in order. */
const oneColumn = preparedStatement<{ values: string }>(
  'test_text_column',
  sql`select v.value from unnest(${textColumn('values')}) with ordinality as v(value, n) order by v.n`,
);
const threeColumns = preparedStatement<{ ids: string; quantities: string; positions: string }>(
  'test_text_columns',
  sql`select v.id::text, v.quantity::text, v.position
    from unnest(${textColumn('ids')}::uuid[], ${textColumn('quantities')}::numeric[],
      ${textColumn('positions')}::int[]) as v(id, quantity, position)`,
);

describeDb('textColumn', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t?.close());

  it('brings back ids, decimals, codes, free words and nulls, in order, for any row count', async () => {
    const value = fc.oneof(
      fc.uuid(),
      fc.constantFrom('0', '12.5', '-0.001', '99999999999999999.999', 'not allocated', 'DX', '\\', 'N'),
      fc.constant(null),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(value, { minLength: 1, maxLength: 40 }), async (values) => {
        const rows = await runPrepared(t.database.db, oneColumn, { values: columnText(values) });
        expect(rows.map(([value]) => value)).toEqual(values);
      }),
      { numRuns: 100 },
    );
  });

  it('casts a column as a whole and zips columns row by row', async () => {
    const rows = await runPrepared(t.database.db, threeColumns, {
      ids: columnText(['00000000-0000-4000-8000-000000000001', '00000000-0000-4000-8000-000000000002']),
      quantities: columnText(['1.5', null]),
      positions: columnText([7, 8]),
    });
    expect(rows).toEqual([
      ['00000000-0000-4000-8000-000000000001', '1.5', 7],
      ['00000000-0000-4000-8000-000000000002', null, 8],
    ]);
  });

  it('refuses a value it could not bring back: a comma, the null mark, an empty text', () => {
    expect(() => columnText([''])).toThrow(/","-separated/);
    expect(() => columnText(['a,b'])).toThrow(/","-separated/);
    expect(() => columnText(['\\N'])).toThrow(/","-separated/);
  });
});
