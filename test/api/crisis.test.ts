import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DAY_MS } from '../../src/domain/clock.js';
import { bearer, createTestApp, type TestApp } from '../helpers/app.js';
import { declare, draw, endDisruption, getDraw, member, round, setLevel, submit } from '../helpers/crisis.js';
import { describeDb } from '../helpers/database.js';
import {
  auditCount,
  auditEventsAfter,
  createMineral,
  expectProblem,
  inventoryOf,
  setupReserve,
} from '../helpers/factories.js';

const rowsOf = (result: unknown) =>
  (Array.isArray(result) ? result : (result as { rows: unknown[] }).rows) as Record<string, unknown>[];

describeDb('crisis operations', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t?.close());

  describe('agreements: priority class and routine limit', () => {
    it('defaults to unrated and 100, returns what is sent, and validates both', async () => {
      const r = await setupReserve(t);
      const got = await t.api.get(`/v1/agreements/${r.agreementId}`).set(bearer(t.admin));
      expect(got.body).toMatchObject({ priorityClass: 'unrated', routineLimitPercent: '100' });
      const m = await member(t, r.mineralCode, { priorityClass: 'DX', routineLimitPercent: '60.50' });
      const created = await t.api.get(`/v1/agreements/${m.agreementId}`).set(bearer(t.admin));
      expect(created.body).toMatchObject({ priorityClass: 'DX', routineLimitPercent: '60.5' });
      const company = (await member(t, r.mineralCode)).companyId;
      for (const bad of [
        { routineLimitPercent: '0' },
        { routineLimitPercent: '100.01' },
        { routineLimitPercent: '50.123' },
        { routineLimitPercent: '-5' },
        { routineLimitPercent: 50 },
        { priorityClass: 'DZ' },
      ]) {
        const res = await t.api
          .post(`/v1/companies/${company}/agreements`)
          .set(bearer(t.admin))
          .send({
            mineralCode: (await createMineral(t)).code,
            unitPrice: '1',
            maxOutstanding: '1',
            replenishmentDays: 1,
            premiumPercent: '0',
            ...bad,
          });
        expectProblem(res, 400, 'validation-error');
      }
    });

    it('PATCH accepts only the class and the limit, audits agreement.updated, refuses a terminated one', async () => {
      const r = await setupReserve(t);
      const admin = bearer(t.admin);
      for (const body of [
        {},
        { maxOutstanding: '1' },
        { priorityClass: 'DO', unitPrice: '1' },
        { status: 'terminated' },
      ]) {
        expectProblem(
          await t.api.patch(`/v1/agreements/${r.agreementId}`).set(admin).send(body),
          400,
          'validation-error',
        );
      }
      const before = await auditCount(t);
      const seq = before;
      const res = await t.api
        .patch(`/v1/agreements/${r.agreementId}`)
        .set(admin)
        .send({ priorityClass: 'DO', routineLimitPercent: '25.00' });
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      expect(res.body).toMatchObject({
        priorityClass: 'DO',
        routineLimitPercent: '25',
        maxOutstanding: '500',
      });
      const [event] = await auditEventsAfter(t, seq);
      expect(event).toMatchObject({
        action: 'agreement.updated',
        entityType: 'agreement',
        entityId: r.agreementId,
        data: { changes: { priorityClass: 'DO', routineLimitPercent: '25' } },
      });
      expectProblem(
        await t.api.patch(`/v1/agreements/${randomUUID()}`).set(admin).send({ priorityClass: 'DX' }),
        404,
        'not-found',
      );
      expect((await t.api.post(`/v1/agreements/${r.agreementId}/terminate`).set(admin)).status).toBe(200);
      const after = await auditCount(t);
      expectProblem(
        await t.api.patch(`/v1/agreements/${r.agreementId}`).set(admin).send({ priorityClass: 'DX' }),
        409,
        'invalid-state-transition',
      );
      expect(await auditCount(t)).toBe(after);
      expectProblem(
        await t.api
          .patch(`/v1/agreements/${r.agreementId}`)
          .set(bearer(r.company))
          .send({ priorityClass: 'DX' }),
        403,
        'forbidden',
      );
    });

    it('caps routine draws at the routine share rounded down, the whole maxOutstanding at emergency', async () => {
      const r = await setupReserve(t, { lots: [{ quantity: '100' }] });
      const m = await member(t, r.mineralCode, { maxOutstanding: '10.001', routineLimitPercent: '33.33' });
      // 10.001 × 33.33 / 100 = 3.3333333 → 3.333
      expectProblem(await submit(t, m, r.mineralCode, '3.334'), 409, 'entitlement-exceeded');
      await draw(t, m, r.mineralCode, '3.333', 'pending');
      expectProblem(await submit(t, m, r.mineralCode, '0.001'), 409, 'entitlement-exceeded');
      // An alert changes no rule.
      const d = await declare(t, [r.mineralCode], 'alert');
      expectProblem(await submit(t, m, r.mineralCode, '0.001'), 409, 'entitlement-exceeded');
      await setLevel(t, d.id, 'emergency');
      // held 3.333 + queued + quantity ≤ 10.001
      await draw(t, m, r.mineralCode, '6', 'queued');
      expectProblem(await submit(t, m, r.mineralCode, '0.669'), 409, 'entitlement-exceeded');
      await draw(t, m, r.mineralCode, '0.668', 'queued');
      expectProblem(await submit(t, m, r.mineralCode, '0.001'), 409, 'entitlement-exceeded');
    });

    it('a PATCH changes future draws only', async () => {
      const r = await setupReserve(t);
      const first = await draw(t, { ...r, token: r.company } as never, r.mineralCode, '1', 'pending');
      expect(first.priorityClass).toBe('unrated');
      await t.api.patch(`/v1/agreements/${r.agreementId}`).set(bearer(t.admin)).send({ priorityClass: 'DX' });
      const second = await draw(t, { ...r, token: r.company } as never, r.mineralCode, '1', 'pending');
      expect(second.priorityClass).toBe('DX');
      expect((await getDraw(t, first.id)).priorityClass).toBe('unrated');
    });
  });

  describe('disruptions', () => {
    it('declares, reads, lists with filters, updates and ends, with one event each', async () => {
      const ga = (await createMineral(t)).code;
      const ge = (await createMineral(t)).code;
      const seq = await auditCount(t);
      const res = await t.api
        .post('/v1/disruptions')
        .set(bearer(t.admin))
        .send({
          title: 'Export licensing',
          mineralCodes: [ge, ga],
          level: 'alert',
          description: 'Licences required',
        });
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      expect(res.headers.location).toBe(`/v1/disruptions/${res.body.id}`);
      expect(res.body).toMatchObject({
        title: 'Export licensing',
        description: 'Licences required',
        mineralCodes: [ge, ga],
        level: 'alert',
        status: 'active',
        endedAt: null,
        endReason: null,
      });
      expect(res.body.declaredAt).toBe(res.body.createdAt);
      const id = res.body.id as string;
      const [declared] = await auditEventsAfter(t, seq);
      expect(declared).toMatchObject({
        action: 'disruption.declared',
        entityType: 'disruption',
        entityId: id,
        data: res.body,
      });

      const company = await t.token('company', randomUUID(), 'reader');
      expect((await t.api.get(`/v1/disruptions/${id}`).set(bearer(company))).body).toEqual(res.body);
      const byMineral = await t.api.get('/v1/disruptions').query({ mineral: ga }).set(bearer(t.auditor));
      expect(byMineral.body.data.map((d: { id: string }) => d.id)).toEqual([id]);
      const none = await t.api
        .get('/v1/disruptions')
        .query({ mineral: ga, status: 'ended' })
        .set(bearer(t.admin));
      expect(none.body.data).toEqual([]);
      expect((await inventoryOf(t, ga)).disruptionLevel).toBe('alert');

      const patched = await t.api
        .patch(`/v1/disruptions/${id}`)
        .set(bearer(t.admin))
        .send({ level: 'emergency', title: 'Export ban' });
      expect(patched.status).toBe(200);
      expect(patched.body).toMatchObject({ level: 'emergency', title: 'Export ban', mineralCodes: [ge, ga] });
      expect((await inventoryOf(t, ge)).disruptionLevel).toBe('emergency');
      expectProblem(
        await t.api.patch(`/v1/disruptions/${id}`).set(bearer(t.admin)).send({}),
        400,
        'validation-error',
      );
      expectProblem(
        await t.api
          .patch(`/v1/disruptions/${id}`)
          .set(bearer(t.admin))
          .send({ mineralCodes: [ga] }),
        400,
        'validation-error',
      );

      // end accepts an empty request
      const ended = await t.api.post(`/v1/disruptions/${id}/end`).set(bearer(t.admin));
      expect(ended.status, JSON.stringify(ended.body)).toBe(200);
      expect(ended.body).toMatchObject({ status: 'ended', endReason: null });
      expect(ended.body.endedAt).not.toBeNull();
      expect((await inventoryOf(t, ga)).disruptionLevel).toBe('none');
      const events = await auditEventsAfter(t, seq);
      expect(events.map((e) => e.action)).toEqual([
        'disruption.declared',
        'disruption.updated',
        'disruption.ended',
      ]);
      const count = await auditCount(t);
      expectProblem(
        await t.api.post(`/v1/disruptions/${id}/end`).set(bearer(t.admin)).send({ reason: 'again' }),
        409,
        'invalid-state-transition',
      );
      expectProblem(
        await t.api.patch(`/v1/disruptions/${id}`).set(bearer(t.admin)).send({ level: 'alert' }),
        409,
        'invalid-state-transition',
      );
      expect(await auditCount(t)).toBe(count);
      const endedList = await t.api
        .get('/v1/disruptions')
        .query({ mineral: ga, status: 'ended' })
        .set(bearer(t.admin));
      expect(endedList.body.data.map((d: { id: string }) => d.id)).toEqual([id]);
      // The minerals are free again.
      const again = await declare(t, [ga], 'alert', 'Second wave');
      expect(again.status).toBe('active');
      const reason = await t.api
        .post(`/v1/disruptions/${again.id}/end`)
        .set(bearer(t.admin))
        .send({ reason: 'licences granted' });
      expect(reason.body.endReason).toBe('licences granted');
    });

    it('allows at most one active disruption per mineral (409 conflict), and 404 for an unknown code', async () => {
      const a = (await createMineral(t)).code;
      const b = (await createMineral(t)).code;
      await declare(t, [a], 'alert');
      const count = await auditCount(t);
      expectProblem(
        await t.api
          .post('/v1/disruptions')
          .set(bearer(t.admin))
          .send({ title: 'x', mineralCodes: [b, a], level: 'emergency' }),
        409,
        'conflict',
      );
      expectProblem(
        await t.api
          .post('/v1/disruptions')
          .set(bearer(t.admin))
          .send({ title: 'x', mineralCodes: [b, 'NO_SUCH_MINERAL'], level: 'alert' }),
        404,
        'not-found',
      );
      expect(await auditCount(t)).toBe(count);
      expect(
        (await t.api.get('/v1/disruptions').query({ mineral: b }).set(bearer(t.admin))).body.data,
      ).toEqual([]);
      for (const body of [
        { title: 'x', mineralCodes: [], level: 'alert' },
        { title: 'x', mineralCodes: [b, b], level: 'alert' },
        { title: 'x', mineralCodes: Array.from({ length: 51 }, (_, i) => `M_${i}`), level: 'alert' },
        { title: '', mineralCodes: [b], level: 'alert' },
        { title: 'x'.repeat(201), mineralCodes: [b], level: 'alert' },
        { title: 'x', mineralCodes: [b], level: 'none' },
        { title: 'x', mineralCodes: [b], level: 'alert', description: 'x'.repeat(2001) },
        { title: 'x', mineralCodes: [b], level: 'alert', status: 'ended' },
      ]) {
        expectProblem(
          await t.api.post('/v1/disruptions').set(bearer(t.admin)).send(body),
          400,
          'validation-error',
        );
      }
      expectProblem(
        await t.api.get(`/v1/disruptions/${randomUUID()}`).set(bearer(t.admin)),
        404,
        'not-found',
      );
      expectProblem(
        await t.api.post(`/v1/disruptions/${randomUUID()}/end`).set(bearer(t.admin)),
        404,
        'not-found',
      );
    });

    it('the database itself refuses a second active row for a mineral', async () => {
      const a = (await createMineral(t)).code;
      const first = await declare(t, [a], 'alert');
      const second = randomUUID();
      const now = new Date().toISOString();
      await t.database.db.execute(
        sql`insert into disruptions (id, title, level, status, declared_at, created_at, updated_at) values (${second}, 'raw', 'alert', 'active', ${now}, ${now}, ${now})`,
      );
      await expect(
        t.database.db.execute(
          sql`insert into disruption_minerals (disruption_id, mineral_code, position, active) values (${second}, ${a}, 0, true)`,
        ),
      ).rejects.toThrow();
      expect(first.id).not.toBe(second);
    });
  });

  describe('emergency rules', () => {
    it('at alert: draws held as usual and stamped with the disruption', async () => {
      const r = await setupReserve(t, { minimumReserve: '900' });
      const d = await declare(t, [r.mineralCode], 'alert');
      const res = await submit(t, { token: r.company } as never, r.mineralCode, '100');
      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({
        status: 'pending',
        disruptionId: d.id,
        requestedQuantity: '100',
        allocationRoundId: null,
      });
      expect(await inventoryOf(t, r.mineralCode)).toMatchObject({
        reserved: '100',
        drawable: '0',
        queued: '0',
        disruptionLevel: 'alert',
      });
      expectProblem(
        await submit(t, { token: r.company } as never, r.mineralCode, '0.001'),
        409,
        'insufficient-stock',
      );
    });

    it('at emergency: queued without a hold, no stock check, floor released in inventory, decided only by a round', async () => {
      const r = await setupReserve(t, {
        minimumReserve: '600',
        lots: [{ quantity: '1000' }],
        maxOutstanding: '5000',
      });
      const own = { token: r.company } as never;
      await draw(t, own, r.mineralCode, '300', 'pending');
      const d = await declare(t, [r.mineralCode], 'emergency');
      const seq = await auditCount(t);
      const q = await draw(t, own, r.mineralCode, '2000.5', 'queued');
      expect(q).toMatchObject({
        quantity: '2000.5',
        requestedQuantity: '2000.5',
        amount: '220555.12',
        disruptionId: d.id,
        decidedAt: null,
        priorityClass: 'unrated',
      });
      const [submitted] = await auditEventsAfter(t, seq);
      expect(submitted).toMatchObject({ action: 'draw.submitted', data: q });
      expect(await inventoryOf(t, r.mineralCode)).toMatchObject({
        onHand: '1000',
        reserved: '300',
        available: '700',
        minimumReserve: '600',
        drawable: '700',
        queued: '2000.5',
        disruptionLevel: 'emergency',
      });
      // held 300 + queued 2000.5 + x ≤ 5000
      expectProblem(await submit(t, own, r.mineralCode, '2699.501'), 409, 'entitlement-exceeded');
      for (const action of ['approve', 'fulfil']) {
        expectProblem(
          await t.api.post(`/v1/draws/${q.id}/${action}`).set(bearer(t.admin)),
          409,
          'invalid-state-transition',
        );
      }
      expectProblem(
        await t.api.post(`/v1/draws/${q.id}/reject`).set(bearer(t.admin)).send({ reason: 'no' }),
        409,
        'invalid-state-transition',
      );
      // The company checks still run.
      await t.api.patch(`/v1/companies/${r.companyId}`).set(bearer(t.admin)).send({ status: 'suspended' });
      expectProblem(await submit(t, own, r.mineralCode, '1'), 409, 'company-inactive');
      await t.api.patch(`/v1/companies/${r.companyId}`).set(bearer(t.admin)).send({ status: 'active' });
      // The owner cancels a queued draw: it leaves the queue, nothing is released.
      const seq2 = await auditCount(t);
      const cancelled = await t.api.post(`/v1/draws/${q.id}/cancel`).set(bearer(r.company)).send({});
      expect(cancelled.status, JSON.stringify(cancelled.body)).toBe(200);
      expect(cancelled.body.status).toBe('cancelled');
      expect((await auditEventsAfter(t, seq2))[0]).toMatchObject({
        action: 'draw.cancelled',
        data: { from: 'queued', to: 'cancelled', quantityReleased: '0', quantityDequeued: '2000.5' },
      });
      expect(await inventoryOf(t, r.mineralCode)).toMatchObject({ reserved: '300', queued: '0' });
      // An admin may cancel a queued draw too.
      const q2 = await draw(t, own, r.mineralCode, '1', 'queued');
      expect((await t.api.post(`/v1/draws/${q2.id}/cancel`).set(bearer(t.admin))).status).toBe(200);
    });

    it('keeps queueing while the queue is not empty, whatever the level; ended disruptions leave queued draws queued', async () => {
      const r = await setupReserve(t);
      const own = { token: r.company } as never;
      const d = await declare(t, [r.mineralCode], 'emergency');
      const q = await draw(t, own, r.mineralCode, '10', 'queued');
      await setLevel(t, d.id, 'alert');
      const behindAlert = await draw(t, own, r.mineralCode, '5', 'queued');
      expect(behindAlert.disruptionId).toBe(d.id);
      await endDisruption(t, d.id);
      expect((await getDraw(t, q.id)).status).toBe('queued');
      const behindNone = await draw(t, own, r.mineralCode, '5', 'queued');
      expect(behindNone.disruptionId).toBeNull();
      expect(await inventoryOf(t, r.mineralCode)).toMatchObject({
        queued: '20',
        disruptionLevel: 'none',
        drawable: '1000',
      });
      const done = await round(t, { mineralCode: r.mineralCode });
      expect(done.status, JSON.stringify(done.body)).toBe(201);
      expect(done.body).toMatchObject({
        level: 'none',
        disruptionId: null,
        supply: '1000',
        allocatedTotal: '20',
      });
      await draw(t, own, r.mineralCode, '1', 'pending');
    });

    it('lists queued draws and the draws of a round (a company sees its own only)', async () => {
      const r = await setupReserve(t);
      const other = await member(t, r.mineralCode);
      await declare(t, [r.mineralCode], 'emergency');
      const mine = await draw(t, { token: r.company } as never, r.mineralCode, '1');
      const theirs = await draw(t, other, r.mineralCode, '2');
      const queued = await t.api
        .get('/v1/draws')
        .query({ status: 'queued', mineral: r.mineralCode })
        .set(bearer(t.admin));
      expect(queued.body.data.map((d: { id: string }) => d.id)).toEqual([mine.id, theirs.id]);
      const done = await round(t, { mineralCode: r.mineralCode });
      const roundId = done.body.id as string;
      const all = await t.api.get('/v1/draws').query({ allocationRoundId: roundId }).set(bearer(t.auditor));
      expect(all.body.data.map((d: { id: string }) => d.id)).toEqual([mine.id, theirs.id]);
      const own = await t.api.get('/v1/draws').query({ allocationRoundId: roundId }).set(bearer(r.company));
      expect(own.body.data.map((d: { id: string }) => d.id)).toEqual([mine.id]);
      expectProblem(
        await t.api.get(`/v1/allocation-rounds/${roundId}`).set(bearer(r.company)),
        403,
        'forbidden',
      );
      expectProblem(await t.api.get('/v1/allocation-rounds').set(bearer(r.company)), 403, 'forbidden');
      expectProblem(
        await t.api.get('/v1/draws').query({ allocationRoundId: 'nope' }).set(bearer(t.admin)),
        400,
        'validation-error',
      );
    });
  });

  describe('allocation rounds', () => {
    it('answers 400, 404, 403, nothing-to-allocate and insufficient-stock in that order, writing nothing', async () => {
      const r = await setupReserve(t, { minimumReserve: '1000' }); // nothing above the floor
      const count = await auditCount(t);
      for (const body of [
        {},
        { mineralCode: r.mineralCode, supply: '0' },
        { mineralCode: r.mineralCode, supply: '1.0001' },
        { mineralCode: r.mineralCode, dryRun: 'yes' },
        { mineralCode: r.mineralCode, extra: 1 },
      ]) {
        expectProblem(await round(t, body), 400, 'validation-error');
      }
      expectProblem(await round(t, { mineralCode: 'NO_SUCH_MINERAL' }), 404, 'not-found');
      expectProblem(await round(t, { mineralCode: r.mineralCode }, r.company), 403, 'forbidden');
      expectProblem(await round(t, { mineralCode: r.mineralCode }, t.auditor), 403, 'forbidden');
      expectProblem(await round(t, { mineralCode: r.mineralCode }), 409, 'nothing-to-allocate');
      const d = await declare(t, [r.mineralCode], 'alert');
      await setLevel(t, d.id, 'emergency');
      const q = await draw(t, { token: r.company } as never, r.mineralCode, '5');
      const count2 = await auditCount(t);
      // Default supply: the stock above the floor, 0 here.
      expectProblem(await round(t, { mineralCode: r.mineralCode }), 409, 'insufficient-stock');
      // At emergency a given supply may reach into the floor, up to drawable (= available, 1000).
      expectProblem(
        await round(t, { mineralCode: r.mineralCode, supply: '1000.001' }),
        409,
        'insufficient-stock',
      );
      expect(await auditCount(t)).toBe(count2);
      expect((await getDraw(t, q.id)).status).toBe('queued');
      expect(count2).toBeGreaterThan(count);
      const ok = await round(t, { mineralCode: r.mineralCode, supply: '1000' });
      expect(ok.status).toBe(201);
      expect(ok.body).toMatchObject({
        supply: '1000',
        allocatedTotal: '5',
        floorUsed: '5',
        level: 'emergency',
        disruptionId: d.id,
      });
      expect(await inventoryOf(t, r.mineralCode)).toMatchObject({
        reserved: '5',
        drawable: '995',
        queued: '0',
      });
    });

    it('outside an emergency the supply stops at the floor', async () => {
      const r = await setupReserve(t, { minimumReserve: '990' }); // 10 above the floor
      const d = await declare(t, [r.mineralCode], 'emergency');
      await draw(t, { token: r.company } as never, r.mineralCode, '50');
      await setLevel(t, d.id, 'alert');
      expectProblem(
        await round(t, { mineralCode: r.mineralCode, supply: '10.001' }),
        409,
        'insufficient-stock',
      );
      const ok = await round(t, { mineralCode: r.mineralCode, supply: '10' });
      expect(ok.body).toMatchObject({ level: 'alert', allocatedTotal: '10', floorUsed: '0' });
      expect(await inventoryOf(t, r.mineralCode)).toMatchObject({ reserved: '10', drawable: '0' });
    });

    it('rations by class, then in proportion to maxOutstanding, never more than asked (worked example)', async () => {
      const r = await setupReserve(t, { lots: [{ quantity: '150' }] });
      const code = r.mineralCode;
      const dx = await member(t, code, { priorityClass: 'DX', maxOutstanding: '50', unitPrice: '10' });
      const small = await member(t, code, { priorityClass: 'DO', maxOutstanding: '100', unitPrice: '10' });
      const large = await member(t, code, {
        priorityClass: 'DO',
        maxOutstanding: '300',
        unitPrice: '10.005',
      });
      const unrated = await member(t, code, { maxOutstanding: '1000' });
      const priced = await t.api
        .post(`/v1/minerals/${code}/prices`)
        .set(bearer(t.admin))
        .send({ price: '12.5', source: 'crisis test' });
      expect(priced.status, JSON.stringify(priced.body)).toBe(201);
      const d = await declare(t, [code], 'emergency');
      const step = () => t.clock.advance(1000);
      const a = await draw(t, dx, code, '30');
      step();
      const l1 = await draw(t, large, code, '150');
      step();
      const s1 = await draw(t, small, code, '50');
      step();
      const u = await draw(t, unrated, code, '10');
      step();
      const l2 = await draw(t, large, code, '50');
      step();
      const seq = await auditCount(t);
      const preview = await round(t, { mineralCode: code, dryRun: true });
      expect(preview.status).toBe(200);
      expect(preview.headers.location).toBeUndefined();
      expect(await auditCount(t)).toBe(seq);
      expect((await getDraw(t, a.id)).status).toBe('queued');

      const res = await round(t, { mineralCode: code });
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      expect(res.headers.location).toBe(`/v1/allocation-rounds/${res.body.id}`);
      // DX 30 met in full; DO shares 120 by weight 100 : 300 (λ = 0.3): 30 and 90; unrated gets nothing.
      // The large member's 90 goes to its older draw (150 asked) first.
      expect(res.body).toMatchObject({
        mineralCode: code,
        disruptionId: d.id,
        level: 'emergency',
        supply: '150',
        requestedTotal: '290',
        allocatedTotal: '150',
        floorUsed: '0',
        allocations: [
          { drawId: a.id, companyId: dx.companyId, priorityClass: 'DX', requested: '30', allocated: '30' },
          {
            drawId: l1.id,
            companyId: large.companyId,
            priorityClass: 'DO',
            requested: '150',
            allocated: '90',
          },
          {
            drawId: s1.id,
            companyId: small.companyId,
            priorityClass: 'DO',
            requested: '50',
            allocated: '30',
          },
          { drawId: l2.id, companyId: large.companyId, priorityClass: 'DO', requested: '50', allocated: '0' },
          {
            drawId: u.id,
            companyId: unrated.companyId,
            priorityClass: 'unrated',
            requested: '10',
            allocated: '0',
          },
        ],
      });
      expect({ ...preview.body, id: res.body.id, createdAt: res.body.createdAt }).toEqual(res.body);
      expect(preview.body.id).toBeNull();
      expect(preview.body.createdAt).toBeNull();

      const got = await t.api.get(`/v1/allocation-rounds/${res.body.id}`).set(bearer(t.auditor));
      expect(got.body).toEqual(res.body);
      const list = await t.api.get('/v1/allocation-rounds').query({ mineral: code }).set(bearer(t.admin));
      expect(list.body.data).toEqual([res.body]);

      // Submitted at 150 with a hedge of (12.5 − 10.005) × 150 = 374.25; re-priced on the 90 allocated.
      expect(l1).toMatchObject({ marketPrice: '12.5', hedgeValue: '374.25' });
      expect(await getDraw(t, l1.id)).toMatchObject({
        status: 'approved',
        quantity: '90',
        requestedQuantity: '150',
        amount: '900.45',
        marketPrice: '12.5',
        hedgeValue: '224.55',
        allocationRoundId: res.body.id,
        reason: null,
      });
      expect((await getDraw(t, l1.id)).decidedAt).not.toBeNull();
      expect(await getDraw(t, l2.id)).toMatchObject({
        status: 'rejected',
        quantity: '50',
        hedgeValue: '124.75',
        reason: 'not allocated',
        allocationRoundId: res.body.id,
      });
      expect(await getDraw(t, u.id)).toMatchObject({ status: 'rejected', reason: 'not allocated' });
      expect(await inventoryOf(t, code)).toMatchObject({
        onHand: '150',
        reserved: '150',
        queued: '0',
        drawable: '0',
      });

      const events = await auditEventsAfter(t, seq);
      expect(events.map((e) => [e.action, e.entityId])).toEqual([
        ['allocation_round.completed', res.body.id],
        ['draw.allocated', a.id],
        ['draw.allocated', l1.id],
        ['draw.allocated', s1.id],
        ['draw.rejected', l2.id],
        ['draw.rejected', u.id],
      ]);
      expect(events[0]).toMatchObject({ entityType: 'allocation_round', data: res.body });
      expect(events[2]!.data).toMatchObject({
        from: 'queued',
        to: 'approved',
        allocated: '90',
        quantity: '90',
        amount: '900.45',
      });
      // An allocated draw is an ordinary approved draw from here on.
      const fulfilled = await t.api.post(`/v1/draws/${l1.id}/fulfil`).set(bearer(t.admin));
      expect(fulfilled.status, JSON.stringify(fulfilled.body)).toBe(200);
      expect(await inventoryOf(t, code)).toMatchObject({ onHand: '60', reserved: '60' });
      expectProblem(await round(t, { mineralCode: code }), 409, 'nothing-to-allocate');
    });

    it('rejects the draws of suspended or overdue members as "not eligible"', async () => {
      const r = await setupReserve(t);
      const code = r.mineralCode;
      const suspended = await member(t, code);
      const overdue = await member(t, code, { maxOutstanding: '100' });
      const fine = await member(t, code);
      // An obligation for `overdue`, due tomorrow: overdue once the clock moves past it.
      const held = await draw(t, overdue, code, '1', 'pending');
      await t.api.post(`/v1/draws/${held.id}/approve`).set(bearer(t.admin));
      expect((await t.api.post(`/v1/draws/${held.id}/fulfil`).set(bearer(t.admin))).status).toBe(200);
      await declare(t, [code], 'emergency');
      const s = await draw(t, suspended, code, '10');
      const o = await draw(t, overdue, code, '10');
      const f = await draw(t, fine, code, '10');
      await t.api
        .patch(`/v1/companies/${suspended.companyId}`)
        .set(bearer(t.admin))
        .send({ status: 'suspended' });
      t.clock.advance(31 * DAY_MS);
      const res = await round(t, { mineralCode: code, supply: '5' });
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      expect(res.body).toMatchObject({ requestedTotal: '30', allocatedTotal: '5' });
      const byDraw = new Map(
        res.body.allocations.map((a: { drawId: string; allocated: string }) => [a.drawId, a.allocated]),
      );
      expect([byDraw.get(s.id), byDraw.get(o.id), byDraw.get(f.id)]).toEqual(['0', '0', '5']);
      for (const id of [s.id, o.id]) {
        expect(await getDraw(t, id)).toMatchObject({
          status: 'rejected',
          reason: 'not eligible',
          allocationRoundId: res.body.id,
        });
      }
    });

    it('hands leftover thousandths to the largest remainder, ties to the earliest claim then the smaller company id', async () => {
      const r = await setupReserve(t);
      const code = r.mineralCode;
      const members = [await member(t, code), await member(t, code), await member(t, code)];
      await declare(t, [code], 'emergency');
      const draws = [];
      for (const m of members) {
        draws.push(await draw(t, m, code, '1'));
        t.clock.advance(5);
      }
      // 0.002 among three equal weights: 0.000666… each, all remainders equal → the two earliest.
      const res = await round(t, { mineralCode: code, supply: '0.002' });
      expect(res.body.allocations.map((a: { allocated: string }) => a.allocated)).toEqual([
        '0.001',
        '0.001',
        '0',
      ]);
      expect(res.body.allocations.map((a: { drawId: string }) => a.drawId)).toEqual(draws.map((d) => d.id));
    });

    it('a retried round with the same Idempotency-Key is replayed, not re-run', async () => {
      const r = await setupReserve(t);
      await declare(t, [r.mineralCode], 'emergency');
      await draw(t, { token: r.company } as never, r.mineralCode, '3');
      const key = `round-${randomUUID()}`;
      const first = await round(t, { mineralCode: r.mineralCode }).set('idempotency-key', key);
      expect(first.status).toBe(201);
      await draw(t, { token: r.company } as never, r.mineralCode, '4');
      const again = await round(t, { mineralCode: r.mineralCode }).set('idempotency-key', key);
      expect(again.status).toBe(201);
      expect(again.headers['idempotent-replayed']).toBe('true');
      expect(again.body).toEqual(first.body);
      expect((await inventoryOf(t, r.mineralCode)).queued).toBe('4');
    });

    it('stores each round with its allocations in order', async () => {
      const r = await setupReserve(t);
      await declare(t, [r.mineralCode], 'emergency');
      await draw(t, { token: r.company } as never, r.mineralCode, '3');
      const res = await round(t, { mineralCode: r.mineralCode });
      const rows = rowsOf(
        await t.database.db.execute(
          sql`select a.position, a.allocation->>'drawId' as draw_id
            from allocation_rounds r, json_array_elements(r.allocations) with ordinality as a(allocation, position)
            where r.id = ${res.body.id} order by a.position`,
        ),
      );
      expect(rows.map((x) => x.draw_id)).toEqual(
        res.body.allocations.map((a: { drawId: string }) => a.drawId),
      );
    });
  });
});
