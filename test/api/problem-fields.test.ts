import { afterAll, beforeAll, expect, it } from 'vitest';
import { bearer, createTestApp, type TestApp } from '../helpers/app.js';
import { declare, draw, member, round, setLevel } from '../helpers/crisis.js';
import { describeDb } from '../helpers/database.js';
import { auditCount, expectProblem, inventoryOf, setupReserve } from '../helpers/factories.js';

/**
 * Refusals carry the figures they turn on as RFC 9457 extension members (issue 13, item 7), exactly
 * the numbers the service computed: `drawable` is the inventory's `drawable` to the thousandth.
 */
describeDb('problem fields', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t?.close());

  it('draw submission: entitlement-exceeded and insufficient-stock carry the cap, the parts and drawable', async () => {
    const r = await setupReserve(t, {
      minimumReserve: '920.125',
      maxOutstanding: '100',
      premiumPercent: '2.5',
    });
    const admin = bearer(t.admin);
    const submit = (quantity: string) =>
      t.api.post('/v1/draws').set(bearer(r.company)).send({ mineralCode: r.mineralCode, quantity });

    // An outstanding obligation of 20.5 (20 + 2.5 %), then a hold of 30.25.
    const shipped = await submit('20');
    await t.api.post(`/v1/draws/${shipped.body.id}/approve`).set(admin);
    const fulfilled = await t.api.post(`/v1/draws/${shipped.body.id}/fulfil`).set(admin);
    expect(fulfilled.status, JSON.stringify(fulfilled.body)).toBe(200);
    expect((await submit('30.25')).status).toBe(201);
    const events = await auditCount(t);

    // committed = 30.25 + 0 + 20.5 = 50.75 of the cap 100: 49.25 more.
    const overCap = expectProblem(await submit('49.251'), 409, 'entitlement-exceeded');
    expect(overCap).toMatchObject({
      mineralCode: r.mineralCode,
      cap: '100',
      held: '30.25',
      queued: '0',
      outstanding: '20.5',
      requested: '49.251',
      remaining: '49.25',
    });
    expect(overCap).not.toHaveProperty('drawable');

    // The routine share: 60 % of 100 → a cap of 60, 9.25 more.
    const patched = await t.api
      .patch(`/v1/agreements/${r.agreementId}`)
      .set(admin)
      .send({ routineLimitPercent: '60' });
    expect(patched.status, JSON.stringify(patched.body)).toBe(200);
    expect(expectProblem(await submit('9.251'), 409, 'entitlement-exceeded')).toMatchObject({
      cap: '60',
      requested: '9.251',
      remaining: '9.25',
    });

    // Back to the full cap (49.25 more), so the stock is what refuses:
    // drawable = 980 on hand − 30.25 held − 920.125 floor = 29.625.
    await t.api.patch(`/v1/agreements/${r.agreementId}`).set(admin).send({ routineLimitPercent: '100' });
    const inventory = await inventoryOf(t, r.mineralCode);
    expect(inventory.drawable).toBe('29.625');
    const short = expectProblem(await submit('29.626'), 409, 'insufficient-stock');
    expect(short).toMatchObject({
      mineralCode: r.mineralCode,
      requested: '29.626',
      drawable: inventory.drawable,
    });
    expect(short).not.toHaveProperty('cap');
    // Refusals change nothing (the two patches each wrote their own event).
    expect(await auditCount(t)).toBe(events + 2);

    // A delivery beyond the outstanding quantity names both.
    const tooMuch = await t.api
      .post(`/v1/obligations/${fulfilled.body.obligationId}/deliveries`)
      .set(admin)
      .send({ quantity: '20.501', depotId: r.depotId, originCountry: 'CA' });
    expect(expectProblem(tooMuch, 409, 'exceeds-outstanding')).toMatchObject({
      requested: '20.501',
      outstanding: '20.5',
    });
  });

  it('fulfilment: an explicit allocation a lot cannot cover names the lot and what it holds', async () => {
    const r = await setupReserve(t, { lots: [{ quantity: '10.5' }, { quantity: '30' }] });
    const other = await setupReserve(t);
    const admin = bearer(t.admin);
    const submitted = await t.api
      .post('/v1/draws')
      .set(bearer(r.company))
      .send({ mineralCode: r.mineralCode, quantity: '12' });
    await t.api.post(`/v1/draws/${submitted.body.id}/approve`).set(admin);
    const fulfil = (allocations: { lotId: string; quantity: string }[]) =>
      t.api.post(`/v1/draws/${submitted.body.id}/fulfil`).set(admin).send({ allocations });

    expect(
      expectProblem(await fulfil([{ lotId: r.lotIds[0]!, quantity: '12.000' }]), 409, 'insufficient-stock'),
    ).toMatchObject({
      mineralCode: r.mineralCode,
      lotId: r.lotIds[0],
      requested: '12',
      quantityOnHand: '10.5',
    });
    // A lot of another mineral holds none of this one.
    expect(
      expectProblem(await fulfil([{ lotId: other.lotIds[0]!, quantity: '12' }]), 409, 'insufficient-stock'),
    ).toMatchObject({
      mineralCode: r.mineralCode,
      lotId: other.lotIds[0],
      requested: '12',
      quantityOnHand: '0',
    });
  });

  it('lot adjustment: below zero names the lot, below the holds names on-hand and reserved', async () => {
    const r = await setupReserve(t, { lots: [{ quantity: '50' }, { quantity: '50.75' }] });
    const admin = bearer(t.admin);
    await t.api
      .post('/v1/draws')
      .set(bearer(r.company))
      .send({ mineralCode: r.mineralCode, quantity: '80.5' });
    const adjust = (quantityDelta: string) =>
      t.api.post(`/v1/lots/${r.lotIds[0]}/adjustments`).set(admin).send({ quantityDelta, reason: 'Count' });
    expect(expectProblem(await adjust('-50.001'), 409, 'insufficient-stock')).toMatchObject({
      lotId: r.lotIds[0],
      quantityOnHand: '50',
    });
    expect(expectProblem(await adjust('-20.251'), 409, 'insufficient-stock')).toMatchObject({
      mineralCode: r.mineralCode,
      onHand: '100.75',
      reserved: '80.5',
    });
  });

  it('allocation round: a supply beyond drawable carries it, with the floor released at emergency', async () => {
    const r = await setupReserve(t, { minimumReserve: '990.5' });
    const d = await declare(t, [r.mineralCode], 'emergency');
    const m = await member(t, r.mineralCode);
    await draw(t, m, r.mineralCode, '50.125');
    // Queued draws hold nothing: drawable at emergency is all of on-hand.
    const atEmergency = await inventoryOf(t, r.mineralCode);
    expect(atEmergency.drawable).toBe('1000');
    expect(
      expectProblem(
        await round(t, { mineralCode: r.mineralCode, supply: '1000.001' }),
        409,
        'insufficient-stock',
      ),
    ).toMatchObject({ mineralCode: r.mineralCode, requested: '1000.001', drawable: atEmergency.drawable });

    await setLevel(t, d.id, 'alert');
    const atAlert = await inventoryOf(t, r.mineralCode);
    expect(atAlert.drawable).toBe('9.5');
    expect(
      expectProblem(
        await round(t, { mineralCode: r.mineralCode, supply: '9.501' }),
        409,
        'insufficient-stock',
      ),
    ).toMatchObject({ requested: '9.501', drawable: atAlert.drawable });
  });
});
