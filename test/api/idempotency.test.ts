import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { bearer, createTestApp, type TestApp } from '../helpers/app.js';
import { describeDb } from '../helpers/database.js';
import { auditCount, inventoryOf, setupReserve, slug } from '../helpers/factories.js';

const key = () => `key-${randomBytes(6).toString('hex')}`;

describeDb('Idempotency-Key', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t?.close());

  it('replays the stored response and changes nothing', async () => {
    const r = await setupReserve(t);
    const k = key();
    const body = { mineralCode: r.mineralCode, quantity: '12.5' };
    const first = await t.api.post('/v1/draws').set(bearer(r.company)).set('idempotency-key', k).send(body);
    expect(first.status).toBe(201);
    expect(first.headers['idempotent-replayed']).toBeUndefined();
    const events = await auditCount(t);

    const again = await t.api.post('/v1/draws').set(bearer(r.company)).set('idempotency-key', k).send(body);
    expect(again.status).toBe(201);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.headers.location).toBe(first.headers.location);
    expect(again.body).toEqual(first.body);
    expect(await auditCount(t)).toBe(events);
    expect((await inventoryOf(t, r.mineralCode)).reserved).toBe('12.5');

    // Same key, different request → 422, nothing changes.
    const other = await t.api
      .post('/v1/draws')
      .set(bearer(r.company))
      .set('idempotency-key', k)
      .send({ ...body, quantity: '1' });
    expect(other.status).toBe(422);
    expect(slug(other.body)).toBe('idempotency-key-reuse');
    expect(await auditCount(t)).toBe(events);
  });

  it('replays refusals (409) too, but not rejected requests (400/401/403)', async () => {
    const r = await setupReserve(t, { maxOutstanding: '5' });
    const k = key();
    const tooMuch = { mineralCode: r.mineralCode, quantity: '6' };
    const refused = await t.api
      .post('/v1/draws')
      .set(bearer(r.company))
      .set('idempotency-key', k)
      .send(tooMuch);
    expect(slug(refused.body)).toBe('entitlement-exceeded');
    const replayed = await t.api
      .post('/v1/draws')
      .set(bearer(r.company))
      .set('idempotency-key', k)
      .send(tooMuch);
    expect(replayed.status).toBe(409);
    expect(replayed.headers['idempotent-replayed']).toBe('true');

    const k2 = key();
    const invalid = await t.api
      .post('/v1/draws')
      .set(bearer(r.company))
      .set('idempotency-key', k2)
      .send({ mineralCode: r.mineralCode, quantity: '1.0001' });
    expect(invalid.status).toBe(400);
    const corrected = await t.api
      .post('/v1/draws')
      .set(bearer(r.company))
      .set('idempotency-key', k2)
      .send({ mineralCode: r.mineralCode, quantity: '1' });
    expect(corrected.status).toBe(201);
    expect(corrected.headers['idempotent-replayed']).toBeUndefined();

    const k3 = key();
    const forbidden = await t.api.post('/v1/draws').set(bearer(t.admin)).set('idempotency-key', k3).send({
      mineralCode: r.mineralCode,
      quantity: '1',
    });
    expect(forbidden.status).toBe(403);
  });

  it('scopes keys to the caller: another caller never gets my response', async () => {
    const a = await setupReserve(t);
    const b = await setupReserve(t);
    const k = key();
    const first = await t.api
      .post('/v1/draws')
      .set(bearer(a.company))
      .set('idempotency-key', k)
      .send({ mineralCode: a.mineralCode, quantity: '1' });
    const second = await t.api
      .post('/v1/draws')
      .set(bearer(b.company))
      .set('idempotency-key', k)
      .send({ mineralCode: b.mineralCode, quantity: '1' });
    expect(second.status).toBe(201);
    expect(second.headers['idempotent-replayed']).toBeUndefined();
    expect(second.body.companyId).toBe(b.companyId);
    expect(second.body.id).not.toBe(first.body.id);
  });

  it('rejects malformed keys with 400', async () => {
    const r = await setupReserve(t);
    for (const bad of ['', 'x'.repeat(256), 'has space', 'naïve']) {
      const res = await t.api
        .post('/v1/draws')
        .set(bearer(r.company))
        .set('idempotency-key', bad)
        .send({ mineralCode: r.mineralCode, quantity: '1' });
      if (bad === '') {
        // An empty header is no key at all for most HTTP stacks; it must not create a stored key either way.
        expect([201, 400]).toContain(res.status);
        continue;
      }
      expect(res.status, bad).toBe(400);
      expect(slug(res.body)).toBe('validation-error');
    }
  });

  it('keeps a key for 24 hours, then lets it be reused', async () => {
    const r = await setupReserve(t);
    const k = key();
    const first = await t.api
      .post('/v1/draws')
      .set(bearer(r.company))
      .set('idempotency-key', k)
      .send({ mineralCode: r.mineralCode, quantity: '1' });
    t.clock.advance(23 * 3_600_000);
    const within = await t.api
      .post('/v1/draws')
      .set(bearer(r.company))
      .set('idempotency-key', k)
      .send({ mineralCode: r.mineralCode, quantity: '2' });
    expect(within.status).toBe(422);
    t.clock.advance(2 * 3_600_000);
    const purged = await t.app.services.idempotency.purgeExpired();
    expect(purged).toBeGreaterThanOrEqual(1);
    const after = await t.api
      .post('/v1/draws')
      .set(bearer(r.company))
      .set('idempotency-key', k)
      .send({ mineralCode: r.mineralCode, quantity: '2' });
    expect(after.status).toBe(201);
    expect(after.body.id).not.toBe(first.body.id);
    t.clock.set(new Date());
  });
});
