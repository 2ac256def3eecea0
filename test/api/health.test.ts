import { afterAll, beforeAll, expect, it } from 'vitest';
import { bearer, createTestApp, type TestApp } from '../helpers/app.js';
import { describeDb } from '../helpers/database.js';
import { expectProblem } from '../helpers/factories.js';

describeDb('health', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t?.close());

  it('/health/live answers 200 {status:"ok"} without a token', async () => {
    const res = await t.api.get('/health/live');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.body).toEqual({ status: 'ok' });
  });

  it('/health/ready answers 200 when the database answers, without a token', async () => {
    const res = await t.api.get('/health/ready');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'ok' });
  });

  it('ignores a token, even an invalid one', async () => {
    const res = await t.api.get('/health/live').set(bearer('not.a.token'));
    expect(res.status).toBe(200);
  });
});

describeDb('health with the database gone', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
    expect((await t.api.get('/health/ready')).status).toBe(200);
    await t.database.close();
  });
  afterAll(() => t?.close());

  it('/health/ready answers 503 service-unavailable, /health/live still 200', async () => {
    const ready = await t.api.get('/health/ready');
    expectProblem(ready, 503, 'service-unavailable');
    expect((await t.api.get('/health/live')).status).toBe(200);
  });

  it('a request that needs the database gets a 503 problem with Retry-After: no stack, no SQL, no driver message', async () => {
    const res = await t.api.get('/v1/minerals').set(bearer(t.admin));
    expectProblem(res, 503, 'service-unavailable');
    expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
    expect(res.text).not.toMatch(/\s{4}at\s|\.(ts|js):\d+/);
    expect(res.text).not.toMatch(/\b(select|from "|minerals"|returning)\b/i);
    expect(res.text).not.toMatch(/closed|ended|pglite|postgres|drizzle|connection/i);
  });
});
