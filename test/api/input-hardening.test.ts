import { afterAll, beforeAll, expect, it } from 'vitest';
import { bearer, createTestApp, type TestApp } from '../helpers/app.js';
import { describeDb } from '../helpers/database.js';
import { auditCount, expectProblem, setupReserve } from '../helpers/factories.js';

const cursorOf = (at: string, id: string) => Buffer.from(JSON.stringify([at, id])).toString('base64url');
const COLLECTIONS = [
  '/v1/agreements',
  '/v1/companies',
  '/v1/depots',
  '/v1/draws',
  '/v1/inventory',
  '/v1/lots',
  '/v1/minerals',
  '/v1/obligations',
];

describeDb('hostile input answers 400 (or 409), never 500', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t?.close());

  it('refuses lone UTF-16 surrogates in any text, values and property names alike', async () => {
    const r = await setupReserve(t);
    const before = await auditCount(t);
    for (const body of [
      `{"mineralCode":"${r.mineralCode}","quantity":"1","note":"fab \\ud800 line"}`,
      `{"mineralCode":"${r.mineralCode}","quantity":"1","note":"\\udc00"}`,
      `{"mineralCode":"${r.mineralCode}","quantity":"1","\\ud83d":"x"}`,
    ]) {
      const res = await t.api
        .post('/v1/draws')
        .set(bearer(r.company))
        .set('content-type', 'application/json')
        .send(body);
      expectProblem(res, 400, 'validation-error');
    }
    // A surrogate pair is a real character and fine.
    const ok = await t.api
      .post('/v1/draws')
      .set(bearer(r.company))
      .set('content-type', 'application/json')
      .send(`{"mineralCode":"${r.mineralCode}","quantity":"1","note":"ok \\ud83d\\ude00"}`);
    expect(ok.status).toBe(201);
    expect(await auditCount(t)).toBe(before + 1);
  });

  it('refuses malformed cursors in every collection', async () => {
    const bad = [
      cursorOf('2026-01-01T00:00:00.000Z', 'not-a-uuid'),
      cursorOf('+275760-09-13T00:00:00.000Z', '00000000-0000-4000-8000-000000000000'),
      cursorOf('0000-01-01T00:00:00.000Z', '00000000-0000-4000-8000-000000000000'),
      'not base64 json',
    ];
    for (const path of COLLECTIONS) {
      // Minerals (and inventory) page by code, so any code-shaped id is a fine cursor there.
      const byCode = path === '/v1/minerals' || path === '/v1/inventory';
      for (const cursor of byCode ? bad.slice(1) : bad) {
        const res = await t.api.get(path).query({ cursor }).set(bearer(t.admin));
        expect(res.status, `${path} ${cursor}`).toBe(400);
      }
    }
  });

  it('refuses years 0000 and past 9999 in from, to and receivedAt; and from after to', async () => {
    for (const at of ['0000-01-01T00:00:00Z', '9999-12-31T23:00:00-05:00']) {
      const audit = await t.api.get('/v1/audit-events').query({ from: at }).set(bearer(t.auditor));
      expectProblem(audit, 400, 'validation-error');
      const ledger = await t.api.get('/v1/ledger/export').query({ to: at }).set(bearer(t.auditor));
      expectProblem(ledger, 400, 'validation-error');
    }
    const r = await setupReserve(t);
    const lot = await t.api.post('/v1/lots').set(bearer(t.admin)).send({
      mineralCode: r.mineralCode,
      depotId: r.depotId,
      quantity: '1',
      originCountry: 'AU',
      receivedAt: '0000-06-01T00:00:00Z',
    });
    expectProblem(lot, 400, 'validation-error');
    const reversed = await t.api
      .get('/v1/audit-events')
      .query({ from: '2026-02-01T00:00:00Z', to: '2026-01-01T00:00:00Z' })
      .set(bearer(t.auditor));
    expectProblem(reversed, 400, 'validation-error');
  });

  it('parses limit strictly', async () => {
    for (const limit of ['1e2', '0x10', ' 5', '5 ', '+5', '5.0', '0', '201', '']) {
      const res = await t.api.get(`/v1/minerals?limit=${encodeURIComponent(limit)}`).set(bearer(t.admin));
      expect(res.status, JSON.stringify(limit)).toBe(400);
    }
    expect((await t.api.get('/v1/minerals?limit=5').set(bearer(t.admin))).status).toBe(200);
    expect((await t.api.get('/v1/minerals').set(bearer(t.admin))).status).toBe(200);
  });

  it('refuses blank and control-character names', async () => {
    for (const name of ['   ', '\t', 'ACME\u0007', 'ACME\nCorp', 'Nul\u0000', 'C1\u0085']) {
      const res = await t.api.post('/v1/companies').set(bearer(t.admin)).send({ name, country: 'US' });
      expect(res.status, JSON.stringify(name)).toBe(400);
    }
  });

  it('answers a result past the columns’ precision with a 409, changing nothing', async () => {
    const huge = '999999999999999';
    const r = await setupReserve(t, {
      lots: [{ quantity: huge }],
      maxOutstanding: huge,
      unitPrice: '999999999999999.9999',
    });
    const before = await auditCount(t);
    // amount = quantity × unitPrice ≈ 1e30: past money's 20 integer digits.
    const draw = await t.api
      .post('/v1/draws')
      .set(bearer(r.company))
      .send({ mineralCode: r.mineralCode, quantity: huge });
    expectProblem(draw, 409, 'conflict');
    expect(await auditCount(t)).toBe(before);
  });
});
