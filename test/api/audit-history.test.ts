import { afterAll, beforeAll, expect, it } from 'vitest';
import { bearer, createTestApp, type TestApp } from '../helpers/app.js';
import { describeDb } from '../helpers/database.js';

interface Event {
  seq: number;
  occurredAt: string;
  action: string;
  entityType: string;
  entityId: string;
  data: Record<string, unknown>;
  actor: { sub: string; role: string; companyId: string | null };
}

describeDb("an auditor reads one entity's whole history", () => {
  let t: TestApp;
  let acme: string;
  let other: string;
  const times: string[] = [];

  /** Every page of a filtered list, following nextCursor. */
  async function history(query: Record<string, string | number>): Promise<Event[]> {
    const events: Event[] = [];
    let cursor: string | null = null;
    do {
      const res: { status: number; body: { data: Event[]; nextCursor: string | null } } = await t.api
        .get('/v1/audit-events')
        .query({ ...query, ...(cursor ? { cursor } : {}) })
        .set(bearer(t.auditor));
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      events.push(...res.body.data);
      cursor = res.body.nextCursor;
    } while (cursor);
    return events;
  }

  beforeAll(async () => {
    t = await createTestApp();
    const admin = bearer(t.admin);
    const step = () => {
      t.clock.advance(60_000);
      times.push(t.clock.now().toISOString());
    };
    step();
    acme = (await t.api.post('/v1/companies').set(admin).send({ name: 'Acme Metals', country: 'DE' })).body
      .id;
    step();
    other = (await t.api.post('/v1/companies').set(admin).send({ name: 'Other Co', country: 'FR' })).body.id;
    await t.api.post('/v1/minerals').set(admin).send({ code: 'GA', name: 'Gallium', unit: 'kg' });
    step();
    await t.api.patch(`/v1/companies/${acme}`).set(admin).send({ name: 'Acme Strategic Metals' });
    await t.api.patch(`/v1/companies/${other}`).set(admin).send({ status: 'suspended' });
    step();
    await t.api.patch(`/v1/companies/${acme}`).set(admin).send({ status: 'suspended' });
    await t.api.patch('/v1/minerals/GA').set(admin).send({ minimumReserve: '10' });
    step();
    await t.api.patch(`/v1/companies/${acme}`).set(admin).send({ status: 'active' });
  });
  afterAll(() => t?.close());

  it('entityType + entityId give exactly that entity, oldest first, across pages', async () => {
    const events = await history({ entityType: 'company', entityId: acme, limit: 2 });
    expect(events.map((e) => e.action)).toEqual([
      'company.created',
      'company.updated',
      'company.updated',
      'company.updated',
    ]);
    expect(events.every((e) => e.entityType === 'company' && e.entityId === acme)).toBe(true);
    const seqs = events.map((e) => e.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(events[0]!.data).toMatchObject({ id: acme, name: 'Acme Metals', status: 'active' });
    expect(events.slice(1).map((e) => e.data)).toEqual([
      { changes: { name: { from: 'Acme Metals', to: 'Acme Strategic Metals' } } },
      { changes: { status: { from: 'active', to: 'suspended' } } },
      { changes: { status: { from: 'suspended', to: 'active' } } },
    ]);
    expect(events.every((e) => e.actor.role === 'admin' && e.actor.sub === 'admin-1')).toBe(true);
    // Paging does not change the answer.
    expect(await history({ entityType: 'company', entityId: acme, limit: 200 })).toEqual(events);
  });

  it('another entity, or another type with the same kind of id, is never mixed in', async () => {
    expect((await history({ entityType: 'company', entityId: other })).map((e) => e.action)).toEqual([
      'company.created',
      'company.updated',
    ]);
    // A mineral is addressed by its code.
    expect((await history({ entityType: 'mineral', entityId: 'GA' })).map((e) => e.action)).toEqual([
      'mineral.created',
      'mineral.updated',
    ]);
    expect(await history({ entityType: 'depot', entityId: acme })).toEqual([]);
  });

  it('narrows by action and by time (`from` inclusive, `to` exclusive)', async () => {
    const updates = await history({ entityType: 'company', entityId: acme, action: 'company.updated' });
    expect(updates).toHaveLength(3);

    const window = await history({ entityType: 'company', entityId: acme, from: times[2]!, to: times[4]! });
    expect(window.map((e) => e.occurredAt)).toEqual([times[2], times[3]]);

    const allUpdates = await history({ action: 'company.updated' });
    expect(allUpdates.map((e) => e.entityId)).toEqual([acme, other, acme, acme]);
  });

  it('is for auditors and admins only', async () => {
    const company = await t.token('company', acme);
    const res = await t.api.get(`/v1/audit-events?entityType=company&entityId=${acme}`).set(bearer(company));
    expect(res.status).toBe(403);
    const admin = await t.api
      .get(`/v1/audit-events?entityType=company&entityId=${acme}`)
      .set(bearer(t.admin));
    expect(admin.status).toBe(200);
    expect(admin.body.data).toHaveLength(4);
  });
});
