import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import type postgres from 'postgres';
import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import { dec, sum } from '../../src/domain/decimal.js';
import { describeDb } from '../helpers/database.js';
import { slug as problemSlug } from '../helpers/factories.js';
import {
  call,
  entitlementUseDrift,
  type HttpResult,
  type ProcessCluster,
  startProcessCluster,
} from '../helpers/processes.js';

/**
 * Races across several real API processes sharing one PostgreSQL database. Every interleaving must
 * keep the invariants: no over-commitment of stock or entitlement, no lot below zero, no draw
 * fulfilled twice, reserved = Σ open holds, ledger Σ = on hand, a gapless valid audit chain.
 */
const PROCESSES = 3;
const slug = (r: HttpResult) => problemSlug(r.body);

describeDb('races across API processes (PostgreSQL)', () => {
  let cluster: ProcessCluster;
  let sql: postgres.Sql;
  let admin: string;
  let auditor: string;
  // Each test draws from its own seeded sequence, so it plays out the same whether it runs alone or
  // after the others.
  const rng = fc.sample(fc.integer({ min: 0, max: 1_000_000 }), { seed: 20261121, numRuns: 5000 });
  let rngAt = 0;
  const random = (n: number) => rng[rngAt++ % rng.length]! % n;
  beforeEach(() => {
    rngAt = 0;
  });
  const api = (i: number) => cluster.url(i);

  beforeAll(async () => {
    cluster = await startProcessCluster(PROCESSES, 'race');
    ({ sql, admin, auditor } = cluster);
  }, 90_000);
  afterAll(() => cluster?.stop());

  async function mineral(minimumReserve: string, lots: string[]) {
    const code = `RACE_${randomBytes(4).toString('hex').toUpperCase()}`;
    expect(
      (await call(api(0), 'POST', '/v1/minerals', admin, { code, name: code, unit: 'kg', minimumReserve }))
        .status,
    ).toBe(201);
    const depot = await call(api(1), 'POST', '/v1/depots', admin, {
      code: `D_${code}`,
      name: 'Depot',
      country: 'US',
    });
    for (const quantity of lots) {
      const lot = await call(api(2), 'POST', '/v1/lots', admin, {
        mineralCode: code,
        depotId: depot.body.id,
        quantity,
        originCountry: 'AU',
      });
      expect(lot.status).toBe(201);
    }
    return code;
  }

  async function member(mineralCode: string, maxOutstanding: string) {
    const company = await call(api(0), 'POST', '/v1/companies', admin, { name: 'Racer', country: 'US' });
    const companyId = company.body.id as string;
    const agreement = await call(api(1), 'POST', `/v1/companies/${companyId}/agreements`, admin, {
      mineralCode,
      unitPrice: '750',
      maxOutstanding,
      replenishmentDays: 30,
      premiumPercent: '2.5',
    });
    expect(agreement.status).toBe(201);
    return {
      companyId,
      token: await cluster.companyToken(companyId, `racer-${companyId}`),
    };
  }

  /** The invariants every interleaving must keep, read straight from the tables. */
  async function expectInvariants(mineralCode: string) {
    const [m] =
      await sql`select on_hand::text, reserved::text, minimum_reserve::text from minerals where code = ${mineralCode}`;
    const [lots] =
      await sql`select coalesce(sum(quantity_on_hand), 0)::text as total, count(*) filter (where quantity_on_hand < 0)::int as negative from lots where mineral_code = ${mineralCode}`;
    const [ledger] =
      await sql`select coalesce(sum(quantity), 0)::text as total from stock_movements where mineral_code = ${mineralCode}`;
    const [holds] =
      await sql`select coalesce(sum(quantity), 0)::text as total from draws where mineral_code = ${mineralCode} and status in ('pending', 'approved')`;
    const doubles =
      await sql`select d.id from draws d join draw_allocations a on a.draw_id = d.id where d.mineral_code = ${mineralCode} group by d.id, d.quantity having sum(a.quantity) <> d.quantity`;
    const orphans =
      await sql`select id from draws where mineral_code = ${mineralCode} and (status = 'fulfilled') <> (obligation_id is not null)`;
    expect(lots!.negative).toBe(0);
    expect(dec(lots!.total).eq(m!.on_hand)).toBe(true);
    expect(dec(ledger!.total).eq(m!.on_hand)).toBe(true);
    expect(dec(holds!.total).eq(m!.reserved)).toBe(true);
    // The per-company totals the triggers keep equal the sums they replace, whatever the interleaving.
    const drifted = await entitlementUseDrift(sql, mineralCode);
    expect(doubles).toHaveLength(0);
    expect(orphans).toHaveLength(0);
    expect(drifted).toHaveLength(0);
    return m!;
  }

  it('never over-commits scarce stock, whatever the interleaving of submissions', async () => {
    const code = await mineral('10', ['40', '40', '40']); // drawable 110
    const members = await Promise.all(Array.from({ length: 10 }, () => member(code, '1000')));
    const quantities = ['0.5', '1', '1.25', '2', '3.333'];
    const attempts = Array.from({ length: 300 }, (_, i) => ({
      who: members[random(members.length)]!,
      quantity: quantities[random(quantities.length)]!,
      api: api(i),
    }));
    const results = await Promise.all(
      attempts.map((a) =>
        call(a.api, 'POST', '/v1/draws', a.who.token, { mineralCode: code, quantity: a.quantity }),
      ),
    );
    const accepted = results.filter((r) => r.status === 201);
    const refused = attempts.filter((_, i) => results[i]!.status !== 201);
    for (const r of results) {
      if (r.status !== 201) {
        expect(r.status, JSON.stringify(r.body)).toBe(409);
        expect(slug(r)).toBe('insufficient-stock');
      }
    }
    const held = sum(accepted.map((r) => String(r.body.quantity)));
    expect(held.lte(110)).toBe(true);
    expect(accepted.length).toBeGreaterThan(30);
    // Drawable only shrank during the burst, so each refusal asked for more than what is left now.
    const position = await call(api(0), 'GET', `/v1/inventory/${code}`, auditor);
    expect(dec(String(position.body.reserved)).eq(held)).toBe(true);
    for (const r of refused) expect(dec(r.quantity).gt(String(position.body.drawable))).toBe(true);
    await expectInvariants(code);

    // Now race the transitions: approve+fulfil (with a duplicate fulfil on another process),
    // company cancel against admin approve, admin cancel against fulfil.
    const draws = accepted.map((r) => ({
      id: r.body.id as string,
      token: attempts[results.indexOf(r)]!.who.token,
    }));
    const outcomes = await Promise.all(
      draws.map(async (d, i) => {
        const plan = random(3);
        if (plan === 0) {
          await call(api(i), 'POST', `/v1/draws/${d.id}/approve`, admin);
          return Promise.all([
            call(api(i + 1), 'POST', `/v1/draws/${d.id}/fulfil`, admin),
            call(api(i + 2), 'POST', `/v1/draws/${d.id}/fulfil`, admin),
          ]);
        }
        if (plan === 1) {
          return Promise.all([
            call(api(i), 'POST', `/v1/draws/${d.id}/cancel`, d.token, { reason: 'supply found' }),
            call(api(i + 1), 'POST', `/v1/draws/${d.id}/approve`, admin),
          ]);
        }
        await call(api(i), 'POST', `/v1/draws/${d.id}/approve`, admin);
        return Promise.all([
          call(api(i + 1), 'POST', `/v1/draws/${d.id}/cancel`, admin),
          call(api(i + 2), 'POST', `/v1/draws/${d.id}/fulfil`, admin),
        ]);
      }),
    );
    for (const pair of outcomes) {
      const statuses = pair.map((r) => r.status).sort();
      // Exactly one side of every race wins; the loser gets the documented 409.
      expect(statuses, JSON.stringify(pair.map((r) => r.body))).toEqual([200, 409]);
      expect(slug(pair.find((r) => r.status === 409)!)).toBe('invalid-state-transition');
    }
    const fulfilled =
      await sql`select count(*)::int as n, coalesce(sum(quantity), 0)::text as q from draws where mineral_code = ${code} and status = 'fulfilled'`;
    const obligations = await sql`select count(*)::int as n from obligations where mineral_code = ${code}`;
    expect(obligations[0]!.n).toBe(fulfilled[0]!.n);
    const m = await expectInvariants(code);
    expect(dec(m.on_hand).eq(dec('120').minus(fulfilled[0]!.q))).toBe(true);
  });

  it("never exceeds a company's entitlement under concurrent submissions", async () => {
    const code = await mineral('0', ['10000']);
    const racer = await member(code, '10');
    const results = await Promise.all(
      Array.from({ length: 60 }, (_, i) =>
        call(api(i), 'POST', '/v1/draws', racer.token, { mineralCode: code, quantity: '0.5' }),
      ),
    );
    expect(results.filter((r) => r.status === 201)).toHaveLength(20);
    for (const r of results.filter((r) => r.status !== 201)) expect(slug(r)).toBe('entitlement-exceeded');
    await expectInvariants(code);
  });

  it('executes one Idempotency-Key once, whichever process receives it', async () => {
    const code = await mineral('0', ['500']);
    const racer = await member(code, '100');
    const key = `race-${randomBytes(8).toString('hex')}`;
    const body = { mineralCode: code, quantity: '7.5' };
    const results = await Promise.all(
      Array.from({ length: 24 }, (_, i) =>
        call(api(i), 'POST', '/v1/draws', racer.token, body, { 'idempotency-key': key }),
      ),
    );
    const created = results.filter((r) => r.status === 201);
    expect(created.length).toBeGreaterThanOrEqual(1);
    expect(new Set(created.map((r) => r.body.id)).size).toBe(1);
    for (const r of results.filter((r) => r.status !== 201)) {
      expect(r.status).toBe(409);
      expect(slug(r)).toBe('idempotency-key-in-progress');
    }
    const rows = await sql`select count(*)::int as n from draws where company_id = ${racer.companyId}`;
    expect(rows[0]!.n).toBe(1);
    const replay = await call(api(1), 'POST', '/v1/draws', racer.token, body, { 'idempotency-key': key });
    expect(replay.status).toBe(201);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(replay.body.id).toBe(created[0]!.body.id);
    await expectInvariants(code);
  });

  it('keeps the audit chain gapless and valid under concurrent writers in every process', async () => {
    // Its own burst of writes (not the earlier tests' data): submissions, decisions and reference data
    // from all processes at once, every one appending to the one chain.
    const code = await mineral('0', ['1000']);
    const racers = await Promise.all(Array.from({ length: 4 }, () => member(code, '1000')));
    const results = await Promise.all(
      Array.from({ length: 90 }, (_, i) =>
        i % 3 === 2
          ? call(api(i), 'POST', '/v1/depots', admin, {
              code: `D_${code}_${i}`,
              name: 'Depot',
              country: 'US',
            })
          : call(api(i), 'POST', '/v1/draws', racers[i % racers.length]!.token, {
              mineralCode: code,
              quantity: '1',
            }),
      ),
    );
    expect(results.every((r) => r.status === 201)).toBe(true);
    await Promise.all(
      results
        .filter((r) => r.body.mineralCode === code)
        .map((r, i) => call(api(i), 'POST', `/v1/draws/${r.body.id}/approve`, admin)),
    );
    const seqs =
      await sql`select min(seq)::int as lo, max(seq)::int as hi, count(*)::int as n from audit_events`;
    expect(seqs[0]!.n).toBeGreaterThanOrEqual(150);
    expect(seqs[0]).toMatchObject({ lo: 1, hi: seqs[0]!.n });
    const forks =
      await sql`select count(*)::int as n from audit_events a join audit_events b on b.seq = a.seq + 1 where b.prev_hash <> a.hash`;
    expect(forks[0]!.n).toBe(0);
    const verify = await call(api(2), 'GET', '/v1/audit-events/verify', auditor);
    expect(verify.body).toMatchObject({ valid: true, eventsChecked: seqs[0]!.n, firstInvalidSeq: null });
  });
});
