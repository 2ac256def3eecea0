import { randomUUID } from 'node:crypto';
import type { Response } from 'supertest';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { bearer, createTestApp, type TestApp } from '../helpers/app.js';
import { describeDb } from '../helpers/database.js';
import {
  agreementTerms,
  allAuditEvents,
  auditCount,
  createCompany,
  createMineral,
  expectProblem,
  uniqueCode,
} from '../helpers/factories.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** No stack frame, source location, SQL or driver detail may reach a client. */
function expectNoLeak(res: Response) {
  const text = res.text;
  expect(text).not.toMatch(/\s{4}at\s/);
  expect(text).not.toMatch(/\.(ts|js|mjs):\d+/);
  expect(text).not.toMatch(/\b(select|insert into|delete from|returning)\b/i);
  expect(text).not.toMatch(/node_modules|drizzle|pglite|postgres|SQLSTATE|syntax error at/i);
}

/** A 400 validation problem whose errors name `path` (matched at the end, after any location prefix). */
function expectValidation(res: Response, path: string) {
  const problem = expectProblem(res, 400, 'validation-error');
  expect(Array.isArray(problem.errors)).toBe(true);
  expect(problem.errors!.length).toBeGreaterThan(0);
  for (const e of problem.errors!) {
    expect(typeof e.path).toBe('string');
    expect(typeof e.message).toBe('string');
    expect(e.message.length).toBeGreaterThan(0);
  }
  const paths = problem.errors!.map((e) => e.path);
  expect(
    paths.some((p) => p === path || p.endsWith(`.${path}`)),
    `paths ${JSON.stringify(paths)}`,
  ).toBe(true);
  expectNoLeak(res);
  return problem;
}

describeDb('validation and the problem format', () => {
  let t: TestApp;
  let mineralCode: string;
  let companyId: string;

  beforeAll(async () => {
    t = await createTestApp();
    mineralCode = (await createMineral(t, { minimumReserve: '10' })).code;
    companyId = (await createCompany(t)).id;
  });
  afterAll(() => t?.close());

  const mineral = (fields: Record<string, unknown>) => ({
    code: uniqueCode('V'),
    name: 'Lithium carbonate',
    unit: 't',
    ...fields,
  });
  const postMineral = (body: unknown) =>
    t.api
      .post('/v1/minerals')
      .set(bearer(t.admin))
      .send(body as object);
  const postAgreement = (fields: Record<string, unknown>) =>
    t.api
      .post(`/v1/companies/${companyId}/agreements`)
      .set(bearer(t.admin))
      .send({ ...agreementTerms(mineralCode), ...fields });

  /** Runs a rejected request and proves it changed nothing. */
  async function rejected(send: () => Promise<Response>): Promise<Response> {
    const before = await auditCount(t);
    const res = await send();
    expect(await auditCount(t)).toBe(before);
    return res;
  }

  it('names an unknown body property', async () => {
    const res = await rejected(() => postMineral(mineral({ colour: 'silver' })));
    const problem = expectValidation(res, 'colour');
    expect(Object.keys(problem).sort()).toEqual(['detail', 'errors', 'requestId', 'status', 'title', 'type']);
  });

  it('names an unknown property in an agreement and refuses server-decided fields', async () => {
    expectValidation(await rejected(() => postAgreement({ status: 'terminated' })), 'status');
    expectValidation(await rejected(() => postAgreement({ companyId: randomUUID() })), 'companyId');
    expectValidation(
      await rejected(() =>
        t.api.post('/v1/companies').set(bearer(t.admin)).send({ name: 'X', country: 'FR', id: randomUUID() }),
      ),
      'id',
    );
  });

  it.each([
    ['a JSON number', 5],
    ['an exponent', '1e3'],
    ['a negative', '-1'],
    ['a leading plus', '+5'],
    ['four decimals', '1.0001'],
    ['blank', ''],
    ['padded', ' 5'],
    ['a comma', '1,5'],
    ['Infinity', 'Infinity'],
  ])('rejects minimumReserve as %s', async (_name, value) => {
    expectValidation(await rejected(() => postMineral(mineral({ minimumReserve: value }))), 'minimumReserve');
  });

  it.each([
    ['unitPrice', 'a JSON number', 110],
    ['unitPrice', 'five decimals', '1.00001'],
    ['unitPrice', 'an exponent', '1e3'],
    ['unitPrice', 'a negative', '-110'],
    ['maxOutstanding', 'a JSON number', 500],
    ['maxOutstanding', 'four decimals', '1.0001'],
    ['maxOutstanding', 'zero', '0'],
    ['maxOutstanding', 'zero with decimals', '0.000'],
    ['maxOutstanding', 'a negative', '-5'],
    ['maxOutstanding', 'an exponent', '5E2'],
    ['premiumPercent', 'over 100', '100.01'],
    ['premiumPercent', 'three decimals', '2.555'],
    ['premiumPercent', 'a JSON number', 2.5],
    ['replenishmentDays', 'a fraction', 1.5],
    ['replenishmentDays', 'a string', '30'],
    ['replenishmentDays', 'a negative', -1],
    ['mineralCode', 'lower case', 'ga'],
  ])('rejects an agreement whose %s is %s', async (field, _name, value) => {
    expectValidation(await rejected(() => postAgreement({ [field]: value })), field);
  });

  it('accepts the boundaries the rules allow, exactly', async () => {
    const m = await createMineral(t, { minimumReserve: '0.125' });
    expect(m.minimumReserve).toBe('0.125');
    const company = await createCompany(t);
    const res = await t.api.post(`/v1/companies/${company.id}/agreements`).set(bearer(t.admin)).send({
      mineralCode: m.code,
      unitPrice: '0.0001',
      maxOutstanding: '0.001',
      replenishmentDays: 0,
      premiumPercent: '100',
    });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body).toMatchObject({
      unitPrice: '0.0001',
      maxOutstanding: '0.001',
      replenishmentDays: 0,
      premiumPercent: '100',
    });
  });

  it.each(['ga', 'G', 'GA-1', `G${'A'.repeat(32)}`, 'ÄB'])('rejects the mineral code %j', async (code) => {
    expectValidation(await rejected(() => postMineral(mineral({ code }))), 'code');
  });

  it('rejects an unknown unit and a missing name', async () => {
    expectValidation(await rejected(() => postMineral(mineral({ unit: 'lb' }))), 'unit');
    const { name: _omitted, ...nameless } = mineral({});
    expectValidation(await rejected(() => postMineral(nameless)), 'name');
  });

  it.each(['usa', 'us', 'U', 'U1'])('rejects the country %j for companies and depots', async (country) => {
    expectValidation(
      await rejected(() => t.api.post('/v1/companies').set(bearer(t.admin)).send({ name: 'Co', country })),
      'country',
    );
    expectValidation(
      await rejected(() =>
        t.api
          .post('/v1/depots')
          .set(bearer(t.admin))
          .send({ code: uniqueCode('D'), name: 'D', country }),
      ),
      'country',
    );
  });

  it('rejects bad PATCH bodies and leaves the resource as it was', async () => {
    const before = (await t.api.get(`/v1/minerals/${mineralCode}`).set(bearer(t.admin))).body;
    const patch = (body: unknown) =>
      rejected(() =>
        t.api
          .patch(`/v1/minerals/${mineralCode}`)
          .set(bearer(t.admin))
          .send(body as object),
      );
    expectValidation(await patch({ unit: 't' }), 'unit');
    expectValidation(await patch({ minimumReserve: '-1' }), 'minimumReserve');
    expectProblem(await patch({}), 400, 'validation-error');
    expectValidation(
      await rejected(() =>
        t.api.patch(`/v1/companies/${companyId}`).set(bearer(t.admin)).send({ status: 'deleted' }),
      ),
      'status',
    );
    expect((await t.api.get(`/v1/minerals/${mineralCode}`).set(bearer(t.admin))).body).toEqual(before);
  });

  it.each([
    '/v1/minerals',
    '/v1/depots',
    '/v1/companies',
    '/v1/agreements',
    '/v1/audit-events',
  ])('checks limit and cursor on %s', async (path) => {
    for (const limit of ['201', '0', '-1', 'abc', '1.5']) {
      expectValidation(await t.api.get(path).query({ limit }).set(bearer(t.admin)), 'limit');
    }
    for (const cursor of ['not-a-cursor!', 'eyJub3QiOiJhIGN1cnNvciJ9', '%%%']) {
      expectValidation(await t.api.get(path).query({ cursor }).set(bearer(t.admin)), 'cursor');
    }
    expectValidation(await t.api.get(path).query({ sort: 'name' }).set(bearer(t.admin)), 'sort');
    for (const limit of ['1', '200']) {
      expect((await t.api.get(path).query({ limit }).set(bearer(t.admin))).status).toBe(200);
    }
  });

  it('rejects malformed path and filter parameters', async () => {
    expectValidation(await t.api.get('/v1/companies/not-a-uuid').set(bearer(t.admin)), 'id');
    expectValidation(await t.api.get('/v1/minerals/ga').set(bearer(t.admin)), 'code');
    expectValidation(
      await t.api.get('/v1/agreements').query({ companyId: 'acme' }).set(bearer(t.admin)),
      'companyId',
    );
    expectValidation(
      await rejected(() => t.api.post('/v1/agreements/not-a-uuid/terminate').set(bearer(t.admin)).send({})),
      'id',
    );
  });

  it('rejects malformed JSON as a validation error', async () => {
    for (const text of ['{"code": "GA",', '{', 'null,', "{'code':'GA'}"]) {
      const res = await rejected(() =>
        t.api.post('/v1/minerals').set(bearer(t.admin)).set('content-type', 'application/json').send(text),
      );
      expectProblem(res, 400, 'validation-error');
      expectNoLeak(res);
    }
  });

  it('refuses a body over 1 MiB with 413 payload-too-large', async () => {
    const res = await rejected(() => postMineral(mineral({ name: 'x'.repeat(1024 * 1024 + 1) })));
    expectProblem(res, 413, 'payload-too-large');
    expectNoLeak(res);
  });

  it('answers an unknown route with a 404 problem', async () => {
    const res = await t.api.get('/v1/unicorns').set(bearer(t.admin));
    expectProblem(res, 404, 'not-found');
    const post = await rejected(() => t.api.post('/v1/unicorns').set(bearer(t.admin)).send({ a: 1 }));
    expectProblem(post, 404, 'not-found');
    const wrongMethod = await rejected(() =>
      t.api.delete(`/v1/minerals/${mineralCode}`).set(bearer(t.admin)),
    );
    expectProblem(wrongMethod, 404, 'not-found');
    expect((await t.api.get(`/v1/minerals/${mineralCode}`).set(bearer(t.admin))).status).toBe(200);
  });

  it('echoes a valid X-Request-Id on success and on errors, and records it in the audit event', async () => {
    const ok = await t.api.get('/v1/minerals').set(bearer(t.admin)).set('x-request-id', 'client-req-0001');
    expect(ok.status).toBe(200);
    expect(ok.headers['x-request-id']).toBe('client-req-0001');

    const bad = await t.api
      .post('/v1/minerals')
      .set(bearer(t.admin))
      .set('x-request-id', 'client-req-0002')
      .send({ nope: true });
    expect(bad.headers['x-request-id']).toBe('client-req-0002');
    expect(expectProblem(bad, 400, 'validation-error').requestId).toBe('client-req-0002');

    const unauthorized = await t.api.get('/v1/minerals').set('x-request-id', 'client-req-0003');
    expect(expectProblem(unauthorized, 401, 'unauthorized').requestId).toBe('client-req-0003');

    const notFound = await t.api.get('/v1/nowhere').set('x-request-id', 'client-req-0004');
    expect(expectProblem(notFound, 404, 'not-found').requestId).toBe('client-req-0004');

    const longest = 'r'.repeat(128);
    const created = await t.api
      .post('/v1/minerals')
      .set(bearer(t.admin))
      .set('x-request-id', longest)
      .send(mineral({}));
    expect(created.status).toBe(201);
    expect(created.headers['x-request-id']).toBe(longest);
    const events = await allAuditEvents(t);
    const last = events[events.length - 1]!;
    expect(last).toMatchObject({
      action: 'mineral.created',
      entityId: created.body.code,
      requestId: longest,
    });
  });

  it('generates an X-Request-Id when none (or an unacceptable one) is sent', async () => {
    const first = await t.api.get('/v1/minerals').set(bearer(t.admin));
    const second = await t.api.get('/v1/minerals').set(bearer(t.admin));
    expect(first.headers['x-request-id']).toMatch(UUID);
    expect(second.headers['x-request-id']).toMatch(UUID);
    expect(first.headers['x-request-id']).not.toBe(second.headers['x-request-id']);

    for (const sent of ['r'.repeat(129), 'has space', 'tab\tinside']) {
      const res = await t.api.get('/v1/minerals').set(bearer(t.admin)).set('x-request-id', sent);
      expect(res.status).toBe(200);
      expect(res.headers['x-request-id']).toMatch(UUID);
    }
    const problem = await t.api.post('/v1/minerals').set(bearer(t.admin)).send({});
    expect(expectProblem(problem, 400, 'validation-error').requestId).toMatch(UUID);
  });

  it('sends security headers on successes and on errors', async () => {
    const responses = [
      await t.api.get('/v1/minerals').set(bearer(t.admin)),
      await t.api.get('/v1/minerals'),
      await t.api.post('/v1/minerals').set(bearer(t.admin)).send({}),
      await t.api.get('/v1/nowhere').set(bearer(t.admin)),
      await t.api.get('/health/live'),
    ];
    for (const res of responses) {
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers['x-frame-options']).toBeDefined();
      expect(res.headers['x-powered-by']).toBeUndefined();
    }
  });

  it('refuses a body that is not JSON as a problem', async () => {
    const res = await rejected(() =>
      t.api.post('/v1/minerals').set(bearer(t.admin)).set('content-type', 'text/plain').send('code=GA'),
    );
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expectNoLeak(res);
  });
});
