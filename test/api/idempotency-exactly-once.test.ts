import { randomBytes } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { keyScope } from '../../src/http/idempotency.js';
import { bearer, createTestApp, type TestApp } from '../helpers/app.js';
import { describeDb } from '../helpers/database.js';
import { auditCount, inventoryOf, setupReserve } from '../helpers/factories.js';

const key = () => `once-${randomBytes(6).toString('hex')}`;
const FAIL = 'x-test-fail-before-response';

/**
 * The real app, plus one failure injected between the use case and its response: a request carrying
 * FAIL has its response fail after the change was made, as a crash or a lost database would.
 */
async function appWithInjectedFailure(): Promise<TestApp> {
  return createTestApp({}, (app) =>
    app.addHook('preSerialization', async (request, reply, payload) => {
      if (request.headers[FAIL] && reply.statusCode < 400)
        throw new Error('injected failure after the use case ran');
      return payload;
    }),
  );
}

describeDb('Idempotency-Key: exactly once when things fail', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await appWithInjectedFailure();
  });
  afterAll(() => t?.close());

  const draws = async (companyId: string) => {
    const res = await t.api.get(`/v1/draws?companyId=${companyId}`).set(bearer(t.admin));
    return res.body.data as { id: string }[];
  };

  it('a failure after the change, before its response, undoes the change: the retry runs once', async () => {
    const r = await setupReserve(t);
    const k = key();
    const body = { mineralCode: r.mineralCode, quantity: '12.5' };
    const events = await auditCount(t);
    const failed = await t.api
      .post('/v1/draws')
      .set(bearer(r.company))
      .set('idempotency-key', k)
      .set(FAIL, '1')
      .send(body);
    expect(failed.status).toBe(500);
    expect(failed.headers['content-type']).toMatch(/^application\/problem\+json/);
    // Nothing happened: no draw, no hold, no event.
    expect(await draws(r.companyId)).toHaveLength(0);
    expect((await inventoryOf(t, r.mineralCode)).reserved).toBe('0');
    expect(await auditCount(t)).toBe(events);

    const retry = await t.api.post('/v1/draws').set(bearer(r.company)).set('idempotency-key', k).send(body);
    expect(retry.status).toBe(201);
    const again = await t.api.post('/v1/draws').set(bearer(r.company)).set('idempotency-key', k).send(body);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.body.id).toBe(retry.body.id);
    expect(again.headers.location).toBe(retry.headers.location);
    expect(await draws(r.companyId)).toHaveLength(1);
    expect((await inventoryOf(t, r.mineralCode)).reserved).toBe('12.5');
    expect(await auditCount(t)).toBe(events + 1);
  });

  it('a failure while recording the response undoes the change too: the response commits with it', async () => {
    const r = await setupReserve(t);
    const k = `record-fails-${randomBytes(6).toString('hex')}`;
    const body = { mineralCode: r.mineralCode, quantity: '4.25' };
    const events = await auditCount(t);
    // The database refuses to mark this key completed, as a crash between the change and the recorded
    // response would leave it. Were the response recorded after the change's commit, the draw would
    // stay and the retry would make a second one.
    await t.database.db.execute(
      sql.raw(`create function refuse_completion() returns trigger language plpgsql as $fn$
        begin
          if new.state = 'completed' and new.key = '${k}' then raise exception 'injected: recording failed'; end if;
          return new;
        end $fn$`),
    );
    await t.database.db.execute(
      sql.raw(`create trigger refuse_completion before update or insert on idempotency_keys
        for each row execute function refuse_completion()`),
    );
    const failed = await t.api.post('/v1/draws').set(bearer(r.company)).set('idempotency-key', k).send(body);
    await t.database.db.execute(sql.raw('drop trigger refuse_completion on idempotency_keys'));
    await t.database.db.execute(sql.raw('drop function refuse_completion()'));
    expect(failed.status).toBeGreaterThanOrEqual(500);
    expect(failed.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(await draws(r.companyId)).toHaveLength(0);
    expect((await inventoryOf(t, r.mineralCode)).reserved).toBe('0');
    expect(await auditCount(t)).toBe(events);

    const retry = await t.api.post('/v1/draws').set(bearer(r.company)).set('idempotency-key', k).send(body);
    expect(retry.status).toBe(201);
    expect(await draws(r.companyId)).toHaveLength(1);
    expect((await inventoryOf(t, r.mineralCode)).reserved).toBe('4.25');
    expect(await auditCount(t)).toBe(events + 1);
  });

  it('a key left running by a crashed process is taken over within seconds, not minutes', async () => {
    const r = await setupReserve(t);
    const k = key();
    const body = { mineralCode: r.mineralCode, quantity: '3' };
    // What a process killed inside its transaction leaves behind: a running key, no change.
    const scope = keyScope('reserve-dev', {
      sub: `company-user-${r.companyId}`,
      role: 'company',
      companyId: r.companyId,
    });
    // A completed key of the same request tells the fingerprint the server computes for it.
    const done = await t.api.post('/v1/draws').set(bearer(r.company)).set('idempotency-key', k).send(body);
    expect(done.status).toBe(201);
    const k2 = key();
    const now = t.clock.now();
    await t.database.db.execute(sql`
      insert into idempotency_keys (caller, key, fingerprint, owner, state, created_at, expires_at)
      select caller, ${k2}, fingerprint, 'a-dead-process', 'running', ${now.toISOString()}::timestamptz,
             expires_at
      from idempotency_keys where caller = ${scope} and key = ${k}`);
    const early = await t.api.post('/v1/draws').set(bearer(r.company)).set('idempotency-key', k2).send(body);
    expect(early.status).toBe(409);
    expect(early.body.type).toBe('/problems/idempotency-key-in-progress');
    t.clock.advance(16_000);
    const later = await t.api.post('/v1/draws').set(bearer(r.company)).set('idempotency-key', k2).send(body);
    expect(later.status).toBe(201);
    expect(await draws(r.companyId)).toHaveLength(2);
  });

  it('scopes keys by the whole identity: the same sub in another company gets its own answer', async () => {
    const a = await setupReserve(t);
    const b = await setupReserve(t);
    const sub = `shared-sub-${randomBytes(3).toString('hex')}`;
    const tokenA = await t.token('company', a.companyId, sub);
    const tokenB = await t.token('company', b.companyId, sub);
    const k = key();
    const first = await t.api
      .post('/v1/draws')
      .set(bearer(tokenA))
      .set('idempotency-key', k)
      .send({ mineralCode: a.mineralCode, quantity: '1' });
    expect(first.status).toBe(201);
    const second = await t.api
      .post('/v1/draws')
      .set(bearer(tokenB))
      .set('idempotency-key', k)
      .send({ mineralCode: a.mineralCode, quantity: '1' });
    // Company B has no agreement for A's mineral: its own answer (409), never A's stored draw.
    expect(second.headers['idempotent-replayed']).toBeUndefined();
    expect(second.status).toBe(409);
    expect(second.body.type).toBe('/problems/no-agreement');
    // And an admin with that sub is yet another identity.
    const admin = await t.token('admin', undefined, sub);
    const third = await t.api
      .post('/v1/draws')
      .set(bearer(admin))
      .set('idempotency-key', k)
      .send({ mineralCode: a.mineralCode, quantity: '1' });
    expect(third.status).toBe(403);
  });
});
