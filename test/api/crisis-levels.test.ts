import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { dec } from '../../src/domain/decimal.js';
import { bearer, createTestApp, type TestApp } from '../helpers/app.js';
import { type Member, member, round, submit } from '../helpers/crisis.js';
import { describeDb } from '../helpers/database.js';
import { allAuditEvents, auditCount, createMineral } from '../helpers/factories.js';

const rowsOf = (result: unknown) =>
  (Array.isArray(result) ? result : (result as { rows: unknown[] }).rows) as Record<string, string>[];

/**
 * Level changes while draws arrive (alert → emergency → ended): each draw must be judged by the level
 * in force when its transaction took the mineral's lock. Level changes take the mineral's lock too and
 * every one of these transactions appends its event while holding it, so the audit chain's order is
 * the lock order: replaying the chain tells what each draw should have seen.
 */
describeDb('level changes mid-flight', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t?.close());

  it('judges every draw by the level in force when it took the mineral lock', async () => {
    const code = (await createMineral(t, { minimumReserve: '100' })).code;
    const depot = await t.api
      .post('/v1/depots')
      .set(bearer(t.admin))
      .send({ code: `D_${code}`.slice(0, 32), name: 'Depot', country: 'US' });
    await t.api
      .post('/v1/lots')
      .set(bearer(t.admin))
      .send({ mineralCode: code, depotId: depot.body.id, quantity: '100000', originCountry: 'AU' });
    const members: Member[] = [];
    for (let i = 0; i < 4; i++) members.push(await member(t, code, { maxOutstanding: '10000' }));
    const baseline = await auditCount(t);
    const wave = (n: number) =>
      Array.from({ length: n }, (_, i) => submit(t, members[i % members.length]!, code, String(1 + (i % 3))));

    let disruptionId = '';
    const declaring = (async () => {
      const res = await t.api
        .post('/v1/disruptions')
        .set(bearer(t.admin))
        .send({ title: 'Export licensing', mineralCodes: [code], level: 'alert' });
      expect(res.status).toBe(201);
      disruptionId = res.body.id;
    })();
    const first = await Promise.all([...wave(12), declaring]);
    const second = await Promise.all([
      ...wave(12),
      t.api.patch(`/v1/disruptions/${disruptionId}`).set(bearer(t.admin)).send({ level: 'emergency' }),
    ]);
    const third = await Promise.all([
      ...wave(12),
      t.api.post(`/v1/disruptions/${disruptionId}/end`).set(bearer(t.admin)),
    ]);
    const fourth = await Promise.all(wave(4));
    for (const r of [second[12], third[12]]) expect(r?.status, JSON.stringify(r?.body)).toBe(200);
    const responses = [...first.slice(0, 12), ...second.slice(0, 12), ...third.slice(0, 12), ...fourth].map(
      (r) => r as Awaited<ReturnType<typeof submit>>,
    );
    for (const r of responses) expect(r.status, JSON.stringify(r.body)).toBe(201);

    // Replay the chain in seq order.
    const events = (await allAuditEvents(t)).filter((e) => e.seq > baseline);
    let level: 'none' | 'alert' | 'emergency' = 'none';
    let active: string | null = null;
    let queued = 0;
    const seen = { pending: 0, queued: 0, alertPending: 0, queuedAfterEnd: 0 };
    for (const e of events) {
      if (e.entityType === 'disruption') {
        if (e.action === 'disruption.declared') {
          level = 'alert';
          active = e.entityId;
        } else if (e.action === 'disruption.updated') {
          level = (e.data as { changes: { level: 'alert' | 'emergency' } }).changes.level;
        } else if (e.action === 'disruption.ended') {
          level = 'none';
          active = null;
        }
        continue;
      }
      if (e.action !== 'draw.submitted') continue;
      const d = e.data as { status: string; disruptionId: string | null; id: string };
      const shouldQueue = level === 'emergency' || queued > 0;
      expect(d.status, `draw ${d.id} at ${level} with ${queued} queued`).toBe(
        shouldQueue ? 'queued' : 'pending',
      );
      expect(d.disruptionId).toBe(active);
      if (d.status === 'queued') queued++;
      if (d.status === 'queued' && level === 'none') seen.queuedAfterEnd++;
      if (d.status === 'pending' && level === 'alert') seen.alertPending++;
      seen[d.status as 'pending' | 'queued']++;
    }
    expect(seen.queued).toBeGreaterThan(0);
    expect(seen.pending).toBeGreaterThan(0);
    expect(seen.queuedAfterEnd).toBeGreaterThan(0);
    // Each stored draw is what its event said.
    for (const r of responses) {
      const stored = await t.api.get(`/v1/draws/${r.body.id}`).set(bearer(t.admin));
      expect(stored.body).toMatchObject({ status: r.body.status, disruptionId: r.body.disruptionId });
    }
    // The running totals match the draws.
    const [m] = rowsOf(
      await t.database.db.execute(
        sql`select reserved::text, queued::text from minerals where code = ${code}`,
      ),
    );
    const [sums] = rowsOf(
      await t.database.db.execute(sql`select
        coalesce(sum(quantity) filter (where status in ('pending', 'approved')), 0)::text as held,
        coalesce(sum(quantity) filter (where status = 'queued'), 0)::text as queued
        from draws where mineral_code = ${code}`),
    );
    expect(dec(String(m!.reserved)).eq(String(sums!.held))).toBe(true);
    expect(dec(String(m!.queued)).eq(String(sums!.queued))).toBe(true);
    // A round clears the queue; the next draw is routine again.
    const done = await round(t, { mineralCode: code });
    expect(done.status, JSON.stringify(done.body)).toBe(201);
    expect(done.body.level).toBe('none');
    expect((await submit(t, members[0]!, code, '1')).body.status).toBe('pending');
  });
});
