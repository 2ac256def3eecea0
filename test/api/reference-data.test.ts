import { randomUUID } from 'node:crypto';
import type { Response } from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, createTestApp, type TestApp } from '../helpers/app.js';
import { describeDb } from '../helpers/database.js';
import {
  agreementTerms,
  auditCount,
  auditEventsAfter,
  createAgreement,
  createCompany,
  createMineral,
  expectProblem,
  uniqueCode,
} from '../helpers/factories.js';

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

describeDb('reference data', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t?.close());

  it('lists in creation order even when rows share a millisecond (frozen clock)', async () => {
    const names = Array.from({ length: 12 }, (_, i) => `Same-ms ${i} ${randomUUID().slice(0, 6)}`);
    const ids: string[] = [];
    for (const name of names) {
      const res = await t.api.post('/v1/companies').set(bearer(t.admin)).send({ name, country: 'FR' });
      ids.push(res.body.id);
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: Response = await t.api
        .get(`/v1/companies?limit=5${cursor ? `&cursor=${cursor}` : ''}`)
        .set(bearer(t.admin));
      seen.push(...page.body.data.map((c: { id: string }) => c.id).filter((id: string) => ids.includes(id)));
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(seen).toEqual(ids);
  });

  /** Runs one mutation and returns its response with the audit events it appended. */
  async function mutation(send: () => PromiseLike<Response>) {
    const before = await auditCount(t);
    const res = await send();
    const events = await auditEventsAfter(t, before);
    return { res, events };
  }

  /** A 201 whose Location is a GET that answers the very same object. */
  async function expectCreatedAt(res: Response, path: string) {
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.headers.location).toBe(path);
    const fetched = await t.api.get(path).set(bearer(t.auditor));
    expect(fetched.status).toBe(200);
    expect(fetched.body).toEqual(res.body);
  }

  describe('minerals', () => {
    it('creates a mineral, normalises its decimals, and audits mineral.created under its code', async () => {
      const code = uniqueCode('GA');
      const { res, events } = await mutation(() =>
        t.api
          .post('/v1/minerals')
          .set(bearer(t.admin))
          .set('x-request-id', `create-${code}`)
          .send({ code, name: 'Gallium', unit: 'kg', minimumReserve: '0100.500' }),
      );
      expect(res.body).toEqual({
        code,
        name: 'Gallium',
        unit: 'kg',
        minimumReserve: '100.5',
        marketPrice: null,
        marketPriceAsOf: null,
        floorPrice: null,
        dailyConsumption: null,
        targetCoverageDays: 60,
        createdAt: expect.stringMatching(ISO),
        updatedAt: res.body.createdAt,
      });
      await expectCreatedAt(res, `/v1/minerals/${code}`);
      expect(events).toHaveLength(1);
      expect(events[0]).toMatchObject({
        action: 'mineral.created',
        entityType: 'mineral',
        entityId: code,
        requestId: `create-${code}`,
        actor: { sub: 'admin-1', role: 'admin', companyId: null },
        occurredAt: res.body.createdAt,
      });
    });

    it('defaults minimumReserve to "0"', async () => {
      const res = await t.api
        .post('/v1/minerals')
        .set(bearer(t.admin))
        .send({ code: uniqueCode('CO'), name: 'Cobalt', unit: 't' });
      expect(res.status).toBe(201);
      expect(res.body.minimumReserve).toBe('0');
    });

    it('refuses a duplicate code with 409 conflict and changes nothing', async () => {
      const first = await createMineral(t, { name: 'Germanium' });
      const { res, events } = await mutation(() =>
        t.api
          .post('/v1/minerals')
          .set(bearer(t.admin))
          .send({ code: first.code, name: 'Impostor', unit: 't', minimumReserve: '9' }),
      );
      expectProblem(res, 409, 'conflict');
      expect(events).toEqual([]);
      expect((await t.api.get(`/v1/minerals/${first.code}`).set(bearer(t.admin))).body).toEqual(first);
    });

    it('patches name and minimumReserve, audited as mineral.updated with the changes', async () => {
      const created = await createMineral(t, { name: 'Graphite', minimumReserve: '5' });
      t.clock.advance(1000);
      const { res, events } = await mutation(() =>
        t.api
          .patch(`/v1/minerals/${created.code}`)
          .set(bearer(t.admin))
          .send({ name: 'Natural graphite', minimumReserve: '7.250' }),
      );
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({
        code: created.code,
        name: 'Natural graphite',
        minimumReserve: '7.25',
      });
      expect(res.body.createdAt).toBe(created.createdAt);
      expect(Date.parse(res.body.updatedAt)).toBeGreaterThan(Date.parse(res.body.createdAt));
      expect((await t.api.get(`/v1/minerals/${created.code}`).set(bearer(t.auditor))).body).toEqual(res.body);
      expect(events).toHaveLength(1);
      expect(events[0]).toMatchObject({
        action: 'mineral.updated',
        entityType: 'mineral',
        entityId: created.code,
      });
      expect(JSON.stringify(events[0]!.data)).toContain('Natural graphite');
    });

    it('refuses an unknown property in a PATCH and a PATCH of an unknown mineral', async () => {
      const created = await createMineral(t);
      const unknown = await mutation(() =>
        t.api.patch(`/v1/minerals/${created.code}`).set(bearer(t.admin)).send({ unit: 't' }),
      );
      expectProblem(unknown.res, 400, 'validation-error');
      expect(unknown.events).toEqual([]);
      const missing = await mutation(() =>
        t.api.patch('/v1/minerals/NO_SUCH_MINERAL').set(bearer(t.admin)).send({ name: 'Ghost' }),
      );
      expectProblem(missing.res, 404, 'not-found');
      expect(missing.events).toEqual([]);
      expect((await t.api.get(`/v1/minerals/${created.code}`).set(bearer(t.admin))).body.unit).toBe('kg');
    });

    it('answers 404 for an unknown mineral code', async () => {
      expectProblem(await t.api.get('/v1/minerals/NOPE_NOT_HERE').set(bearer(t.admin)), 404, 'not-found');
    });
  });

  describe('depots', () => {
    it('creates a depot and audits depot.created under its id', async () => {
      const code = uniqueCode('DEP');
      const { res, events } = await mutation(() =>
        t.api.post('/v1/depots').set(bearer(t.admin)).send({ code, name: 'Port Hedland', country: 'AU' }),
      );
      expect(res.body).toEqual({
        id: expect.stringMatching(/^[0-9a-f-]{36}$/),
        code,
        name: 'Port Hedland',
        country: 'AU',
        createdAt: expect.stringMatching(ISO),
      });
      await expectCreatedAt(res, `/v1/depots/${res.body.id}`);
      expect(events).toHaveLength(1);
      expect(events[0]).toMatchObject({
        action: 'depot.created',
        entityType: 'depot',
        entityId: res.body.id,
      });
    });

    it('refuses a duplicate depot code with 409 conflict', async () => {
      const code = uniqueCode('DEP');
      expect(
        (await t.api.post('/v1/depots').set(bearer(t.admin)).send({ code, name: 'A', country: 'AU' })).status,
      ).toBe(201);
      const { res, events } = await mutation(() =>
        t.api.post('/v1/depots').set(bearer(t.admin)).send({ code, name: 'B', country: 'CA' }),
      );
      expectProblem(res, 409, 'conflict');
      expect(events).toEqual([]);
      const all = await t.api.get('/v1/depots').query({ limit: 200 }).set(bearer(t.admin));
      expect(all.body.data.filter((d: { code: string }) => d.code === code)).toHaveLength(1);
    });

    it('answers 404 for an unknown depot id', async () => {
      expectProblem(await t.api.get(`/v1/depots/${randomUUID()}`).set(bearer(t.admin)), 404, 'not-found');
    });
  });

  describe('companies', () => {
    it('creates an active company and audits company.created under its id', async () => {
      const { res, events } = await mutation(() =>
        t.api.post('/v1/companies').set(bearer(t.admin)).send({ name: 'Umicore', country: 'BE' }),
      );
      expect(res.body).toEqual({
        id: expect.stringMatching(/^[0-9a-f-]{36}$/),
        name: 'Umicore',
        country: 'BE',
        status: 'active',
        createdAt: expect.stringMatching(ISO),
        updatedAt: res.body.createdAt,
      });
      await expectCreatedAt(res, `/v1/companies/${res.body.id}`);
      expect(events).toHaveLength(1);
      expect(events[0]).toMatchObject({
        action: 'company.created',
        entityType: 'company',
        entityId: res.body.id,
      });
    });

    it('suspends and renames a company, audited as company.updated', async () => {
      const company = await createCompany(t, { name: 'Old Name' });
      const { res, events } = await mutation(() =>
        t.api
          .patch(`/v1/companies/${company.id}`)
          .set(bearer(t.admin))
          .send({ name: 'New Name', status: 'suspended' }),
      );
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ id: company.id, name: 'New Name', status: 'suspended' });
      expect((await t.api.get(`/v1/companies/${company.id}`).set(bearer(t.auditor))).body).toEqual(res.body);
      expect(events).toHaveLength(1);
      expect(events[0]).toMatchObject({
        action: 'company.updated',
        entityType: 'company',
        entityId: company.id,
      });
      expect(JSON.stringify(events[0]!.data)).toContain('suspended');

      const suspended = await t.api
        .get('/v1/companies')
        .query({ status: 'suspended', limit: 200 })
        .set(bearer(t.admin));
      expect(suspended.body.data.map((c: { id: string }) => c.id)).toContain(company.id);
      expect(suspended.body.data.every((c: { status: string }) => c.status === 'suspended')).toBe(true);
    });

    it('refuses an unknown property in a PATCH and a PATCH of an unknown company', async () => {
      const company = await createCompany(t);
      const unknown = await mutation(() =>
        t.api.patch(`/v1/companies/${company.id}`).set(bearer(t.admin)).send({ country: 'FR' }),
      );
      expectProblem(unknown.res, 400, 'validation-error');
      expect(unknown.events).toEqual([]);
      const missing = await mutation(() =>
        t.api.patch(`/v1/companies/${randomUUID()}`).set(bearer(t.admin)).send({ name: 'Ghost' }),
      );
      expectProblem(missing.res, 404, 'not-found');
      expect(missing.events).toEqual([]);
      expect((await t.api.get(`/v1/companies/${company.id}`).set(bearer(t.admin))).body).toEqual(company);
    });
  });

  describe('agreements', () => {
    let mineralCode: string;
    beforeAll(async () => {
      mineralCode = (await createMineral(t, { name: 'Neodymium-praseodymium oxide' })).code;
    });

    it('signs an agreement with exact terms and audits agreement.created under its id', async () => {
      const company = await createCompany(t);
      const { res, events } = await mutation(() =>
        t.api.post(`/v1/companies/${company.id}/agreements`).set(bearer(t.admin)).send({
          mineralCode,
          unitPrice: '110.2500',
          maxOutstanding: '1500.000',
          replenishmentDays: 90,
          premiumPercent: '2.50',
        }),
      );
      expect(res.body).toMatchObject({
        id: expect.stringMatching(/^[0-9a-f-]{36}$/),
        companyId: company.id,
        mineralCode,
        unitPrice: '110.25',
        currency: 'USD',
        maxOutstanding: '1500',
        replenishmentDays: 90,
        premiumPercent: '2.5',
        status: 'active',
        createdAt: expect.stringMatching(ISO),
      });
      await expectCreatedAt(res, `/v1/agreements/${res.body.id}`);
      expect(events).toHaveLength(1);
      expect(events[0]).toMatchObject({
        action: 'agreement.created',
        entityType: 'agreement',
        entityId: res.body.id,
      });
    });

    it('allows one active agreement per company and mineral until it is terminated', async () => {
      const company = await createCompany(t);
      const first = await createAgreement(t, company.id, mineralCode);

      const second = await mutation(() =>
        t.api
          .post(`/v1/companies/${company.id}/agreements`)
          .set(bearer(t.admin))
          .send(agreementTerms(mineralCode)),
      );
      expectProblem(second.res, 409, 'conflict');
      expect(second.events).toEqual([]);

      // Another company may hold one for the same mineral at the same time.
      const neighbour = await createCompany(t);
      await createAgreement(t, neighbour.id, mineralCode);

      const terminated = await mutation(() =>
        t.api
          .post(`/v1/agreements/${first.id}/terminate`)
          .set(bearer(t.admin))
          .send({ reason: 'renegotiated' }),
      );
      expect(terminated.res.status).toBe(200);
      expect(terminated.res.body).toMatchObject({ id: first.id, status: 'terminated' });
      expect(terminated.events).toHaveLength(1);
      expect(terminated.events[0]).toMatchObject({
        action: 'agreement.terminated',
        entityType: 'agreement',
        entityId: first.id,
      });
      expect((await t.api.get(`/v1/agreements/${first.id}`).set(bearer(t.admin))).body.status).toBe(
        'terminated',
      );

      const again = await mutation(() =>
        t.api.post(`/v1/agreements/${first.id}/terminate`).set(bearer(t.admin)).send({}),
      );
      expectProblem(again.res, 409, 'invalid-state-transition');
      expect(again.events).toEqual([]);

      // Lists are in creation order, (createdAt, id): a later instant keeps the expectation exact.
      t.clock.advance(1000);
      const replacement = await createAgreement(t, company.id, mineralCode);
      expect(replacement.id).not.toBe(first.id);
      const listed = await t.api
        .get('/v1/agreements')
        .query({ companyId: company.id, mineral: mineralCode })
        .set(bearer(t.admin));
      expect(listed.body.data.map((a: { id: string; status: string }) => [a.id, a.status])).toEqual([
        [first.id, 'terminated'],
        [replacement.id, 'active'],
      ]);
    });

    it('terminates without a body', async () => {
      const company = await createCompany(t);
      const agreement = await createAgreement(t, company.id, mineralCode);
      const res = await t.api.post(`/v1/agreements/${agreement.id}/terminate`).set(bearer(t.admin));
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      expect(res.body.status).toBe('terminated');
    });

    it('answers 404 for an unknown company, mineral or agreement, writing nothing', async () => {
      const company = await createCompany(t);
      const noCompany = await mutation(() =>
        t.api
          .post(`/v1/companies/${randomUUID()}/agreements`)
          .set(bearer(t.admin))
          .send(agreementTerms(mineralCode)),
      );
      expectProblem(noCompany.res, 404, 'not-found');
      expect(noCompany.events).toEqual([]);
      const noMineral = await mutation(() =>
        t.api
          .post(`/v1/companies/${company.id}/agreements`)
          .set(bearer(t.admin))
          .send(agreementTerms('NO_SUCH_MINERAL')),
      );
      expectProblem(noMineral.res, 404, 'not-found');
      expect(noMineral.events).toEqual([]);
      const noAgreement = await mutation(() =>
        t.api.post(`/v1/agreements/${randomUUID()}/terminate`).set(bearer(t.admin)).send({}),
      );
      expectProblem(noAgreement.res, 404, 'not-found');
      expect(noAgreement.events).toEqual([]);
      expectProblem(await t.api.get(`/v1/agreements/${randomUUID()}`).set(bearer(t.admin)), 404, 'not-found');
      const listed = await t.api.get('/v1/agreements').query({ companyId: company.id }).set(bearer(t.admin));
      expect(listed.body).toEqual({ data: [], nextCursor: null });
    });
  });

  describe('pagination', () => {
    interface PageBody {
      data: Record<string, unknown>[];
      nextCursor: string | null;
    }

    /** Walks a collection with the given limit, returning each page's size and every item. */
    async function walk(app: TestApp, path: string, limit: number, query: Record<string, string> = {}) {
      const sizes: number[] = [];
      const items: Record<string, unknown>[] = [];
      let cursor: string | undefined;
      for (let guard = 0; guard < 50; guard++) {
        const res = await app.api
          .get(path)
          .query({ ...query, limit, ...(cursor ? { cursor } : {}) })
          .set(bearer(app.auditor));
        expect(res.status).toBe(200);
        const body = res.body as PageBody;
        sizes.push(body.data.length);
        items.push(...body.data);
        if (body.nextCursor === null) return { sizes, items };
        expect(typeof body.nextCursor).toBe('string');
        cursor = body.nextCursor;
      }
      throw new Error('pagination did not terminate');
    }

    describe('over a database of its own (so a collection holds exactly what the test creates)', () => {
      let own: TestApp;
      beforeAll(async () => {
        own = await createTestApp();
      });
      afterAll(() => own?.close());

      it.each([
        ['minerals', '/v1/minerals', 'code'],
        ['depots', '/v1/depots', 'id'],
      ] as const)('pages through %s in creation order, 3 + 3 + 1', async (_name, path, key) => {
        const created: string[] = [];
        for (let i = 0; i < 7; i++) {
          own.clock.advance(1000);
          // Codes run against creation order, so an order by code (or by random id) would show.
          const code = `Z${String(9 - i).padStart(2, '0')}_${uniqueCode('P')}`;
          const body =
            path === '/v1/minerals'
              ? { code, name: `M${i}`, unit: 'kg' }
              : { code, name: `D${i}`, country: 'NO' };
          const res = await own.api.post(path).set(bearer(own.admin)).send(body);
          expect(res.status).toBe(201);
          created.push(res.body[key]);
        }
        const { sizes, items } = await walk(own, path, 3);
        expect(sizes).toEqual([3, 3, 1]);
        const keys = items.map((item) => item[key]);
        expect(new Set(keys).size).toBe(7);
        expect(keys).toEqual(created);
        const whole = await walk(own, path, 200);
        expect(whole.sizes).toEqual([7]);
        expect(whole.items).toEqual(items);
        // Exactly a page's worth: the last full page says there is no more.
        const exact = await own.api.get(path).query({ limit: 7 }).set(bearer(own.auditor));
        expect(exact.body.data).toHaveLength(7);
        expect(exact.body.nextCursor).toBeNull();
      });
    });

    it('pages through companies and filtered agreements the same way', async () => {
      const mineral = await createMineral(t);
      const companies: string[] = [];
      const agreements: string[] = [];
      for (let i = 0; i < 7; i++) {
        t.clock.advance(1000);
        const company = await createCompany(t, { name: `Paged ${i}` });
        companies.push(company.id);
        agreements.push((await createAgreement(t, company.id, mineral.code)).id);
      }
      const { sizes, items } = await walk(t, '/v1/agreements', 3, { mineral: mineral.code });
      expect(sizes).toEqual([3, 3, 1]);
      expect(items.map((a) => a.id)).toEqual(agreements);

      const all = await walk(t, '/v1/companies', 3);
      const ids = all.items.map((c) => c.id);
      expect(new Set(ids).size).toBe(ids.length);
      // Ours are the last seven created, in order.
      expect(ids.slice(-7)).toEqual(companies);
      expect(all.sizes.slice(0, -1).every((n) => n === 3)).toBe(true);
    });

    it('returns an empty page with a null cursor when nothing matches', async () => {
      const res = await t.api.get('/v1/agreements').query({ mineral: 'NOTHING_HERE' }).set(bearer(t.admin));
      expect(res.body).toEqual({ data: [], nextCursor: null });
    });
  });
});
