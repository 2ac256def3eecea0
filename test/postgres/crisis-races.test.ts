import { randomBytes } from 'node:crypto';
import type postgres from 'postgres';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { dec } from '../../src/domain/decimal.js';
import { describeDb } from '../helpers/database.js';
import {
  call,
  entitlementUseDrift,
  type HttpResult,
  type ProcessCluster,
  startProcessCluster,
} from '../helpers/processes.js';

/**
 * Crisis operations across several API processes sharing one PostgreSQL database: queued
 * submissions, cancellations and allocation rounds of one mineral, all at once. Every queued draw
 * must be decided exactly once (by one round, or by its cancellation, never both), `reserved` must
 * equal the open holds and `queued` the queued draws, the floor must hold, and the chain must verify.
 */
const PROCESSES = 3;
const slug = (r: HttpResult) =>
  String(r.body.type ?? '')
    .split('/')
    .pop();

describeDb('crisis races across API processes (PostgreSQL)', () => {
  let cluster: ProcessCluster;
  let sql: postgres.Sql;
  let admin: string;
  let auditor: string;
  const api = (i: number) => cluster.url(i);

  beforeAll(async () => {
    cluster = await startProcessCluster(PROCESSES, 'crisis');
    ({ sql, admin, auditor } = cluster);
  }, 90_000);
  afterAll(() => cluster?.stop());

  it('decides every queued draw exactly once under concurrent submissions, cancellations and rounds', async () => {
    const code = `CRISIS_${randomBytes(4).toString('hex').toUpperCase()}`;
    expect(
      (
        await call(api(0), 'POST', '/v1/minerals', admin, {
          code,
          name: code,
          unit: 'kg',
          minimumReserve: '50',
        })
      ).status,
    ).toBe(201);
    const depot = await call(api(1), 'POST', '/v1/depots', admin, {
      code: `D_${code}`,
      name: 'D',
      country: 'US',
    });
    for (const quantity of ['80', '120']) {
      const lot = await call(api(2), 'POST', '/v1/lots', admin, {
        mineralCode: code,
        depotId: depot.body.id,
        quantity,
        originCountry: 'AU',
      });
      expect(lot.status).toBe(201);
    }
    const classes = ['DX', 'DO', 'DO', 'unrated', 'unrated', 'unrated', 'DO', 'unrated'];
    const members = await Promise.all(
      classes.map(async (priorityClass, i) => {
        const company = await call(api(i), 'POST', '/v1/companies', admin, { name: `M${i}`, country: 'US' });
        const companyId = company.body.id as string;
        const agreement = await call(api(i + 1), 'POST', `/v1/companies/${companyId}/agreements`, admin, {
          mineralCode: code,
          unitPrice: '500',
          maxOutstanding: String(40 + i * 10),
          replenishmentDays: 30,
          premiumPercent: '0',
          priorityClass,
        });
        expect(agreement.status).toBe(201);
        return {
          companyId,
          token: await cluster.companyToken(companyId, `m-${companyId}`),
        };
      }),
    );
    const declared = await call(api(0), 'POST', '/v1/disruptions', admin, {
      title: 'Export ban',
      mineralCodes: [code],
      level: 'emergency',
    });
    expect(declared.status).toBe(201);

    const quantities = ['1', '2.5', '3.333', '4', '0.5'];
    const submitWave = (n: number, offset: number) =>
      Array.from({ length: n }, (_, i) => {
        const who = members[(i + offset) % members.length]!;
        return call(api(i + offset), 'POST', '/v1/draws', who.token, {
          mineralCode: code,
          quantity: quantities[i % quantities.length]!,
        });
      });
    const first = await Promise.all(submitWave(60, 0));
    for (const r of first) {
      if (r.status !== 201) expect(slug(r)).toBe('entitlement-exceeded');
      else expect(r.body.status).toBe('queued');
    }
    const queuedFirst = first.filter((r) => r.status === 201);
    expect(queuedFirst.length).toBeGreaterThan(30);

    // Everything at once: more submissions, cancellations of half the first wave (owner or admin),
    // and three rounds on three processes.
    const toCancel = queuedFirst.filter((_, i) => i % 2 === 0);
    const ownerOf = (r: HttpResult) => members.find((m) => m.companyId === r.body.companyId)!;
    const [second, cancels, rounds] = await Promise.all([
      Promise.all(submitWave(30, 3)),
      Promise.all(
        toCancel.map((r, i) =>
          call(api(i), 'POST', `/v1/draws/${r.body.id}/cancel`, i % 3 === 0 ? admin : ownerOf(r).token, {
            reason: 'found other supply',
          }),
        ),
      ),
      Promise.all(
        [0, 1, 2].map((i) =>
          call(
            api(i),
            'POST',
            '/v1/allocation-rounds',
            admin,
            { mineralCode: code },
            {
              'idempotency-key': `round-${code}-${i}`,
            },
          ),
        ),
      ),
    ]);
    for (const r of second) {
      if (r.status !== 201) expect(slug(r)).toBe('entitlement-exceeded');
      else expect(r.body.status).toBe('queued');
    }
    for (const r of rounds) {
      if (r.status !== 201) {
        expect(r.status, JSON.stringify(r.body)).toBe(409);
        expect(['nothing-to-allocate', 'insufficient-stock']).toContain(slug(r));
      }
    }
    for (const r of cancels) {
      if (r.status !== 200) {
        expect(r.status, JSON.stringify(r.body)).toBe(409);
        expect(slug(r)).toBe('invalid-state-transition');
      }
    }
    // Whatever is still queued goes to a final round (a round needs stock above the floor).
    const [still] =
      await sql`select count(*)::int as n from draws where mineral_code = ${code} and status = 'queued'`;
    if (still!.n > 0) {
      const last = await call(api(1), 'POST', '/v1/allocation-rounds', admin, {
        mineralCode: code,
        supply: '1',
      });
      expect([201, 409]).toContain(last.status);
      if (last.status === 409) {
        // Nothing above the floor: release it by declaring nothing new but supplying from the floor.
        const floor = await call(api(1), 'POST', '/v1/allocation-rounds', admin, {
          mineralCode: code,
          supply: '0.001',
        });
        expect(floor.status, JSON.stringify(floor.body)).toBe(201);
      }
    }

    // Exactly once: no draw left queued, none both cancelled and in a round, every decided draw in one round.
    const draws =
      await sql`select id, status, quantity::text, requested_quantity::text, allocation_round_id, reason
      from draws where mineral_code = ${code}`;
    expect(draws.filter((d) => d.status === 'queued')).toHaveLength(0);
    const allocations = await sql`select a->>'drawId' as draw_id, count(*)::int as n,
        sum((a->>'allocated')::numeric)::text as allocated
      from allocation_rounds r cross join json_array_elements(r.allocations) a
      where r.mineral_code = ${code} group by a->>'drawId'`;
    const byDraw = new Map(allocations.map((a) => [a.draw_id as string, a]));
    const cancelEvents = await sql`select entity_id, data->>'from' as "from", actor->>'role' as role, seq
      from audit_events where action = 'draw.cancelled' and entity_id in ${sql(draws.map((d) => d.id as string))}`;
    const cancelOf = new Map(cancelEvents.map((e) => [e.entity_id as string, e]));
    for (const d of draws) {
      const a = byDraw.get(d.id);
      if (d.status === 'cancelled') {
        const cancel = cancelOf.get(d.id)!;
        if (cancel.from === 'queued') {
          // Cancelled while queued: no round decided it.
          expect(a, `cancelled draw ${d.id} was also allocated`).toBeUndefined();
          expect(d.allocation_round_id).toBeNull();
        } else {
          // A round allocated it first; an admin then cancelled the approved draw (allowed).
          expect(cancel).toMatchObject({ from: 'approved', role: 'admin' });
          expect(a?.n).toBe(1);
        }
      } else {
        expect(a?.n, `draw ${d.id} (${d.status})`).toBe(1);
        expect(d.allocation_round_id).not.toBeNull();
        if (d.status === 'approved') expect(dec(a!.allocated).eq(d.quantity)).toBe(true);
        else {
          expect(d.status).toBe('rejected');
          expect(dec(a!.allocated).isZero()).toBe(true);
          expect(['not allocated', 'not eligible']).toContain(d.reason);
        }
      }
    }
    for (const r of cancels.filter((c) => c.status === 200)) {
      expect(draws.find((d) => d.id === r.body.id)!.status).toBe('cancelled');
    }
    // Every successful submission is a draw; every round answer matches what was stored.
    const ok = [...queuedFirst, ...second.filter((r) => r.status === 201)];
    expect(draws).toHaveLength(ok.length);
    for (const r of rounds.filter((x) => x.status === 201)) {
      const [stored] =
        await sql`select allocated_total::text from allocation_rounds where id = ${r.body.id as string}`;
      expect(dec(stored!.allocated_total).eq(String(r.body.allocatedTotal))).toBe(true);
    }

    // Stock: reserved = open holds, queued = 0, the floor held except where a round said it used it.
    const [m] =
      await sql`select on_hand::text, reserved::text, queued::text, minimum_reserve::text from minerals where code = ${code}`;
    const [holds] =
      await sql`select coalesce(sum(quantity), 0)::text as total from draws where mineral_code = ${code} and status in ('pending', 'approved')`;
    const [floorUsed] =
      await sql`select coalesce(sum(floor_used), 0)::text as total from allocation_rounds where mineral_code = ${code}`;
    expect(dec(m!.reserved).eq(holds!.total)).toBe(true);
    expect(dec(m!.queued).isZero()).toBe(true);
    expect(dec(m!.reserved).lte(dec(m!.on_hand).minus(m!.minimum_reserve).plus(floorUsed!.total))).toBe(true);
    expect(dec(m!.reserved).lte(m!.on_hand)).toBe(true);
    // Each company's kept totals equal its draws' sums after every round and cancellation.
    const drifted = await entitlementUseDrift(sql, code);
    expect(drifted).toHaveLength(0);

    // The chain is gapless and valid.
    const verify = await call(api(2), 'GET', '/v1/audit-events/verify', auditor);
    expect(verify.body).toMatchObject({ valid: true, firstInvalidSeq: null });
    const [seqs] =
      await sql`select min(seq)::int as lo, max(seq)::int as hi, count(*)::int as n from audit_events`;
    expect(seqs).toMatchObject({ lo: 1, hi: seqs!.n });
    // One draw.allocated or draw.rejected per decided draw, one draw.cancelled per cancellation.
    const [counts] = await sql`select
        count(*) filter (where action in ('draw.allocated', 'draw.rejected'))::int as decided,
        count(*) filter (where action = 'draw.cancelled')::int as cancelled
      from audit_events where entity_type = 'draw' and entity_id in ${sql(draws.map((d) => d.id as string))}`;
    expect(counts!.decided).toBe(byDraw.size);
    expect(counts!.cancelled).toBe(draws.filter((d) => d.status === 'cancelled').length);
  });
});
