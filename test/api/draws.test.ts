import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DAY_MS } from '../../src/domain/clock.js';
import { bearer, createTestApp, type TestApp } from '../helpers/app.js';
import { describeDb } from '../helpers/database.js';
import {
  auditCount,
  auditEventsAfter,
  expectProblem,
  inventoryOf,
  ledgerSum,
  newCompany,
  setupReserve,
  slug,
} from '../helpers/factories.js';

describeDb('draw lifecycle', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t?.close());

  it('draw → approve → fulfil → deliver (partial, then the rest) with exact numbers', async () => {
    const r = await setupReserve(t, { minimumReserve: '100', unitPrice: '110.25', premiumPercent: '2.5' });
    const admin = bearer(t.admin);

    const submitted = await t.api
      .post('/v1/draws')
      .set(bearer(r.company))
      .send({ mineralCode: r.mineralCode, quantity: '200.5', note: 'Fab line 3 outage' });
    expect(submitted.status).toBe(201);
    expect(submitted.headers.location).toBe(`/v1/draws/${submitted.body.id}`);
    // 200.5 × 110.25 = 22105.125 → half-even → 22105.12
    expect(submitted.body).toMatchObject({
      companyId: r.companyId,
      mineralCode: r.mineralCode,
      quantity: '200.5',
      unitPrice: '110.25',
      currency: 'USD',
      amount: '22105.12',
      status: 'pending',
      obligationId: null,
      allocations: [],
    });
    expect(await inventoryOf(t, r.mineralCode)).toMatchObject({
      onHand: '1000',
      reserved: '200.5',
      available: '799.5',
      minimumReserve: '100',
      drawable: '699.5',
    });
    const id = submitted.body.id as string;

    const approved = await t.api.post(`/v1/draws/${id}/approve`).set(admin);
    expect(approved.status).toBe(200);
    expect(approved.body.status).toBe('approved');
    expect(approved.body.decidedAt).not.toBeNull();

    const fulfilled = await t.api.post(`/v1/draws/${id}/fulfil`).set(admin);
    expect(fulfilled.status, JSON.stringify(fulfilled.body)).toBe(200);
    expect(fulfilled.body.status).toBe('fulfilled');
    expect(fulfilled.body.allocations).toEqual([{ lotId: r.lotIds[0], quantity: '200.5' }]);
    const obligationId = fulfilled.body.obligationId as string;
    expect(await inventoryOf(t, r.mineralCode)).toMatchObject({
      onHand: '799.5',
      reserved: '0',
      drawable: '699.5',
    });
    expect(await ledgerSum(t, r.mineralCode)).toBe('799.500');

    const obligation = await t.api.get(`/v1/obligations/${obligationId}`).set(bearer(r.company));
    expect(obligation.status).toBe(200);
    // 200.5 × 1.025 = 205.5125 → rounded up → 205.513; due 90 days after fulfilment
    expect(obligation.body).toMatchObject({
      drawId: id,
      quantityDue: '205.513',
      quantityDelivered: '0',
      quantityOutstanding: '205.513',
      status: 'open',
      overdue: false,
      settlementAmount: null,
      deliveries: [],
    });
    expect(new Date(obligation.body.dueAt).getTime() - new Date(fulfilled.body.fulfilledAt).getTime()).toBe(
      90 * DAY_MS,
    );

    const delivery = { depotId: r.otherDepotId, originCountry: 'CA', grade: '4N' };
    const first = await t.api
      .post(`/v1/obligations/${obligationId}/deliveries`)
      .set(admin)
      .send({ ...delivery, quantity: '100' });
    expect(first.status, JSON.stringify(first.body)).toBe(201);
    expect(first.headers.location).toBe(`/v1/obligations/${obligationId}`);
    expect(first.body).toMatchObject({ status: 'partially_fulfilled', quantityOutstanding: '105.513' });
    const lot = await t.api.get(`/v1/lots/${first.body.deliveries[0].lotId}`).set(admin);
    expect(lot.body).toMatchObject({
      source: 'replenishment',
      quantityOnHand: '100',
      originCountry: 'CA',
      grade: '4N',
    });

    const tooMuch = await t.api
      .post(`/v1/obligations/${obligationId}/deliveries`)
      .set(admin)
      .send({ ...delivery, quantity: '105.514' });
    expect(tooMuch.status).toBe(409);
    expect(slug(tooMuch.body)).toBe('exceeds-outstanding');

    const rest = await t.api
      .post(`/v1/obligations/${obligationId}/deliveries`)
      .set(admin)
      .send({ ...delivery, quantity: '105.513' });
    expect(rest.body).toMatchObject({
      status: 'fulfilled',
      quantityOutstanding: '0',
      quantityDelivered: '205.513',
    });
    expect(rest.body.deliveries).toHaveLength(2);

    const again = await t.api
      .post(`/v1/obligations/${obligationId}/deliveries`)
      .set(admin)
      .send({ ...delivery, quantity: '1' });
    expect(slug(again.body)).toBe('invalid-state-transition');

    // 1000 − 200.5 + 205.513: the premium came back in kind.
    expect(await inventoryOf(t, r.mineralCode)).toMatchObject({ onHand: '1005.013', reserved: '0' });
    expect(await ledgerSum(t, r.mineralCode)).toBe('1005.013');

    const history = await t.api.get(`/v1/audit-events?entityType=draw&entityId=${id}`).set(bearer(t.auditor));
    expect(history.body.data.map((e: { action: string }) => e.action)).toEqual([
      'draw.submitted',
      'draw.approved',
      'draw.fulfilled',
    ]);
    const obligationHistory = await t.api
      .get(`/v1/audit-events?entityType=obligation&entityId=${obligationId}`)
      .set(bearer(t.auditor));
    expect(obligationHistory.body.data.map((e: { action: string }) => e.action)).toEqual([
      'obligation.created',
      'obligation.delivery_recorded',
      'obligation.delivery_recorded',
    ]);
  });

  it('a submission is the same object in the response, on GET and in its audit event', async () => {
    // The submission builds its view (and event) from the values it inserts, not from a re-read row:
    // the depot id must come back as stored (lower case), decimals normalised, times to the millisecond.
    const r = await setupReserve(t, { unitPrice: '12.3456' });
    const before = await auditCount(t);
    const submitted = await t.api
      .post('/v1/draws')
      .set(bearer(r.company))
      .send({ mineralCode: r.mineralCode, quantity: '007.250', depotId: r.depotId.toUpperCase(), note: 'x' });
    expect(submitted.status, JSON.stringify(submitted.body)).toBe(201);
    expect(submitted.body).toMatchObject({ quantity: '7.25', unitPrice: '12.3456', amount: '89.51' });
    expect(submitted.body.depotId).toBe(r.depotId.toLowerCase());
    const read = await t.api.get(`/v1/draws/${submitted.body.id}`).set(bearer(r.company));
    expect(read.body).toEqual(submitted.body);
    const [event, ...rest] = await auditEventsAfter(t, before);
    expect(rest).toEqual([]);
    expect(event).toMatchObject({ action: 'draw.submitted', entityId: submitted.body.id });
    expect(event!.data).toEqual(submitted.body);
    expect(event!.occurredAt).toBe(submitted.body.createdAt);

    const unknownDepot = await t.api
      .post('/v1/draws')
      .set(bearer(r.company))
      .send({ mineralCode: r.mineralCode, quantity: '1', depotId: '0190a0a0-0000-7000-8000-000000000000' });
    expectProblem(unknownDepot as never, 404, 'not-found');
    expect(await auditCount(t)).toBe(before + 1);
    expect(await inventoryOf(t, r.mineralCode)).toMatchObject({ reserved: '7.25' });
  });

  it('fulfils FIFO from the draw depot first, then other depots oldest first', async () => {
    const r = await setupReserve(t, {
      lots: [
        { quantity: '10', receivedAt: '2025-03-01T00:00:00.000Z' },
        { quantity: '10', receivedAt: '2025-01-01T00:00:00.000Z' },
      ],
    });
    const admin = bearer(t.admin);
    const elsewhere = await t.api.post('/v1/lots').set(admin).send({
      mineralCode: r.mineralCode,
      depotId: r.otherDepotId,
      quantity: '50',
      originCountry: 'US',
      receivedAt: '2024-01-01T00:00:00.000Z',
    });
    const draw = await t.api
      .post('/v1/draws')
      .set(bearer(r.company))
      .send({ mineralCode: r.mineralCode, quantity: '25', depotId: r.depotId });
    await t.api.post(`/v1/draws/${draw.body.id}/approve`).set(admin);
    const fulfilled = await t.api.post(`/v1/draws/${draw.body.id}/fulfil`).set(admin);
    const byLot = Object.fromEntries(
      fulfilled.body.allocations.map((a: { lotId: string; quantity: string }) => [a.lotId, a.quantity]),
    );
    // Depot lots oldest first (lot 2 then lot 1), the remainder from the other depot.
    expect(byLot).toEqual({ [r.lotIds[1]!]: '10', [r.lotIds[0]!]: '10', [elsewhere.body.id]: '5' });
    const lots = await t.api.get(`/v1/lots?mineral=${r.mineralCode}`).set(admin);
    expect(lots.body.data.map((l: { quantityOnHand: string }) => l.quantityOnHand).sort()).toEqual([
      '0',
      '0',
      '45',
    ]);
  });

  it('takes explicit allocations, and rejects bad ones without changing anything', async () => {
    const r = await setupReserve(t, { lots: [{ quantity: '10' }, { quantity: '30' }] });
    const other = await setupReserve(t);
    const admin = bearer(t.admin);
    const draw = await t.api
      .post('/v1/draws')
      .set(bearer(r.company))
      .send({ mineralCode: r.mineralCode, quantity: '12' });
    await t.api.post(`/v1/draws/${draw.body.id}/approve`).set(admin);
    const before = await auditCount(t);

    const wrongSum = await t.api
      .post(`/v1/draws/${draw.body.id}/fulfil`)
      .set(admin)
      .send({ allocations: [{ lotId: r.lotIds[0], quantity: '10' }] });
    expect(wrongSum.status).toBe(400);
    expect(slug(wrongSum.body)).toBe('validation-error');

    const foreignLot = await t.api
      .post(`/v1/draws/${draw.body.id}/fulfil`)
      .set(admin)
      .send({ allocations: [{ lotId: other.lotIds[0], quantity: '12' }] });
    expect(foreignLot.status).toBe(409);
    expect(slug(foreignLot.body)).toBe('insufficient-stock');

    const tooSmall = await t.api
      .post(`/v1/draws/${draw.body.id}/fulfil`)
      .set(admin)
      .send({ allocations: [{ lotId: r.lotIds[0], quantity: '12' }] });
    expect(slug(tooSmall.body)).toBe('insufficient-stock');
    expect(await auditCount(t)).toBe(before);

    const ok = await t.api
      .post(`/v1/draws/${draw.body.id}/fulfil`)
      .set(admin)
      .send({
        allocations: [
          { lotId: r.lotIds[0], quantity: '2' },
          { lotId: r.lotIds[1], quantity: '10' },
        ],
      });
    expect(ok.status, JSON.stringify(ok.body)).toBe(200);
    const lot1 = await t.api.get(`/v1/lots/${r.lotIds[1]}`).set(admin);
    expect(lot1.body.quantityOnHand).toBe('20');
    expect(await ledgerSum(t, r.mineralCode)).toBe('28.000');
  });

  describe('every refusal has its slug and changes nothing', () => {
    it('company-inactive, then no-agreement, entitlement-exceeded and insufficient-stock', async () => {
      const r = await setupReserve(t, { minimumReserve: '900', maxOutstanding: '50' });
      const company = bearer(r.company);
      const submit = (quantity: string, token = company, mineralCode = r.mineralCode) =>
        t.api.post('/v1/draws').set(token).send({ mineralCode, quantity });
      /** A refusal answers 409 with its slug and leaves the audit log and the inventory as they were. */
      const refused = async (
        slugWanted: string,
        attempt: () => Promise<{ status: number; body: { type?: string } }>,
      ) => {
        const [events, stock] = [await auditCount(t), await inventoryOf(t, r.mineralCode)];
        const res = await attempt();
        expect(res.status).toBe(409);
        expect(slug(res.body)).toBe(slugWanted);
        expect(await auditCount(t)).toBe(events);
        expect(await inventoryOf(t, r.mineralCode)).toEqual(stock);
      };

      await t.api.patch(`/v1/companies/${r.companyId}`).set(bearer(t.admin)).send({ status: 'suspended' });
      await refused('company-inactive', () => submit('1'));
      await t.api.patch(`/v1/companies/${r.companyId}`).set(bearer(t.admin)).send({ status: 'active' });

      const first = await submit('40');
      expect(first.status).toBe(201);
      // held 40 + 11 > maxOutstanding 50
      await refused('entitlement-exceeded', () => submit('11'));
      // drawable = 1000 − 40 − 900 = 60; the entitlement allows 10 more, the stock 60.
      expect((await submit('10')).status).toBe(201);

      const scarce = await setupReserve(t, { minimumReserve: '990', maxOutstanding: '500' });
      const scarceToken = bearer(scarce.company);
      const res = await submit('10.001', scarceToken, scarce.mineralCode);
      expect(slug(res.body)).toBe('insufficient-stock');
      expect(await inventoryOf(t, scarce.mineralCode)).toMatchObject({ reserved: '0', drawable: '10' });
      expect((await submit('10', scarceToken, scarce.mineralCode)).status).toBe(201);

      await t.api.post(`/v1/agreements/${r.agreementId}/terminate`).set(bearer(t.admin));
      await refused('no-agreement', () => submit('1'));
      // The open draws keep their locked-in terms after termination.
      const kept = await t.api.get(`/v1/draws/${first.body.id}`).set(company);
      expect(kept.body).toMatchObject({ status: 'pending', unitPrice: '110.25', amount: '4410.00' });
    });

    it('obligations-overdue blocks any new draw until the obligation is settled', async () => {
      const r = await setupReserve(t, { replenishmentDays: 30 });
      const company = bearer(r.company);
      const admin = bearer(t.admin);
      const draw = await t.api
        .post('/v1/draws')
        .set(company)
        .send({ mineralCode: r.mineralCode, quantity: '5' });
      await t.api.post(`/v1/draws/${draw.body.id}/approve`).set(admin);
      const fulfilled = await t.api.post(`/v1/draws/${draw.body.id}/fulfil`).set(admin);
      t.clock.advance(31 * DAY_MS);
      const obligation = await t.api.get(`/v1/obligations/${fulfilled.body.obligationId}`).set(company);
      expect(obligation.body.overdue).toBe(true);
      const overdueList = await t.api.get('/v1/obligations?overdue=true').set(company);
      expect(overdueList.body.data.map((o: { id: string }) => o.id)).toEqual([fulfilled.body.obligationId]);

      const blocked = await t.api
        .post('/v1/draws')
        .set(company)
        .send({ mineralCode: r.mineralCode, quantity: '1' });
      expect(blocked.status).toBe(409);
      expect(slug(blocked.body)).toBe('obligations-overdue');

      const settled = await t.api
        .post(`/v1/obligations/${fulfilled.body.obligationId}/settle`)
        .set(admin)
        .send({ amount: '600.00', reason: 'Cash settlement at fixed price' });
      expect(settled.status).toBe(200);
      expect(settled.body).toMatchObject({ status: 'settled', settlementAmount: '600.00', overdue: false });
      const settleTwice = await t.api
        .post(`/v1/obligations/${fulfilled.body.obligationId}/settle`)
        .set(admin)
        .send({ amount: '1.00', reason: 'again' });
      expect(slug(settleTwice.body)).toBe('invalid-state-transition');
      expect(
        (await t.api.post('/v1/draws').set(company).send({ mineralCode: r.mineralCode, quantity: '1' }))
          .status,
      ).toBe(201);
      t.clock.set(new Date());
    });
  });

  it('enforces the transition table', async () => {
    const r = await setupReserve(t);
    const company = bearer(r.company);
    const admin = bearer(t.admin);
    const submit = async () =>
      (await t.api.post('/v1/draws').set(company).send({ mineralCode: r.mineralCode, quantity: '1' })).body
        .id as string;

    const rejected = await submit();
    expect(
      (await t.api.post(`/v1/draws/${rejected}/reject`).set(admin).send({ reason: 'No disruption shown' }))
        .body,
    ).toMatchObject({ status: 'rejected', reason: 'No disruption shown' });
    for (const action of ['approve', 'fulfil']) {
      const res = await t.api.post(`/v1/draws/${rejected}/${action}`).set(admin);
      expect(res.status).toBe(409);
      expect(slug(res.body)).toBe('invalid-state-transition');
    }

    const pending = await submit();
    expect(slug((await t.api.post(`/v1/draws/${pending}/fulfil`).set(admin)).body)).toBe(
      'invalid-state-transition',
    );
    expect(
      (await t.api.post(`/v1/draws/${pending}/cancel`).set(company).send({ reason: 'Found supply' })).body
        .status,
    ).toBe('cancelled');

    const approved = await submit();
    await t.api.post(`/v1/draws/${approved}/approve`).set(admin);
    expect(slug((await t.api.post(`/v1/draws/${approved}/cancel`).set(company)).body)).toBe(
      'invalid-state-transition',
    );
    expect((await t.api.post(`/v1/draws/${approved}/cancel`).set(admin)).body.status).toBe('cancelled');
    expect(await inventoryOf(t, r.mineralCode)).toMatchObject({ reserved: '0', onHand: '1000' });

    // A company may not act on another company's draw: it does not exist for it.
    const strangerId = await newCompany(t);
    const stranger = bearer(await t.token('company', strangerId));
    const other = await submit();
    expect((await t.api.get(`/v1/draws/${other}`).set(stranger)).status).toBe(404);
    expect((await t.api.post(`/v1/draws/${other}/cancel`).set(stranger)).status).toBe(404);
    const list = await t.api.get(`/v1/draws?companyId=${r.companyId}`).set(stranger);
    expect(list.body.data).toEqual([]);
    // A company may not approve.
    expect((await t.api.post(`/v1/draws/${other}/approve`).set(company)).status).toBe(403);
  });

  it('adjusts lots, never below zero nor below the held quantity', async () => {
    const r = await setupReserve(t, { lots: [{ quantity: '50' }, { quantity: '50' }] });
    const admin = bearer(t.admin);
    await t.api.post('/v1/draws').set(bearer(r.company)).send({ mineralCode: r.mineralCode, quantity: '80' });
    const belowZero = await t.api
      .post(`/v1/lots/${r.lotIds[0]}/adjustments`)
      .set(admin)
      .send({ quantityDelta: '-50.001', reason: 'Count' });
    expect(slug(belowZero.body)).toBe('insufficient-stock');
    const belowHeld = await t.api
      .post(`/v1/lots/${r.lotIds[0]}/adjustments`)
      .set(admin)
      .send({ quantityDelta: '-20.001', reason: 'Count' });
    expect(slug(belowHeld.body)).toBe('insufficient-stock');
    const ok = await t.api
      .post(`/v1/lots/${r.lotIds[0]}/adjustments`)
      .set(admin)
      .send({ quantityDelta: '-20', reason: 'Moisture loss found at stock take' });
    expect(ok.status).toBe(201);
    expect(ok.body).toMatchObject({ lotId: r.lotIds[0], quantityDelta: '-20', quantityOnHandAfter: '30' });
    expect(await inventoryOf(t, r.mineralCode)).toMatchObject({
      onHand: '80',
      reserved: '80',
      drawable: '0',
    });
    expect(await ledgerSum(t, r.mineralCode)).toBe('80.000');
    const zero = await t.api
      .post(`/v1/lots/${r.lotIds[0]}/adjustments`)
      .set(admin)
      .send({ quantityDelta: '0', reason: 'x' });
    expect(zero.status).toBe(400);
  });

  it('validates decimals at the edge', async () => {
    const r = await setupReserve(t, {
      lots: [{ quantity: '999999999.999' }],
      maxOutstanding: '999999999.999',
    });
    const company = bearer(r.company);
    const submit = (quantity: unknown) =>
      t.api.post('/v1/draws').set(company).send({ mineralCode: r.mineralCode, quantity });
    const before = await auditCount(t);
    for (const bad of ['1.0001', '1e3', '-1', '0', '0.000', '+1', ' 1', '1.', '.5', 12, null, '0x10']) {
      const res = await submit(bad);
      expect(res.status, `quantity ${JSON.stringify(bad)}`).toBe(400);
      expect(slug(res.body)).toBe('validation-error');
      expect(res.body.errors[0].path).toBe('quantity');
    }
    expect(await auditCount(t)).toBe(before);
    const tiny = await submit('0.001');
    expect(tiny.body).toMatchObject({ quantity: '0.001', amount: '0.11' }); // 0.11025 → 0.11
    const huge = await submit('999999999.998');
    expect(huge.status).toBe(201);
    expect(huge.body.amount).toBe('110249999999.78'); // 999999999.998 × 110.25 = 110249999999.779…
    expect(await inventoryOf(t, r.mineralCode)).toMatchObject({ reserved: '999999999.999', drawable: '0' });
  });
});
