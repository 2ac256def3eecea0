import type postgres from 'postgres';
import { signToken } from '../../src/http/auth.js';
import { BENCH_AUTH, BENCH_SECRET, type Plan, POOL_MAX, READ_CONNECTIONS } from '../lib/config.js';
import { withBenchDatabase } from '../lib/pg.js';
import { describe, type Section, section } from '../lib/report.js';
import { measureBaselines, measureGet, noteDrifts, startApi } from '../lib/servers.js';
import { fmt, ratio } from '../lib/stats.js';

export const MARKET_SET = { minerals: 100, lots: 100_000, prices: 1_000_000 };

/**
 * The market data set, written straight into the database with INSERT … SELECT generate_series (the
 * API would take minutes for a million prices): MARKET_SET.minerals minerals BM1…BMn (every tenth
 * without a daily consumption, every third with a price floor), MARKET_SET.lots lots spread over
 * them (every tenth without a unit cost, five origins), and MARKET_SET.prices price records over
 * all minerals but the last two (which stay unpriced), one a minute back from now. The lots' cost
 * trigger is off during the bulk insert (100,000 single-row updates of 100 rows would dominate the
 * seeding); the per-mineral totals and on-hand are then set from the lots in one statement each,
 * as the migration's backfill does.
 */
export async function seedMarkets(sql: postgres.Sql): Promise<{ seconds: number }> {
  const t0 = Date.now();
  const { minerals, lots, prices } = MARKET_SET;
  await sql`insert into depots (id, code, name, country, created_at)
    values (gen_random_uuid(), 'BENCH_DEPOT', 'Bench depot', 'US', now())`;
  await sql`insert into minerals (code, name, unit, minimum_reserve, floor_price, daily_consumption,
      target_coverage_days, created_at, updated_at)
    select 'BM' || g, 'Bench mineral ' || g, case when g % 2 = 0 then 'kg' else 't' end, 100,
      case when g % 3 = 0 then 1000 + g else null end,
      case when g % 10 = 0 then null else 7 + g / 8.0 end::numeric(20, 3),
      60, now(), now()
    from generate_series(1, ${minerals}::int) g`;
  await sql`alter table lots disable trigger lots_track_value`;
  await sql`insert into lots (id, mineral_code, depot_id, quantity_received, quantity_on_hand,
      origin_country, unit_cost, source, received_at, created_at)
    select gen_random_uuid(), 'BM' || (g % ${minerals}::int + 1), (select id from depots limit 1),
      q, q, (array['AU', 'CA', 'CL', 'ZA', 'US'])[g % 5 + 1],
      case when g % 10 = 0 then null else (100 + (g % 9000) / 10.0)::numeric(20, 4) end,
      'procurement', now() - make_interval(secs => g), now()
    from generate_series(1, ${lots}::int) g, lateral (select (1 + (g % 997) / 8.0)::numeric(20, 3) as q) x`;
  await sql`alter table lots enable trigger lots_track_value`;
  await sql`update minerals m set on_hand = s.total
    from (select mineral_code, sum(quantity_on_hand) as total from lots group by mineral_code) s
    where s.mineral_code = m.code`;
  await sql`update lot_value_totals t set
      costed_on_hand = s.costed, book_value = s.book, unvalued_on_hand = s.unvalued
    from (select mineral_code,
            coalesce(sum(quantity_on_hand) filter (where unit_cost is not null), 0) as costed,
            coalesce(sum(quantity_on_hand * unit_cost), 0) as book,
            coalesce(sum(quantity_on_hand) filter (where unit_cost is null), 0) as unvalued
          from lots group by mineral_code) s
    where s.mineral_code = t.mineral_code`;
  await sql`insert into market_prices (id, mineral_code, price, as_of, source, created_at)
    select gen_random_uuid(), 'BM' || (g % ${minerals - 2}::int + 1),
      (500 + (g % 100000) / 100.0)::numeric(20, 4),
      now() - make_interval(mins => ${prices}::int - g), 'bench', now()
    from generate_series(1, ${prices}::int) g`;
  await sql`vacuum analyze`;
  return { seconds: (Date.now() - t0) / 1000 };
}

/**
 * Scenario "markets": GET /v1/valuation (one statement over 100 minerals, their lot cost totals and
 * the latest of 1,000,000 prices each) and GET /v1/inventory (first page, 50 positions, with the
 * coverage fields), beside the bare `SELECT 1` server; then GET /v1/inventory again with no daily
 * consumption set anywhere, so the coverage arithmetic is skipped: the closest this branch can come
 * to "inventory without the coverage fields". Targets: valuation ≥ 100 req/s; inventory with coverage
 * ≥ 0.5 of the figure without.
 */
export async function marketScenario(plan: Plan): Promise<Section> {
  const s = section(
    `Markets (${MARKET_SET.minerals} minerals, ${fmt(MARKET_SET.lots)} lots, ${fmt(MARKET_SET.prices)} prices; ${READ_CONNECTIONS} connections, pool ${POOL_MAX})`,
  );
  const result = await withBenchDatabase('markets', async (db) => {
    const seeded = await seedMarkets(db.sql);
    const { select1: baseline } = await measureBaselines(db.url, plan, { select1: { path: '/select1' } });
    const api = await startApi(db.url);
    try {
      const admin = await signToken(BENCH_AUTH, BENCH_SECRET, {
        role: 'admin',
        sub: 'bench-admin',
        ttlSeconds: 6 * 3600,
      });
      const headers = { authorization: `Bearer ${admin}` };
      const get = (path: string) => measureGet(api.url, path, plan, headers);
      // One look at the answers, so a broken endpoint cannot pass for a fast one.
      const sample = (await (await fetch(`${api.url}/v1/valuation`, { headers })).json()) as {
        minerals: unknown[];
        totals: { unpricedMineralCodes: string[]; marketValue: string };
      };
      if (sample.minerals.length !== MARKET_SET.minerals) throw new Error('valuation: wrong mineral count');
      const valuation = await get('/v1/valuation');
      const inventory = await get('/v1/inventory');
      await db.sql`update minerals set daily_consumption = null`;
      const inventoryBare = await get('/v1/inventory');
      return { seeded, sample: sample.totals, baseline, valuation, inventory, inventoryBare };
    } finally {
      await api.stop();
    }
  });
  const { baseline, valuation, inventory, inventoryBare } = result;
  const base = `SELECT 1 ${describe(baseline, baseline.rps)}`;
  s.rows.push({
    name: 'GET /v1/valuation',
    value: describe(valuation, valuation.rps),
    baseline: base,
    ratio: ratio(valuation.rps, baseline.rps),
  });
  s.rows.push({
    name: 'GET /v1/inventory (coverage)',
    value: describe(inventory, inventory.rps),
    baseline: base,
    ratio: ratio(inventory.rps, baseline.rps),
  });
  s.rows.push({
    name: 'GET /v1/inventory (no consumption)',
    value: describe(inventoryBare, inventoryBare.rps),
    baseline: base,
    ratio: ratio(inventoryBare.rps, baseline.rps),
  });
  s.notes.push(
    `seeded in ${fmt(result.seeded.seconds, 1)} s; valuation totals: market value ${result.sample.marketValue} USD, unpriced ${result.sample.unpricedMineralCodes.join(', ')}`,
  );
  s.notes.push(
    `target valuation ≥ 100 req/s: ${valuation.rps >= 100 ? 'met' : 'NOT met'} (${fmt(valuation.rps)}); ` +
      `inventory with coverage ÷ without: ${fmt(inventory.rps / inventoryBare.rps, 2)} (target ≥ 0.5: ${inventory.rps >= 0.5 * inventoryBare.rps ? 'met' : 'NOT met'})`,
  );
  noteDrifts(s, [
    ['SELECT 1 baseline', baseline],
    ['valuation', valuation],
    ['inventory (coverage)', inventory],
    ['inventory (no consumption)', inventoryBare],
  ]);
  s.data = { ...result };
  return s;
}
