import { BENCH_SECRET, type Plan, POOL_MAX, READ_CONNECTIONS } from '../lib/config.js';
import { type Measurement, measure } from '../lib/load.js';
import { withBenchDatabase } from '../lib/pg.js';
import { startServer } from '../lib/processes.js';
import { describe, drift, type Section, section } from '../lib/report.js';
import { READ_SET, seedDataset } from '../lib/seed.js';
import { ratio } from '../lib/stats.js';

/**
 * Scenario 1: reads under READ_CONNECTIONS connections — GET /v1/inventory (20 positions) and the first
 * page of GET /v1/draws?limit=50 (500 draws seeded) as an admin, against the bare Fastify + postgres.js
 * `SELECT 1` server on the same pool size. The ratio is what our stack costs per request: JWT
 * verification, zod validation and serialization, drizzle, and real queries instead of SELECT 1.
 */
export async function readScenario(plan: Plan): Promise<Section> {
  const s = section(`Reads (${READ_CONNECTIONS} connections, pool ${POOL_MAX})`);
  const result = await withBenchDatabase('reads', async (db) => {
    const baselineServer = await startServer('bench/baseline-server.ts', {
      DATABASE_URL: db.url,
      DB_POOL_MAX: String(POOL_MAX),
    });
    let baseline: Measurement;
    try {
      baseline = await measure(
        [
          {
            url: baselineServer.url,
            connections: READ_CONNECTIONS,
            requests: [{ method: 'GET', path: '/select1' }],
          },
        ],
        plan,
      );
    } finally {
      await baselineServer.stop();
    }
    const api = await startServer('src/server.ts', {
      DATABASE_URL: db.url,
      AUTH_JWT_SECRET: BENCH_SECRET,
      DB_POOL_MAX: String(POOL_MAX),
    });
    try {
      const data = await seedDataset(api.url, READ_SET);
      const headers = { authorization: `Bearer ${data.admin}` };
      const get = (path: string) =>
        measure(
          [{ url: api.url, connections: READ_CONNECTIONS, requests: [{ method: 'GET', path, headers }] }],
          plan,
        );
      const inventory = await get('/v1/inventory');
      const draws = await get('/v1/draws?limit=50');
      return { baseline, inventory, draws };
    } finally {
      await api.stop();
    }
  });
  const { baseline, inventory, draws } = result;
  const base = `SELECT 1 ${describe(baseline, baseline.rps)}`;
  s.rows.push({
    name: 'GET /v1/inventory',
    value: describe(inventory, inventory.rps),
    baseline: base,
    ratio: ratio(inventory.rps, baseline.rps),
  });
  s.rows.push({
    name: 'GET /v1/draws?limit=50',
    value: describe(draws, draws.rps),
    baseline: base,
    ratio: ratio(draws.rps, baseline.rps),
  });
  for (const [name, m] of [
    ['SELECT 1 baseline', baseline],
    ['inventory', inventory],
    ['draws page', draws],
  ] as const) {
    const non200 = Object.entries(m.statusRate).filter(([code]) => code !== '200');
    s.notes.push(
      `${name}: ${drift(m)}${non200.length ? `; non-200: ${non200.map(([c, r]) => `${c} ${Math.round(r)}/s`).join(', ')}` : ''}`,
    );
  }
  s.data = { baseline, inventory, draws };
  return s;
}
