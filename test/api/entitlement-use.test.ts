import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { HOLDING } from '../../src/modules/draws/draws.rules.js';
import { bearer, createTestApp, type TestApp } from '../helpers/app.js';
import { describeDb } from '../helpers/database.js';
import { setupReserve } from '../helpers/factories.js';

/**
 * `entitlement_use` (kept by triggers on draws) must always equal the sums it replaces: per company and
 * mineral, Σ quantity of the draws in HOLDING (draws.rules.ts) and of the queued ones. Checked after
 * every step of a life that moves draws through each status, on both databases.
 */
describeDb('entitlement use (held and queued per company and mineral)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t?.close());

  const rows = async (query: ReturnType<typeof sql>) => {
    const result = await t.database.db.execute(query);
    return (Array.isArray(result) ? result : (result as { rows: unknown[] }).rows) as Record<
      string,
      string
    >[];
  };
  const expectConsistent = async () => {
    const kept = await rows(
      sql`select company_id, mineral_code, held::text, queued::text from entitlement_use
          where held <> 0 or queued <> 0 order by 1, 2`,
    );
    const summed = await rows(
      sql`select company_id, mineral_code,
            coalesce(sum(quantity) filter (where status in (${sql.join(
              HOLDING.map((s) => sql`${s}`),
              sql`, `,
            )})), 0)::numeric(20, 3)::text as held,
            coalesce(sum(quantity) filter (where status = 'queued'), 0)::numeric(20, 3)::text as queued
          from draws group by 1, 2
          having sum(quantity) filter (where status in (${sql.join(
            HOLDING.map((s) => sql`${s}`),
            sql`, `,
          )}, 'queued')) > 0
          order by 1, 2`,
    );
    expect(kept).toEqual(summed);
    return kept;
  };

  it('equals the sums of the draws after every change of status', async () => {
    const r = await setupReserve(t, { lots: [{ quantity: '500' }], maxOutstanding: '1000' });
    const submit = async (quantity: string) => {
      const res = await t.api
        .post('/v1/draws')
        .set(bearer(r.company))
        .send({ mineralCode: r.mineralCode, quantity });
      expect(res.status).toBe(201);
      return res.body as { id: string; status: string };
    };
    const admin = (path: string, body: object = {}) => t.api.post(path).set(bearer(t.admin)).send(body);

    const a = await submit('10.5');
    const b = await submit('20');
    const c = await submit('30.25');
    const d = await submit('1');
    expect(await expectConsistent()).toEqual([
      { company_id: r.companyId, mineral_code: r.mineralCode, held: '61.750', queued: '0.000' },
    ]);
    expect((await admin(`/v1/draws/${a.id}/approve`)).status).toBe(200);
    await expectConsistent();
    expect((await admin(`/v1/draws/${b.id}/reject`, { reason: 'over plan' })).status).toBe(200);
    await expectConsistent();
    expect((await t.api.post(`/v1/draws/${c.id}/cancel`).set(bearer(r.company)).send({})).status).toBe(200);
    await expectConsistent();
    expect((await admin(`/v1/draws/${a.id}/fulfil`)).status).toBe(200);
    expect(await expectConsistent()).toEqual([
      { company_id: r.companyId, mineral_code: r.mineralCode, held: '1.000', queued: '0.000' },
    ]);

    // At emergency, submissions queue; a round approves some and rejects the rest.
    const declared = await t.api
      .post('/v1/disruptions')
      .set(bearer(t.admin))
      .send({ title: 'Export ban', mineralCodes: [r.mineralCode], level: 'emergency' });
    expect(declared.status).toBe(201);
    const q1 = await submit('300');
    const q2 = await submit('400');
    expect([q1.status, q2.status]).toEqual(['queued', 'queued']);
    expect(await expectConsistent()).toEqual([
      { company_id: r.companyId, mineral_code: r.mineralCode, held: '1.000', queued: '700.000' },
    ]);
    const round = await t.api
      .post('/v1/allocation-rounds')
      .set(bearer(t.admin))
      .send({ mineralCode: r.mineralCode });
    expect(round.status).toBe(201);
    const [after] = await expectConsistent();
    expect(after!.queued).toBe('0.000');
    expect(d.status).toBe('pending');
  });
});
