import { afterAll, beforeAll, expect, it } from 'vitest';
import { bearer, createTestApp, type TestApp } from '../helpers/app.js';
import { describeDb } from '../helpers/database.js';

describeDb('smoke', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t?.close());

  it('creates a mineral and audits it', async () => {
    const res = await t.api
      .post('/v1/minerals')
      .set(bearer(t.admin))
      .send({ code: 'GA', name: 'Gallium', unit: 'kg', minimumReserve: '100.500' });
    expect(res.status).toBe(201);
    expect(res.body.minimumReserve).toBe('100.5');
    const events = await t.api.get('/v1/audit-events').set(bearer(t.auditor));
    expect(events.status).toBe(200);
    expect(events.body.data).toHaveLength(1);
    const v = await t.api.get('/v1/audit-events/verify').set(bearer(t.auditor));
    expect(v.body).toMatchObject({ valid: true, eventsChecked: 1, headSeq: 1 });
  });
});
