import { and, asc, eq } from 'drizzle-orm';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { decodeCursor, encodeCursor } from '../../src/db/pagination.js';
import { activeDisruptions } from '../../src/modules/disruptions/disruptions.repository.js';
import { type DrawFilter, findShownDraw, listDraws } from '../../src/modules/draws/draws.repository.js';
import { drawAllocations, draws } from '../../src/modules/draws/draws.table.js';
import { findStock, listStock } from '../../src/modules/inventory/inventory.repository.js';
import { minerals } from '../../src/modules/minerals/minerals.table.js';
import { bearer, createTestApp, type TestApp } from '../helpers/app.js';
import { declare } from '../helpers/crisis.js';
import { describeDb } from '../helpers/database.js';
import {
  createAgreement,
  createMineral,
  newCompany,
  type Reserve,
  setupReserve,
} from '../helpers/factories.js';

/**
 * The reads every request makes are hand-rendered statements (src/db/prepared.ts), one rendering per
 * combination of filters: each combination must return exactly what drizzle's own query returns, on
 * both drivers, allocations included.
 */
describeDb('read statements', () => {
  let t: TestApp;
  let r: Reserve;
  let otherCompanyId: string;

  const submit = async (token: string, quantity: string) => {
    const res = await t.api
      .post('/v1/draws')
      .set(bearer(token))
      .send({ mineralCode: r.mineralCode, quantity });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return res.body.id as string;
  };
  const act = async (id: string, action: 'approve' | 'fulfil' | 'reject', body: object = {}) => {
    const res = await t.api.post(`/v1/draws/${id}/${action}`).set(bearer(t.admin)).send(body);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
  };

  beforeAll(async () => {
    t = await createTestApp();
    // Small lots first, so a fulfilment spans several lots (oldest first).
    r = await setupReserve(t, {
      lots: [
        { quantity: '30.5', receivedAt: '2026-01-01T00:00:00.000Z' },
        { quantity: '40', receivedAt: '2026-01-02T00:00:00.000Z' },
        { quantity: '1000', receivedAt: '2026-01-03T00:00:00.000Z' },
      ],
    });
    otherCompanyId = await newCompany(t);
    await createAgreement(t, otherCompanyId, r.mineralCode);
    const other = await t.token('company', otherCompanyId, 'other-user');
    const spanning = await submit(r.company, '50');
    await act(spanning, 'approve');
    await act(spanning, 'fulfil');
    const single = await submit(other, '12.25');
    await act(single, 'approve');
    await act(single, 'fulfil');
    await act(await submit(r.company, '1'), 'reject', { reason: 'not now' });
    await act(await submit(other, '2'), 'approve');
    await submit(r.company, '3.5');
    await declare(t, [r.mineralCode], 'alert');
  });
  afterAll(() => t?.close());

  /** Every draw with its allocations (by lot), as drizzle reads them, in creation order. */
  async function expectedDraws(filter: DrawFilter = {}) {
    const db = t.database.db;
    const rows = await db
      .select()
      .from(draws)
      .where(
        and(
          filter.companyId ? eq(draws.companyId, filter.companyId) : undefined,
          filter.mineralCode ? eq(draws.mineralCode, filter.mineralCode) : undefined,
          filter.status ? eq(draws.status, filter.status) : undefined,
          filter.allocationRoundId ? eq(draws.allocationRoundId, filter.allocationRoundId) : undefined,
        ),
      )
      .orderBy(asc(draws.createdAt), asc(draws.id));
    const allocations = await db.select().from(drawAllocations).orderBy(asc(drawAllocations.lotId));
    return rows.map((row) => ({ ...row, allocations: allocations.filter((a) => a.drawId === row.id) }));
  }

  it('read one draw with its allocations as drizzle reads them', async () => {
    const all = await expectedDraws();
    expect(all.map((d) => d.allocations.length)).toEqual([2, 1, 0, 0, 0]);
    for (const draw of all) expect(await findShownDraw(t.database.db, draw.id)).toEqual(draw);
    expect(await findShownDraw(t.database.db, '00000000-0000-4000-8000-000000000000')).toBeUndefined();
  });

  it('list draws under every combination of filters and a cursor as drizzle lists them', async () => {
    const values = {
      companyId: [r.companyId, otherCompanyId],
      mineralCode: [r.mineralCode, 'NO_SUCH'],
      status: ['fulfilled', 'pending', 'approved'] as const,
      allocationRoundId: ['00000000-0000-4000-8000-000000000000'],
    };
    const keys = Object.keys(values) as (keyof typeof values)[];
    let nonEmpty = 0;
    for (let mask = 0; mask < 1 << keys.length; mask++) {
      const filter: DrawFilter = {};
      for (const [i, key] of keys.entries()) {
        // Rotate through each filter's values so every combination meets several of them.
        if (mask & (1 << i)) Object.assign(filter, { [key]: values[key][mask % values[key].length] });
      }
      const expected = await expectedDraws(filter);
      if (expected.length > 0) nonEmpty++;
      expect(await listDraws(t.database.db, filter, undefined, 100)).toEqual(expected);
      expect(await listDraws(t.database.db, filter, undefined, 1)).toEqual(expected.slice(0, 2));
      const first = expected[0];
      if (first) {
        const cursor = decodeCursor(encodeCursor(first));
        expect(await listDraws(t.database.db, filter, cursor, 100)).toEqual(expected.slice(1));
      }
    }
    expect(nonEmpty).toBeGreaterThan(4);
  });

  it('list stock positions after a cursor with their disruption level, and the active disruptions', async () => {
    const db = t.database.db;
    await createMineral(t, { unit: 't' });
    const all = (await db.select().from(minerals).orderBy(asc(minerals.createdAt), asc(minerals.code))).map(
      (m) => ({ ...m, disruptionLevel: m.code === r.mineralCode ? 'alert' : null }),
    );
    expect(all.length).toBe(2);
    expect(await listStock(db, undefined, 100)).toEqual(all);
    expect(await listStock(db, undefined, 1)).toEqual(all);
    expect(await listStock(db, decodeCursor(encodeCursor({ ...all[0]!, id: all[0]!.code })), 100)).toEqual(
      all.slice(1),
    );
    for (const row of all) expect(await findStock(db, row.code)).toEqual(row);
    expect(await findStock(db, 'NO_SUCH')).toBeUndefined();
    const active = await activeDisruptions(db, [r.mineralCode, 'NO_SUCH']);
    expect([...active.keys()]).toEqual([r.mineralCode]);
    expect(active.get(r.mineralCode)?.level).toBe('alert');
    expect(await activeDisruptions(db)).toEqual(active);
    expect((await activeDisruptions(db, [])).size).toBe(0);
  });
});
