import { afterAll, beforeAll, expect, it } from 'vitest';
import { bearer, createTestApp, type TestApp } from '../helpers/app.js';
import { describeDb } from '../helpers/database.js';
import { auditCount, expectProblem } from '../helpers/factories.js';

describeDb('rate limit (RATE_LIMIT_MAX=3 per minute per caller)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ RATE_LIMIT_MAX: '3' });
  });
  afterAll(() => t?.close());

  it('answers the 4th request in a minute from one caller with a 429 problem and Retry-After', async () => {
    const token = await t.token('auditor', undefined, 'limited-caller');
    for (let i = 0; i < 3; i++) {
      const res = await t.api.get('/v1/minerals').set(bearer(token));
      expect(res.status, `request ${i + 1}`).toBe(200);
    }
    const limited = await t.api.get('/v1/minerals').set(bearer(token)).set('x-request-id', 'over-the-limit');
    const problem = expectProblem(limited, 429, 'rate-limited');
    expect(problem.requestId).toBe('over-the-limit');
    const retryAfter = Number(limited.headers['retry-after']);
    expect(Number.isInteger(retryAfter)).toBe(true);
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(JSON.stringify(problem)).not.toMatch(/\s{4}at\s|node_modules/);
  });

  it('counts per token subject: the same subject with a fresh token is still limited, another is not', async () => {
    const sub = 'shared-subject';
    for (let i = 0; i < 3; i++) {
      expect(
        (await t.api.get('/v1/depots').set(bearer(await t.token('auditor', undefined, sub)))).status,
      ).toBe(200);
    }
    const again = await t.api.get('/v1/depots').set(bearer(await t.token('admin', undefined, sub)));
    expectProblem(again, 429, 'rate-limited');

    const other = await t.token('auditor', undefined, 'another-subject');
    expect((await t.api.get('/v1/depots').set(bearer(other))).status).toBe(200);
  });

  it('a limited write changes nothing', async () => {
    const token = await t.token('admin', undefined, 'limited-writer');
    const before = await auditCount(t);
    const codes = ['RL_A', 'RL_B', 'RL_C', 'RL_D'];
    const statuses: number[] = [];
    for (const code of codes) {
      const res = await t.api.post('/v1/minerals').set(bearer(token)).send({ code, name: code, unit: 'kg' });
      statuses.push(res.status);
    }
    expect(statuses).toEqual([201, 201, 201, 429]);
    expect(await auditCount(t)).toBe(before + 3);
    expect(
      (await t.api.get('/v1/minerals/RL_D').set(bearer(await t.token('auditor', undefined, 'reader'))))
        .status,
    ).toBe(404);
  });

  it('never limits the health endpoints', async () => {
    for (let i = 0; i < 10; i++) {
      const live = await t.api.get('/health/live');
      expect(live.status, `live #${i + 1}`).toBe(200);
      expect(live.body).toEqual({ status: 'ok' });
    }
    for (let i = 0; i < 5; i++) expect((await t.api.get('/health/ready')).status).toBe(200);
  });
});
