import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { bearer, createTestApp, type TestApp } from '../helpers/app.js';
import { describeDb } from '../helpers/database.js';
import {
  agreementTerms,
  auditCount,
  createAgreement,
  createCompany,
  createDepot,
  createLot,
  createMineral,
  expectProblem,
  uniqueCode,
} from '../helpers/factories.js';

type Role = 'company' | 'admin' | 'auditor';
type Method = 'get' | 'post' | 'patch';

interface Fixture {
  mineralCode: string;
  depotId: string;
  lotId: string;
  ownCompanyId: string;
  ownAgreementId: string;
  /** A token of the own company, which has an agreement for the mineral and stock to draw from. */
  companyToken: string;
  ownDrawId: string;
  ownObligationId: string;
}

interface RouteCase {
  method: Method;
  /** The route as registered (OpenAPI form), used to prove the matrix covers every route. */
  route: string;
  /** The concrete path, built from fresh data (write cases get fresh targets, so each run is independent). */
  path: (t: TestApp, f: Fixture) => Promise<string> | string;
  body?: (f: Fixture) => Record<string, unknown>;
  /** Status per role; write routes a role may not use answer 403 `forbidden`. */
  expect: Record<Role, number>;
  /** Audit events a successful write appends (default 1). */
  events?: number;
}

/** Every resource of the API: the matrix must list every route under these prefixes. */
const MATRIX_PREFIXES = [
  '/v1/minerals',
  '/v1/depots',
  '/v1/companies',
  '/v1/agreements',
  '/v1/lots',
  '/v1/inventory',
  '/v1/draws',
  '/v1/obligations',
  '/v1/audit-events',
  '/v1/ledger',
  '/v1/disruptions',
  '/v1/allocation-rounds',
  '/v1/valuation',
];

/** A fresh pending draw of one unit by the own company. */
async function pendingDraw(t: TestApp, f: Fixture): Promise<string> {
  const res = await t.api
    .post('/v1/draws')
    .set(bearer(f.companyToken))
    .send({ mineralCode: f.mineralCode, quantity: '1' });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.id as string;
}

async function approvedDraw(t: TestApp, f: Fixture): Promise<string> {
  const id = await pendingDraw(t, f);
  expect((await t.api.post(`/v1/draws/${id}/approve`).set(bearer(t.admin))).status).toBe(200);
  return id;
}

/** A fresh open obligation (a fulfilled draw's). */
async function openObligation(t: TestApp, f: Fixture): Promise<string> {
  const id = await approvedDraw(t, f);
  const res = await t.api.post(`/v1/draws/${id}/fulfil`).set(bearer(t.admin));
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body.obligationId as string;
}

/** A fresh mineral for the next declaration (a mineral may be under one active disruption only). */
let pendingMineral = '';
async function declareOn(t: TestApp): Promise<string> {
  const mineral = await createMineral(t);
  const res = await t.api
    .post('/v1/disruptions')
    .set(bearer(t.admin))
    .send({ title: 'Role matrix', mineralCodes: [mineral.code], level: 'alert' });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.id as string;
}

const READ_ALL = { company: 200, admin: 200, auditor: 200 };
const ADMIN_WRITE = (status: number) => ({ company: 403, admin: status, auditor: 403 });
const STAFF_ONLY = { company: 403, admin: 200, auditor: 200 };
const OPERATORS_ONLY = (status: number) => ({ company: status, admin: 403, auditor: 403 });

/** Every route registered so far, and what each role gets from it. */
const MATRIX: RouteCase[] = [
  { method: 'get', route: '/v1/minerals', path: () => '/v1/minerals', expect: READ_ALL },
  {
    method: 'get',
    route: '/v1/minerals/{code}',
    path: (_t, f) => `/v1/minerals/${f.mineralCode}`,
    expect: READ_ALL,
  },
  {
    method: 'post',
    route: '/v1/minerals',
    path: () => '/v1/minerals',
    body: () => ({ code: uniqueCode('RM'), name: 'Germanium', unit: 'kg' }),
    expect: ADMIN_WRITE(201),
  },
  {
    method: 'patch',
    route: '/v1/minerals/{code}',
    path: async (t) => `/v1/minerals/${(await createMineral(t)).code}`,
    body: () => ({ name: 'Renamed' }),
    expect: ADMIN_WRITE(200),
  },
  {
    method: 'get',
    route: '/v1/minerals/{code}/prices',
    path: (_t, f) => `/v1/minerals/${f.mineralCode}/prices`,
    expect: READ_ALL,
  },
  {
    method: 'get',
    route: '/v1/minerals/{code}/prices/{id}',
    path: async (t, f) => {
      const res = await t.api
        .post(`/v1/minerals/${f.mineralCode}/prices`)
        .set(bearer(t.admin))
        .send({ price: '812.5', source: 'role matrix' });
      return `/v1/minerals/${f.mineralCode}/prices/${res.body.id}`;
    },
    expect: READ_ALL,
  },
  {
    method: 'post',
    route: '/v1/minerals/{code}/prices',
    path: (_t, f) => `/v1/minerals/${f.mineralCode}/prices`,
    body: () => ({ price: '812.5', source: 'role matrix' }),
    expect: ADMIN_WRITE(201),
  },
  { method: 'get', route: '/v1/valuation', path: () => '/v1/valuation', expect: STAFF_ONLY },
  {
    method: 'get',
    route: '/v1/inventory/{code}/origins',
    path: (_t, f) => `/v1/inventory/${f.mineralCode}/origins`,
    expect: STAFF_ONLY,
  },
  { method: 'get', route: '/v1/depots', path: () => '/v1/depots', expect: READ_ALL },
  { method: 'get', route: '/v1/depots/{id}', path: (_t, f) => `/v1/depots/${f.depotId}`, expect: READ_ALL },
  {
    method: 'post',
    route: '/v1/depots',
    path: () => '/v1/depots',
    body: () => ({ code: uniqueCode('RD'), name: 'Depot', country: 'CA' }),
    expect: ADMIN_WRITE(201),
  },
  { method: 'get', route: '/v1/companies', path: () => '/v1/companies', expect: READ_ALL },
  {
    method: 'get',
    route: '/v1/companies/{id}',
    path: (_t, f) => `/v1/companies/${f.ownCompanyId}`,
    expect: READ_ALL,
  },
  {
    method: 'post',
    route: '/v1/companies',
    path: () => '/v1/companies',
    body: () => ({ name: 'New Co', country: 'JP' }),
    expect: ADMIN_WRITE(201),
  },
  {
    method: 'patch',
    route: '/v1/companies/{id}',
    path: async (t) => `/v1/companies/${(await createCompany(t)).id}`,
    body: () => ({ status: 'suspended' }),
    expect: ADMIN_WRITE(200),
  },
  {
    method: 'post',
    route: '/v1/companies/{id}/agreements',
    path: async (t) => `/v1/companies/${(await createCompany(t)).id}/agreements`,
    body: (f) => agreementTerms(f.mineralCode),
    expect: ADMIN_WRITE(201),
  },
  { method: 'get', route: '/v1/agreements', path: () => '/v1/agreements', expect: READ_ALL },
  {
    method: 'get',
    route: '/v1/agreements/{id}',
    path: (_t, f) => `/v1/agreements/${f.ownAgreementId}`,
    expect: READ_ALL,
  },
  {
    method: 'post',
    route: '/v1/agreements/{id}/terminate',
    path: async (t, f) => {
      const company = await createCompany(t);
      return `/v1/agreements/${(await createAgreement(t, company.id, f.mineralCode)).id}/terminate`;
    },
    body: () => ({ reason: 'role matrix' }),
    expect: ADMIN_WRITE(200),
  },
  {
    method: 'post',
    route: '/v1/lots',
    path: () => '/v1/lots',
    body: (f) => ({ mineralCode: f.mineralCode, depotId: f.depotId, quantity: '5', originCountry: 'AU' }),
    expect: ADMIN_WRITE(201),
  },
  { method: 'get', route: '/v1/lots', path: () => '/v1/lots', expect: STAFF_ONLY },
  { method: 'get', route: '/v1/lots/{id}', path: (_t, f) => `/v1/lots/${f.lotId}`, expect: STAFF_ONLY },
  {
    method: 'post',
    route: '/v1/lots/{id}/adjustments',
    path: (_t, f) => `/v1/lots/${f.lotId}/adjustments`,
    body: () => ({ quantityDelta: '0.001', reason: 'recount' }),
    expect: ADMIN_WRITE(201),
  },
  { method: 'get', route: '/v1/inventory', path: () => '/v1/inventory', expect: READ_ALL },
  {
    method: 'get',
    route: '/v1/inventory/{code}',
    path: (_t, f) => `/v1/inventory/${f.mineralCode}`,
    expect: READ_ALL,
  },
  {
    method: 'post',
    route: '/v1/draws',
    path: () => '/v1/draws',
    body: (f) => ({ mineralCode: f.mineralCode, quantity: '1' }),
    expect: OPERATORS_ONLY(201),
  },
  { method: 'get', route: '/v1/draws', path: () => '/v1/draws', expect: READ_ALL },
  { method: 'get', route: '/v1/draws/{id}', path: (_t, f) => `/v1/draws/${f.ownDrawId}`, expect: READ_ALL },
  {
    method: 'post',
    route: '/v1/draws/{id}/approve',
    path: async (t, f) => `/v1/draws/${await pendingDraw(t, f)}/approve`,
    expect: ADMIN_WRITE(200),
  },
  {
    method: 'post',
    route: '/v1/draws/{id}/reject',
    path: async (t, f) => `/v1/draws/${await pendingDraw(t, f)}/reject`,
    body: () => ({ reason: 'role matrix' }),
    expect: ADMIN_WRITE(200),
  },
  {
    method: 'post',
    route: '/v1/draws/{id}/cancel',
    path: async (t, f) => `/v1/draws/${await pendingDraw(t, f)}/cancel`,
    body: () => ({ reason: 'role matrix' }),
    expect: { company: 200, admin: 200, auditor: 403 },
  },
  {
    method: 'post',
    route: '/v1/draws/{id}/fulfil',
    path: async (t, f) => `/v1/draws/${await approvedDraw(t, f)}/fulfil`,
    expect: ADMIN_WRITE(200),
    events: 2, // draw.fulfilled, obligation.created
  },
  { method: 'get', route: '/v1/obligations', path: () => '/v1/obligations', expect: READ_ALL },
  {
    method: 'get',
    route: '/v1/obligations/{id}',
    path: (_t, f) => `/v1/obligations/${f.ownObligationId}`,
    expect: READ_ALL,
  },
  {
    method: 'post',
    route: '/v1/obligations/{id}/deliveries',
    path: async (t, f) => `/v1/obligations/${await openObligation(t, f)}/deliveries`,
    body: (f) => ({ quantity: '0.5', depotId: f.depotId, originCountry: 'JP' }),
    expect: ADMIN_WRITE(201),
    events: 2, // lot.received, obligation.delivery_recorded
  },
  {
    method: 'post',
    route: '/v1/obligations/{id}/settle',
    path: async (t, f) => `/v1/obligations/${await openObligation(t, f)}/settle`,
    body: () => ({ amount: '10.00', reason: 'role matrix' }),
    expect: ADMIN_WRITE(200),
  },
  { method: 'get', route: '/v1/audit-events', path: () => '/v1/audit-events', expect: STAFF_ONLY },
  {
    method: 'get',
    route: '/v1/audit-events/export',
    path: () => '/v1/audit-events/export',
    expect: STAFF_ONLY,
  },
  {
    method: 'get',
    route: '/v1/audit-events/verify',
    path: () => '/v1/audit-events/verify',
    expect: STAFF_ONLY,
  },
  { method: 'get', route: '/v1/ledger/export', path: () => '/v1/ledger/export', expect: STAFF_ONLY },
  {
    method: 'patch',
    route: '/v1/agreements/{id}',
    path: async (t, f) => {
      const company = await createCompany(t);
      return `/v1/agreements/${(await createAgreement(t, company.id, f.mineralCode)).id}`;
    },
    body: () => ({ priorityClass: 'DO' }),
    expect: ADMIN_WRITE(200),
  },
  { method: 'get', route: '/v1/disruptions', path: () => '/v1/disruptions', expect: READ_ALL },
  {
    method: 'get',
    route: '/v1/disruptions/{id}',
    path: async (t) => `/v1/disruptions/${await declareOn(t)}`,
    expect: READ_ALL,
  },
  {
    method: 'post',
    route: '/v1/disruptions',
    path: () => '/v1/disruptions',
    body: () => ({ title: 'Export licences', mineralCodes: [pendingMineral], level: 'alert' }),
    expect: ADMIN_WRITE(201),
  },
  {
    method: 'patch',
    route: '/v1/disruptions/{id}',
    path: async (t) => `/v1/disruptions/${await declareOn(t)}`,
    body: () => ({ level: 'emergency' }),
    expect: ADMIN_WRITE(200),
  },
  {
    method: 'post',
    route: '/v1/disruptions/{id}/end',
    path: async (t) => `/v1/disruptions/${await declareOn(t)}/end`,
    expect: ADMIN_WRITE(200),
  },
  // The rationing rules themselves are in test/api/crisis.test.ts; here only who may run one. Nothing
  // is queued on a fresh mineral, so an admin's round is refused before it writes anything.
  {
    method: 'post',
    route: '/v1/allocation-rounds',
    path: () => '/v1/allocation-rounds',
    body: () => ({ mineralCode: pendingMineral }),
    expect: { company: 403, admin: 409, auditor: 403 },
    events: 0,
  },
  { method: 'get', route: '/v1/allocation-rounds', path: () => '/v1/allocation-rounds', expect: STAFF_ONLY },
  {
    method: 'get',
    route: '/v1/allocation-rounds/{id}',
    path: () => `/v1/allocation-rounds/${randomUUID()}`,
    expect: { company: 403, admin: 404, auditor: 404 },
  },
];

describeDb('role matrix', () => {
  let t: TestApp;
  let fixture: Fixture;
  let tokens: Record<Role, string>;
  let otherCompanyId: string;
  let otherAgreementId: string;
  let otherCompanyToken: string;

  beforeAll(async () => {
    t = await createTestApp();
    const mineral = await createMineral(t);
    const depot = await createDepot(t);
    const own = await createCompany(t, { name: 'Own Co' });
    const other = await createCompany(t, { name: 'Other Co' });
    const lot = await createLot(t, mineral.code, depot.id, { quantity: '1000' });
    const ownAgreement = await createAgreement(t, own.id, mineral.code);
    const otherAgreement = await createAgreement(t, other.id, mineral.code);
    const companyToken = await t.token('company', own.id, 'company-user');
    const base = {
      mineralCode: mineral.code,
      depotId: depot.id,
      lotId: lot.id,
      ownCompanyId: own.id,
      ownAgreementId: ownAgreement.id,
      companyToken,
    };
    const ownDrawId = await pendingDraw(t, { ...base, ownDrawId: '', ownObligationId: '' });
    fixture = {
      ...base,
      ownDrawId,
      ownObligationId: await openObligation(t, { ...base, ownDrawId, ownObligationId: '' }),
    };
    otherCompanyId = other.id;
    otherAgreementId = otherAgreement.id;
    tokens = {
      company: companyToken,
      admin: t.admin,
      auditor: t.auditor,
    };
    otherCompanyToken = await t.token('company', other.id, 'other-company-user');
  });
  afterAll(() => t?.close());

  it('covers every route of every resource', async () => {
    const doc = (await t.api.get('/openapi.json')).body as { paths: Record<string, Record<string, unknown>> };
    const registered = Object.entries(doc.paths)
      .filter(([path]) => MATRIX_PREFIXES.some((prefix) => path === prefix || path.startsWith(`${prefix}/`)))
      .flatMap(([path, ops]) => Object.keys(ops).map((method) => `${method.toUpperCase()} ${path}`))
      .sort();
    const covered = MATRIX.map((c) => `${c.method.toUpperCase()} ${c.route}`).sort();
    // A new route under these prefixes needs a row in MATRIX: that is the point of this check.
    expect(registered, 'add the new route(s) to MATRIX in test/api/roles.test.ts').toEqual(covered);
  });

  const cases = MATRIX.flatMap((c) =>
    (['company', 'admin', 'auditor'] as const).map((role) => ({ ...c, role, status: c.expect[role] })),
  );

  it.each(cases)('$method $route as $role → $status', async ({
    method,
    path,
    body,
    role,
    status,
    events,
  }) => {
    pendingMineral = (await createMineral(t)).code;
    const url = await path(t, fixture);
    const before = await auditCount(t);
    let req = t.api[method](url).set(bearer(tokens[role]));
    if (body) req = req.send(body(fixture));
    const res = await req;
    const after = await auditCount(t);
    if (status === 403) {
      expectProblem(res, 403, 'forbidden');
      // A refused request changes nothing.
      expect(after).toBe(before);
      return;
    }
    expect(res.status, JSON.stringify(res.body)).toBe(status);
    expect(after).toBe(method === 'get' ? before : before + (events ?? 1));
  });

  it('a refused create leaves no resource behind', async () => {
    const code = uniqueCode('NOPE');
    for (const role of ['company', 'auditor'] as const) {
      const res = await t.api
        .post('/v1/minerals')
        .set(bearer(tokens[role]))
        .send({ code, name: 'Nope', unit: 'kg' });
      expectProblem(res, 403, 'forbidden');
    }
    expectProblem(await t.api.get(`/v1/minerals/${code}`).set(bearer(t.admin)), 404, 'not-found');
  });

  it('a refused update leaves the resource as it was', async () => {
    const mineral = await createMineral(t, { name: 'Cobalt', minimumReserve: '5' });
    const company = await createCompany(t, { name: 'Steady Co' });
    const before = await auditCount(t);
    for (const token of [tokens.company, tokens.auditor]) {
      expectProblem(
        await t.api.patch(`/v1/minerals/${mineral.code}`).set(bearer(token)).send({ minimumReserve: '0' }),
        403,
        'forbidden',
      );
      expectProblem(
        await t.api.patch(`/v1/companies/${company.id}`).set(bearer(token)).send({ status: 'suspended' }),
        403,
        'forbidden',
      );
    }
    expect((await t.api.get(`/v1/minerals/${mineral.code}`).set(bearer(t.admin))).body).toEqual(mineral);
    expect((await t.api.get(`/v1/companies/${company.id}`).set(bearer(t.admin))).body).toEqual(company);
    expect(await auditCount(t)).toBe(before);
  });

  it("a company gets 404, not 403, for another company's company or agreement", async () => {
    const company = expectProblem(
      await t.api.get(`/v1/companies/${otherCompanyId}`).set(bearer(tokens.company)),
      404,
      'not-found',
    );
    const agreement = expectProblem(
      await t.api.get(`/v1/agreements/${otherAgreementId}`).set(bearer(tokens.company)),
      404,
      'not-found',
    );
    // Indistinguishable from ids that do not exist at all.
    const missingCompany = await t.api.get(`/v1/companies/${randomUUID()}`).set(bearer(tokens.company));
    const missingAgreement = await t.api.get(`/v1/agreements/${randomUUID()}`).set(bearer(tokens.company));
    expect(missingCompany.status).toBe(404);
    expect(missingAgreement.status).toBe(404);
    expect(company.title).toBe(missingCompany.body.title);
    expect(agreement.title).toBe(missingAgreement.body.title);
    // The owner does see them.
    expect((await t.api.get(`/v1/companies/${otherCompanyId}`).set(bearer(otherCompanyToken))).status).toBe(
      200,
    );
    expect(
      (await t.api.get(`/v1/agreements/${otherAgreementId}`).set(bearer(otherCompanyToken))).status,
    ).toBe(200);
  });

  it('a company lists only its own company and agreements, whatever it filters on', async () => {
    const companies = await t.api.get('/v1/companies').query({ limit: 200 }).set(bearer(tokens.company));
    expect(companies.status).toBe(200);
    expect(companies.body.data.map((c: { id: string }) => c.id)).toEqual([fixture.ownCompanyId]);

    const all = await t.api.get('/v1/agreements').query({ limit: 200 }).set(bearer(tokens.company));
    expect(all.status).toBe(200);
    expect(all.body.data.length).toBeGreaterThanOrEqual(1);
    expect(all.body.data.every((a: { companyId: string }) => a.companyId === fixture.ownCompanyId)).toBe(
      true,
    );
    expect(all.body.data.map((a: { id: string }) => a.id)).toContain(fixture.ownAgreementId);

    const foreign = await t.api
      .get('/v1/agreements')
      .query({ companyId: otherCompanyId, limit: 200 })
      .set(bearer(tokens.company));
    expect(foreign.status).toBe(200);
    expect(foreign.body.data.some((a: { companyId: string }) => a.companyId !== fixture.ownCompanyId)).toBe(
      false,
    );
    expect(foreign.body.data.map((a: { id: string }) => a.id)).not.toContain(otherAgreementId);

    const byMineral = await t.api
      .get('/v1/agreements')
      .query({ mineral: fixture.mineralCode, limit: 200 })
      .set(bearer(tokens.company));
    expect(byMineral.body.data.map((a: { id: string }) => a.id)).toEqual([fixture.ownAgreementId]);

    // Staff see both companies' agreements for the same mineral.
    const staff = await t.api
      .get('/v1/agreements')
      .query({ mineral: fixture.mineralCode, limit: 200 })
      .set(bearer(t.auditor));
    const ids = staff.body.data.map((a: { id: string }) => a.id);
    expect(ids).toEqual(expect.arrayContaining([fixture.ownAgreementId, otherAgreementId]));
    const staffCompanies = await t.api.get('/v1/companies').query({ limit: 200 }).set(bearer(t.auditor));
    expect(staffCompanies.body.data.map((c: { id: string }) => c.id)).toEqual(
      expect.arrayContaining([fixture.ownCompanyId, otherCompanyId]),
    );
  });

  it('the role check comes before validation: a company posting an invalid mineral gets 403', async () => {
    const before = await auditCount(t);
    const res = await t.api.post('/v1/minerals').set(bearer(tokens.company)).send({ code: 'x', extra: 1 });
    expectProblem(res, 403, 'forbidden');
    expect(await auditCount(t)).toBe(before);
  });
});
