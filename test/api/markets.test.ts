import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DAY_MS } from '../../src/domain/clock.js';
import { normalize } from '../../src/domain/decimal.js';
import { lotValueTotals } from '../../src/modules/prices/prices.table.js';
import { bearer, createTestApp, type TestApp } from '../helpers/app.js';
import { describeDb } from '../helpers/database.js';
import {
  auditCount,
  auditEventsAfter,
  createDepot,
  createMineral,
  expectProblem,
  inventoryOf,
  newCompany,
  setupReserve,
  uniqueCode,
} from '../helpers/factories.js';

const iso = (t: TestApp, offsetMs = 0) => new Date(t.clock.now().getTime() + offsetMs).toISOString();

async function recordPrice(
  t: TestApp,
  code: string,
  price: string,
  asOf?: string,
  source = 'LME assessment',
) {
  const res = await t.api
    .post(`/v1/minerals/${code}/prices`)
    .set(bearer(t.admin))
    .send({ price, source, ...(asOf ? { asOf } : {}) });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body as { id: string; price: string; asOf: string; createdAt: string };
}

async function receive(
  t: TestApp,
  mineralCode: string,
  depotId: string,
  quantity: string,
  originCountry: string,
  unitCost?: string,
) {
  const res = await t.api
    .post('/v1/lots')
    .set(bearer(t.admin))
    .send({ mineralCode, depotId, quantity, originCountry, ...(unitCost ? { unitCost } : {}) });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body as { id: string };
}

describeDb('markets', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t?.close());

  describe('market prices', () => {
    it('records a price: 201, Location, normalised, audited as price.recorded', async () => {
      const m = await createMineral(t);
      const before = await auditCount(t);
      const res = await t.api
        .post(`/v1/minerals/${m.code}/prices`)
        .set(bearer(t.admin))
        .send({ price: '812.5000', source: 'Fastmarkets 4N Rotterdam' });
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      expect(res.body).toEqual({
        id: expect.any(String),
        mineralCode: m.code,
        price: '812.5',
        currency: 'USD',
        asOf: iso(t), // default: now
        source: 'Fastmarkets 4N Rotterdam',
        createdAt: iso(t),
      });
      expect(res.headers.location).toBe(`/v1/minerals/${m.code}/prices/${res.body.id}`);
      const got = await t.api.get(res.headers.location as string).set(bearer(t.auditor));
      expect(got.status).toBe(200);
      expect(got.body).toEqual(res.body);
      // asOf = now counts as "≤ now": it is the market price at once.
      const mineral = await t.api.get(`/v1/minerals/${m.code}`).set(bearer(t.auditor));
      expect(mineral.body).toMatchObject({ marketPrice: '812.5', marketPriceAsOf: iso(t) });
      const events = await auditEventsAfter(t, before);
      expect(events).toHaveLength(1);
      expect(events[0]).toMatchObject({
        action: 'price.recorded',
        entityType: 'price',
        entityId: res.body.id,
        data: res.body,
      });
    });

    it('refuses bad prices, sources and future asOf with 400, unknown minerals with 404', async () => {
      const m = await createMineral(t);
      const post = (body: object) =>
        t.api.post(`/v1/minerals/${m.code}/prices`).set(bearer(t.admin)).send(body);
      for (const body of [
        { price: '0', source: 's' },
        { price: '-1', source: 's' },
        { price: '1.00001', source: 's' },
        { price: 12, source: 's' },
        { price: '12', source: '' },
        { price: '12', source: 'x'.repeat(101) },
        { price: '12' },
        { price: '12', source: 's', asOf: 'yesterday' },
        { price: '12', source: 's', currency: 'EUR' },
        { price: '12', source: 's', asOf: iso(t, 1) }, // one millisecond in the future
      ]) {
        expectProblem(await post(body), 400, 'validation-error');
      }
      const ok = await post({ price: '12', source: 'x'.repeat(100), asOf: iso(t) });
      expect(ok.status).toBe(201);
      expectProblem(
        await t.api
          .post('/v1/minerals/NOPE_NOPE/prices')
          .set(bearer(t.admin))
          .send({ price: '1', source: 's' }),
        404,
        'not-found',
      );
      expectProblem(await t.api.get('/v1/minerals/NOPE_NOPE/prices').set(bearer(t.admin)), 404, 'not-found');
    });

    it('resolves the market price at T by the greatest asOf ≤ T, ties to the one recorded last', async () => {
      const m = await createMineral(t);
      const none = await t.api.get(`/v1/minerals/${m.code}`).set(bearer(t.admin));
      expect(none.body).toMatchObject({ marketPrice: null, marketPriceAsOf: null });

      // Recorded out of asOf order: the newest observation wins, not the newest record.
      const day2 = iso(t, -2 * DAY_MS);
      await recordPrice(t, m.code, '700', iso(t, -1 * DAY_MS));
      await recordPrice(t, m.code, '650', iso(t, -3 * DAY_MS));
      await recordPrice(t, m.code, '690', day2);
      let mineral = await t.api.get(`/v1/minerals/${m.code}`).set(bearer(t.admin));
      expect(mineral.body).toMatchObject({ marketPrice: '700', marketPriceAsOf: iso(t, -1 * DAY_MS) });

      // Ties on asOf: the one recorded last.
      const tieAt = iso(t, -DAY_MS / 2);
      await recordPrice(t, m.code, '720.5', tieAt);
      await recordPrice(t, m.code, '710.25', tieAt);
      mineral = await t.api.get(`/v1/minerals/${m.code}`).set(bearer(t.admin));
      expect(mineral.body).toMatchObject({ marketPrice: '710.25', marketPriceAsOf: tieAt });

      // The list shows every record, ascending asOf, ties in recording order.
      const list = await t.api.get(`/v1/minerals/${m.code}/prices`).set(bearer(t.admin));
      expect(list.status).toBe(200);
      expect(list.body.data.map((p: { price: string }) => p.price)).toEqual([
        '650',
        '690',
        '700',
        '720.5',
        '710.25',
      ]);
      expect(list.body.nextCursor).toBeNull();

      // from inclusive, to exclusive.
      const ranged = await t.api
        .get(`/v1/minerals/${m.code}/prices`)
        .query({ from: day2, to: tieAt })
        .set(bearer(t.admin));
      expect(ranged.body.data.map((p: { price: string }) => p.price)).toEqual(['690', '700']);

      // Paging walks the same order without repeats or gaps.
      const seen: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await t.api
          .get(`/v1/minerals/${m.code}/prices`)
          .query({ limit: 2, ...(cursor ? { cursor } : {}) })
          .set(bearer(t.admin));
        expect(page.status).toBe(200);
        seen.push(...page.body.data.map((p: { price: string }) => p.price));
        cursor = page.body.nextCursor ?? undefined;
      } while (cursor);
      expect(seen).toEqual(['650', '690', '700', '720.5', '710.25']);
      expectProblem(
        await t.api.get(`/v1/minerals/${m.code}/prices`).query({ cursor: 'garbage' }).set(bearer(t.admin)),
        400,
        'validation-error',
      );
      expectProblem(
        await t.api.get(`/v1/minerals/${m.code}/prices`).query({ limit: 201 }).set(bearer(t.admin)),
        400,
        'validation-error',
      );
    });

    it("does not answer one mineral's price under another's code", async () => {
      const a = await createMineral(t);
      const b = await createMineral(t);
      const p = await recordPrice(t, a.code, '5');
      expectProblem(
        await t.api.get(`/v1/minerals/${b.code}/prices/${p.id}`).set(bearer(t.admin)),
        404,
        'not-found',
      );
    });

    it('keeps the history append-only in the database itself', async () => {
      const m = await createMineral(t);
      await recordPrice(t, m.code, '5');
      const db = t.database.db;
      await expect(
        db.execute(sql`update market_prices set price = 6 where mineral_code = ${m.code}`),
      ).rejects.toThrow();
      await expect(
        db.execute(sql`delete from market_prices where mineral_code = ${m.code}`),
      ).rejects.toThrow();
      await expect(db.execute(sql`truncate market_prices`)).rejects.toThrow();
      const list = await t.api.get(`/v1/minerals/${m.code}/prices`).set(bearer(t.admin));
      expect(list.body.data.map((p: { price: string }) => p.price)).toEqual(['5']);
    });

    it('lets every role read prices, only admins record them', async () => {
      const m = await createMineral(t);
      const p = await recordPrice(t, m.code, '5');
      const company = await t.token('company', await newCompany(t));
      for (const token of [company, t.auditor, t.admin]) {
        expect((await t.api.get(`/v1/minerals/${m.code}/prices`).set(bearer(token))).status).toBe(200);
        expect((await t.api.get(`/v1/minerals/${m.code}/prices/${p.id}`).set(bearer(token))).status).toBe(
          200,
        );
        expect((await t.api.get(`/v1/minerals/${m.code}`).set(bearer(token))).body.marketPrice).toBe('5');
      }
      for (const token of [company, t.auditor]) {
        expectProblem(
          await t.api
            .post(`/v1/minerals/${m.code}/prices`)
            .set(bearer(token))
            .send({ price: '1', source: 's' }),
          403,
          'forbidden',
        );
      }
    });
  });

  describe('mineral market settings', () => {
    it('defaults to no floor, no consumption and a 60-day target', async () => {
      const m = await createMineral(t);
      expect(m).toMatchObject({
        floorPrice: null,
        dailyConsumption: null,
        targetCoverageDays: 60,
        marketPrice: null,
        marketPriceAsOf: null,
      });
    });

    it('accepts them on create and PATCH (nullable), audits the change, rejects bad values', async () => {
      const m = await createMineral(t, {
        floorPrice: '110000.0000',
        dailyConsumption: '11.500',
        targetCoverageDays: 90,
      } as never);
      expect(m).toMatchObject({ floorPrice: '110000', dailyConsumption: '11.5', targetCoverageDays: 90 });
      const before = await auditCount(t);
      const patched = await t.api
        .patch(`/v1/minerals/${m.code}`)
        .set(bearer(t.admin))
        .send({ floorPrice: null, dailyConsumption: '12', targetCoverageDays: 3650 });
      expect(patched.status, JSON.stringify(patched.body)).toBe(200);
      expect(patched.body).toMatchObject({
        floorPrice: null,
        dailyConsumption: '12',
        targetCoverageDays: 3650,
      });
      const [event] = await auditEventsAfter(t, before);
      expect(event).toMatchObject({
        action: 'mineral.updated',
        data: {
          changes: {
            floorPrice: { from: '110000', to: null },
            dailyConsumption: { from: '11.5', to: '12' },
            targetCoverageDays: { from: 90, to: 3650 },
          },
        },
      });
      for (const body of [
        { floorPrice: '0' },
        { floorPrice: '1.00001' },
        { dailyConsumption: '0' },
        { dailyConsumption: '1.0001' },
        { targetCoverageDays: 0 },
        { targetCoverageDays: 3651 },
        { targetCoverageDays: 1.5 },
        { targetCoverageDays: '60' },
        { targetCoverageDays: null },
        { unit: 't' },
        {},
      ]) {
        expectProblem(
          await t.api.patch(`/v1/minerals/${m.code}`).set(bearer(t.admin)).send(body),
          400,
          'validation-error',
        );
      }
      expectProblem(
        await t.api
          .post('/v1/minerals')
          .set(bearer(t.admin))
          .send({ code: uniqueCode(), name: 'x', unit: 'kg', targetCoverageDays: 0 }),
        400,
        'validation-error',
      );
    });
  });

  describe('coverage and origins', () => {
    it('shows coverage on inventory positions: days rounded down, gap rounded up, null without consumption', async () => {
      const r = await setupReserve(t, { lots: [{ quantity: '1000' }] });
      expect(await inventoryOf(t, r.mineralCode)).toMatchObject({
        dailyConsumption: null,
        targetCoverageDays: 60,
        coverageDays: null,
        coverageGap: null,
      });
      await t.api.patch(`/v1/minerals/${r.mineralCode}`).set(bearer(t.admin)).send({ dailyConsumption: '7' });
      // 1000 / 7 = 142.857… → 142.8 (not 142.9); gap 420 − 1000 < 0 → 0
      expect(await inventoryOf(t, r.mineralCode)).toMatchObject({
        dailyConsumption: '7',
        coverageDays: '142.8',
        coverageGap: '0',
      });
      // Held stock is not available: 1000 − 200.5 = 799.5; 799.5 / 7 = 114.21… ; gap 60 × 20 − 799.5 = 400.5
      const draw = await t.api
        .post('/v1/draws')
        .set(bearer(r.company))
        .send({ mineralCode: r.mineralCode, quantity: '200.5' });
      expect(draw.status).toBe(201);
      await t.api
        .patch(`/v1/minerals/${r.mineralCode}`)
        .set(bearer(t.admin))
        .send({ dailyConsumption: '20' });
      expect(await inventoryOf(t, r.mineralCode)).toMatchObject({
        coverageDays: '39.9',
        coverageGap: '400.5',
      });
      const list = await t.api.get('/v1/inventory').set(bearer(t.auditor));
      expect(
        list.body.data.find((p: { mineralCode: string }) => p.mineralCode === r.mineralCode),
      ).toMatchObject({
        coverageDays: '39.9',
        coverageGap: '400.5',
      });
    });

    it('shows "0" coverage days when nothing is available', async () => {
      const m = await createMineral(t, { dailyConsumption: '5', targetCoverageDays: 2 } as never);
      expect(await inventoryOf(t, m.code)).toMatchObject({ coverageDays: '0', coverageGap: '10' });
    });

    it('breaks on-hand stock down by origin: largest first, ties by country, half-even shares', async () => {
      const m = await createMineral(t);
      const depot = await createDepot(t);
      const empty = await t.api.get(`/v1/inventory/${m.code}/origins`).set(bearer(t.auditor));
      expect(empty.status).toBe(200);
      expect(empty.body).toEqual({ mineralCode: m.code, onHand: '0', origins: [] });

      // 32 in all: US 1 (0.03125 → 0.0312), JP 3 (0.09375 → 0.0938), AU 14 + CA 14 (tie → AU first).
      await receive(t, m.code, depot.id, '1', 'US');
      await receive(t, m.code, depot.id, '2', 'JP');
      await receive(t, m.code, depot.id, '1', 'JP');
      await receive(t, m.code, depot.id, '14', 'CA');
      await receive(t, m.code, depot.id, '14', 'AU');
      // A lot counted down to zero is no origin.
      const gone = await receive(t, m.code, depot.id, '5', 'CN');
      const adj = await t.api
        .post(`/v1/lots/${gone.id}/adjustments`)
        .set(bearer(t.admin))
        .send({ quantityDelta: '-5', reason: 'count' });
      expect(adj.status).toBe(201);
      const res = await t.api.get(`/v1/inventory/${m.code}/origins`).set(bearer(t.admin));
      expect(res.status).toBe(200);
      expect(res.body).toEqual({
        mineralCode: m.code,
        onHand: '32',
        origins: [
          { originCountry: 'AU', onHand: '14', share: '0.4375' },
          { originCountry: 'CA', onHand: '14', share: '0.4375' },
          { originCountry: 'JP', onHand: '3', share: '0.0938' },
          { originCountry: 'US', onHand: '1', share: '0.0312' },
        ],
      });
    });

    it('answers origins to admins and auditors only; unknown mineral → 404', async () => {
      const m = await createMineral(t);
      const company = await t.token('company', await newCompany(t));
      expectProblem(
        await t.api.get(`/v1/inventory/${m.code}/origins`).set(bearer(company)),
        403,
        'forbidden',
      );
      expectProblem(
        await t.api.get('/v1/inventory/NOPE_NOPE/origins').set(bearer(t.admin)),
        404,
        'not-found',
      );
    });
  });

  describe('hedge value on draws', () => {
    it('stores the market price at submission and (market − unit price) × quantity, half-even', async () => {
      const r = await setupReserve(t, {
        unitPrice: '110.25',
        maxOutstanding: '10000',
        lots: [{ quantity: '5000' }],
      });
      const submit = (quantity: string) =>
        t.api.post('/v1/draws').set(bearer(r.company)).send({ mineralCode: r.mineralCode, quantity });

      const unpriced = await submit('10');
      expect(unpriced.body).toMatchObject({ marketPrice: null, hedgeValue: null });

      await recordPrice(t, r.mineralCode, '112.5', iso(t, -DAY_MS));
      // A later price recorded with an earlier asOf does not become the market price.
      await recordPrice(t, r.mineralCode, '1', iso(t, -2 * DAY_MS));
      const even = await submit('200.5'); // 2.25 × 200.5 = 451.125 → 451.12
      expect(even.status).toBe(201);
      expect(even.body).toMatchObject({ marketPrice: '112.5', hedgeValue: '451.12' });
      const odd = await submit('201.5'); // 2.25 × 201.5 = 453.375 → 453.38
      expect(odd.body).toMatchObject({ marketPrice: '112.5', hedgeValue: '453.38' });

      await recordPrice(t, r.mineralCode, '100');
      const negative = await submit('10'); // −10.25 × 10
      expect(negative.body).toMatchObject({ marketPrice: '100', hedgeValue: '-102.50' });

      // Stored at submission: a newer price changes nothing on existing draws.
      await recordPrice(t, r.mineralCode, '500');
      const again = await t.api.get(`/v1/draws/${even.body.id}`).set(bearer(r.company));
      expect(again.body).toMatchObject({ marketPrice: '112.5', hedgeValue: '451.12' });
      const approved = await t.api.post(`/v1/draws/${even.body.id}/approve`).set(bearer(t.admin));
      expect(approved.body).toMatchObject({ marketPrice: '112.5', hedgeValue: '451.12' });
    });
  });
});

describeDb('valuation', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t?.close());

  it('is empty and zero on an empty reserve', async () => {
    const res = await t.api.get('/v1/valuation').set(bearer(t.auditor));
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      asOf: iso(t),
      currency: 'USD',
      minerals: [],
      totals: {
        bookValue: '0.00',
        marketValue: '0.00',
        unrealizedGain: '0.00',
        floorSupportCost: '0.00',
        unpricedMineralCodes: [],
      },
    });
  });

  it('values each mineral exactly, rounds once per figure, totals the rounded figures', async () => {
    const depot = await createDepot(t);
    // A: 1.125 kg at cost 1 and 1 kg without cost; market 1.08 → book 1.12, market 2.30, gain 0.09.
    await createMineral(t, { code: 'VA_A', name: 'A', unit: 'kg' });
    await receive(t, 'VA_A', depot.id, '1.125', 'AU', '1');
    await receive(t, 'VA_A', depot.id, '1', 'CA');
    await recordPrice(t, 'VA_A', '1.08');
    // B: NdPr-like, floor above market, consumption set → floor gap and support cost.
    await createMineral(t, {
      code: 'VA_B',
      name: 'B',
      unit: 't',
      floorPrice: '110000',
      dailyConsumption: '11.5',
    } as never);
    await receive(t, 'VA_B', depot.id, '85', 'AU', '98000');
    await receive(t, 'VA_B', depot.id, '60.5', 'US', '112000');
    await recordPrice(t, 'VA_B', '74000.5');
    // C: no market price: only the book value, named as unpriced.
    await createMineral(t, {
      code: 'VA_C',
      name: 'C',
      unit: 'kg',
      floorPrice: '3',
      dailyConsumption: '1',
    } as never);
    await receive(t, 'VA_C', depot.id, '1.135', 'AU', '1');
    // D: priced, costed at a loss (−1.125 → −1.12), floor below market, no consumption.
    await createMineral(t, { code: 'VA_D', name: 'D', unit: 'kg', floorPrice: '0.5' } as never);
    await receive(t, 'VA_D', depot.id, '1.125', 'AU', '2');
    await recordPrice(t, 'VA_D', '1');

    const res = await t.api.get('/v1/valuation').set(bearer(t.admin));
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.minerals).toEqual([
      {
        mineralCode: 'VA_A',
        unit: 'kg',
        onHand: '2.125',
        bookValue: '1.12',
        unvaluedQuantity: '1',
        marketPrice: '1.08',
        marketValue: '2.30',
        unrealizedGain: '0.09',
        floorPrice: null,
        floorGap: null,
        floorSupportCost: null,
      },
      {
        mineralCode: 'VA_B',
        unit: 't',
        onHand: '145.5',
        bookValue: '15106000.00',
        unvaluedQuantity: '0',
        marketPrice: '74000.5',
        marketValue: '10767072.75',
        unrealizedGain: '-4338927.25',
        floorPrice: '110000',
        floorGap: '35999.5',
        floorSupportCost: '19601727.75', // 35999.5 × (60 × 11.5 − 145.5)
      },
      {
        mineralCode: 'VA_C',
        unit: 'kg',
        onHand: '1.135',
        bookValue: '1.14', // 1.135 → odd 3 → up
        unvaluedQuantity: '0',
        marketPrice: null,
        marketValue: null,
        unrealizedGain: null,
        floorPrice: '3',
        floorGap: null,
        floorSupportCost: null,
      },
      {
        mineralCode: 'VA_D',
        unit: 'kg',
        onHand: '1.125',
        bookValue: '2.25',
        unvaluedQuantity: '0',
        marketPrice: '1',
        marketValue: '1.12',
        unrealizedGain: '-1.12',
        floorPrice: '0.5',
        floorGap: '0',
        floorSupportCost: null,
      },
    ]);
    expect(res.body.totals).toEqual({
      bookValue: '15106004.51', // 1.12 + 15106000.00 + 1.14 + 2.25
      marketValue: '10767076.17', // 2.30 + 10767072.75 + 1.12
      unrealizedGain: '-4338928.28', // 0.09 − 4338927.25 − 1.12
      floorSupportCost: '19601727.75',
      unpricedMineralCodes: ['VA_C'],
    });
    expect(res.body.asOf).toBe(iso(t));

    const company = await t.token('company', await newCompany(t));
    expectProblem(await t.api.get('/v1/valuation').set(bearer(company)), 403, 'forbidden');
  });

  it('keeps the per-mineral cost totals equal to the lots through receipts, adjustments, draws and deliveries', async () => {
    const r = await setupReserve(t, { lots: [{ quantity: '100' }] });
    const admin = bearer(t.admin);
    await receive(t, r.mineralCode, r.depotId, '50.5', 'CA', '12.3456');
    const costed = await receive(t, r.mineralCode, r.depotId, '7.25', 'AU', '3');
    await t.api
      .post(`/v1/lots/${costed.id}/adjustments`)
      .set(admin)
      .send({ quantityDelta: '-2.125', reason: 'count' });
    const draw = await t.api
      .post('/v1/draws')
      .set(bearer(r.company))
      .send({ mineralCode: r.mineralCode, quantity: '120' });
    expect(draw.status).toBe(201);
    await t.api.post(`/v1/draws/${draw.body.id}/approve`).set(admin);
    const fulfilled = await t.api.post(`/v1/draws/${draw.body.id}/fulfil`).set(admin);
    expect(fulfilled.status).toBe(200);
    const delivered = await t.api
      .post(`/v1/obligations/${fulfilled.body.obligationId}/deliveries`)
      .set(admin)
      .send({ quantity: '10', depotId: r.depotId, originCountry: 'JP' });
    expect(delivered.status, JSON.stringify(delivered.body)).toBe(201);

    const db = t.database.db;
    const result = await db.execute(sql`
      select coalesce(sum(quantity_on_hand) filter (where unit_cost is not null), 0)::text as costed,
             coalesce(sum(quantity_on_hand * unit_cost), 0)::text as book,
             coalesce(sum(quantity_on_hand) filter (where unit_cost is null), 0)::text as unvalued
      from lots where mineral_code = ${r.mineralCode}`);
    const [fromLots] = (Array.isArray(result) ? result : (result as { rows: unknown[] }).rows) as {
      costed: string;
      book: string;
      unvalued: string;
    }[];
    const [kept] = await db
      .select()
      .from(lotValueTotals)
      .where(sql`${lotValueTotals.mineralCode} = ${r.mineralCode}`);
    // Exact decimals, compared by value (scales differ).
    expect(normalize(kept!.costedOnHand)).toBe(normalize(fromLots!.costed));
    expect(normalize(kept!.bookValue)).toBe(normalize(fromLots!.book));
    expect(normalize(kept!.unvaluedOnHand)).toBe(normalize(fromLots!.unvalued));
    expect(normalize(kept!.bookValue)).toBe('391.9158'); // FIFO took 100 + 20: 30.5 × 12.3456 + 5.125 × 3

    // And the valuation adds up: totals are the sums of the per-mineral rounded figures.
    const res = await t.api.get('/v1/valuation').set(bearer(t.auditor));
    const cents = (v: string | null) => (v === null ? 0n : BigInt(v.replace('.', '')));
    const total = (k: string) =>
      res.body.minerals.reduce((s: bigint, m: Record<string, string | null>) => s + cents(m[k] ?? null), 0n);
    for (const k of ['bookValue', 'marketValue', 'unrealizedGain', 'floorSupportCost']) {
      expect(cents(res.body.totals[k])).toBe(total(k));
    }
  });
});
