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
  createMineral,
  expectProblem,
  uniqueCode,
} from '../helpers/factories.js';

type Role = 'company' | 'admin' | 'auditor';
type Method = 'get' | 'post' | 'patch';

interface Fixture {
  mineralCode: string;
  depotId: string;
  ownCompanyId: string;
  ownAgreementId: string;
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
}

/** The modules this matrix owns (draws, lots, obligations, inventory and ledger have their own role tests). */
const MATRIX_PREFIXES = [
  '/v1/minerals',
  '/v1/depots',
  '/v1/companies',
  '/v1/agreements',
  '/v1/audit-events',
  '/v1/valuation',
];
/** Routes under those prefixes whose role rules another file asserts. */
const COVERED_ELSEWHERE = new Set(['GET /v1/audit-events/export']); // test/api/exports.test.ts

const READ_ALL = { company: 200, admin: 200, auditor: 200 };
const ADMIN_WRITE = (status: number) => ({ company: 403, admin: status, auditor: 403 });
const STAFF_ONLY = { company: 403, admin: 200, auditor: 200 };

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
  { method: 'get', route: '/v1/audit-events', path: () => '/v1/audit-events', expect: STAFF_ONLY },
  {
    method: 'get',
    route: '/v1/audit-events/verify',
    path: () => '/v1/audit-events/verify',
    expect: STAFF_ONLY,
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
    const ownAgreement = await createAgreement(t, own.id, mineral.code);
    const otherAgreement = await createAgreement(t, other.id, mineral.code);
    fixture = {
      mineralCode: mineral.code,
      depotId: depot.id,
      ownCompanyId: own.id,
      ownAgreementId: ownAgreement.id,
    };
    otherCompanyId = other.id;
    otherAgreementId = otherAgreement.id;
    tokens = {
      company: await t.token('company', own.id, 'company-user'),
      admin: t.admin,
      auditor: t.auditor,
    };
    otherCompanyToken = await t.token('company', other.id, 'other-company-user');
  });
  afterAll(() => t?.close());

  it('covers every route of the reference-data and audit modules', async () => {
    const doc = (await t.api.get('/openapi.json')).body as { paths: Record<string, Record<string, unknown>> };
    const registered = Object.entries(doc.paths)
      .filter(([path]) => MATRIX_PREFIXES.some((prefix) => path === prefix || path.startsWith(`${prefix}/`)))
      .flatMap(([path, ops]) => Object.keys(ops).map((method) => `${method.toUpperCase()} ${path}`))
      .filter((route) => !COVERED_ELSEWHERE.has(route))
      .sort();
    const covered = MATRIX.map((c) => `${c.method.toUpperCase()} ${c.route}`).sort();
    // A new route under these prefixes needs a row in MATRIX: that is the point of this check.
    expect(registered, 'add the new route(s) to MATRIX in test/api/roles.test.ts').toEqual(covered);
  });

  const cases = MATRIX.flatMap((c) =>
    (['company', 'admin', 'auditor'] as const).map((role) => ({ ...c, role, status: c.expect[role] })),
  );

  it.each(cases)('$method $route as $role → $status', async ({ method, path, body, role, status }) => {
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
    expect(after).toBe(method === 'get' ? before : before + 1);
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
