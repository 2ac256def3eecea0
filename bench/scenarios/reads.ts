import { type Plan, POOL_MAX, READ_CONNECTIONS } from '../lib/config.js';
import type { Measurement } from '../lib/load.js';
import { withBenchDatabase } from '../lib/pg.js';
import { describe, type Section, section } from '../lib/report.js';
import { READ_SET, seedDataset } from '../lib/seed.js';
import { measureBaselines, measureGet, noteDrifts, startApi } from '../lib/servers.js';
import { fmt, ratio } from '../lib/stats.js';

/** The reads measured, each with the baseline route that returns the same rows and the ratio's target. */
const READS = [
  { name: 'GET /v1/inventory', api: '/v1/inventory', raw: '/inventory', target: 'select1' },
  { name: 'GET /v1/draws?limit=50', api: '/v1/draws?limit=50', raw: '/draws', target: 'rows' },
  { name: 'GET /v1/draws/{id}', api: '/v1/draws/:id', raw: '/draws/:id', target: 'select1' },
] as const;
const TARGET_RATIO = 0.5;

/**
 * Scenario 1: reads under READ_CONNECTIONS connections (20 minerals, 500 draws seeded), each beside
 * three baselines on the same database and pool size (bench/baseline-server.ts): `SELECT 1`; the same
 * rows from one raw postgres.js query with Fastify's default serializer ("rows"); and those behind the
 * API's token verification ("rows + JWT"). So an API read's cost splits into the query (rows ÷
 * SELECT 1), authentication (rows + JWT ÷ rows) and the rest — validation, serialization, drizzle,
 * hooks (API ÷ rows + JWT).
 */
export async function readScenario(plan: Plan): Promise<Section> {
  const s = section(`Reads (${READ_CONNECTIONS} connections, pool ${POOL_MAX})`);
  const result = await withBenchDatabase('reads', async (db) => {
    const api = await startApi(db.url);
    try {
      const data = await seedDataset(api.url, READ_SET);
      const headers = { authorization: `Bearer ${data.admin}` };
      const page = (await (await fetch(`${api.url}/v1/draws?limit=1`, { headers })).json()) as {
        data: { id: string }[];
      };
      const drawId = page.data[0]?.id;
      if (!drawId) throw new Error('reads: no draw seeded');
      const at = (path: string) => path.replace(':id', drawId);
      const baselines = await measureBaselines(db.url, plan, {
        select1: { path: '/select1' },
        ...Object.fromEntries(
          READS.flatMap((r) => [
            [`rows ${r.name}`, { path: `/raw${at(r.raw)}` }],
            [`jwt ${r.name}`, { path: `/raw-jwt${at(r.raw)}`, headers }],
          ]),
        ),
      });
      const reads: Record<string, Measurement> = {};
      for (const r of READS) reads[r.name] = await measureGet(api.url, at(r.api), plan, headers);
      return { baselines: baselines as Record<string, Measurement>, reads };
    } finally {
      await api.stop();
    }
  });
  const { baselines, reads } = result;
  const select1 = baselines.select1!;
  const base = `SELECT 1 ${describe(select1, select1.rps)}`;
  for (const r of READS) {
    const apiRead = reads[r.name]!;
    const rows = baselines[`rows ${r.name}`]!;
    const jwt = baselines[`jwt ${r.name}`]!;
    s.rows.push({
      name: r.name,
      value: describe(apiRead, apiRead.rps),
      baseline: base,
      ratio: ratio(apiRead.rps, select1.rps),
    });
    s.rows.push({
      name: `  same rows, raw query`,
      value: describe(rows, rows.rps),
      baseline: base,
      ratio: ratio(rows.rps, select1.rps),
    });
    s.rows.push({
      name: `  same rows, raw query + JWT`,
      value: describe(jwt, jwt.rps),
      baseline: base,
      ratio: ratio(jwt.rps, select1.rps),
    });
    const [against, label] = r.target === 'rows' ? [rows, 'the same rows'] : [select1, 'SELECT 1'];
    const reached = ratio(apiRead.rps, against.rps);
    s.notes.push(
      `${r.name}: ÷ ${label} ${fmt(reached, 2)} (target ≥ ${TARGET_RATIO}: ${reached >= TARGET_RATIO ? 'met' : 'NOT met'}); ` +
        `split: query (rows ÷ SELECT 1) ${fmt(ratio(rows.rps, select1.rps), 2)}, ` +
        `authentication (rows + JWT ÷ rows) ${fmt(ratio(jwt.rps, rows.rps), 2)}, ` +
        `the rest (API ÷ rows + JWT) ${fmt(ratio(apiRead.rps, jwt.rps), 2)}`,
    );
  }
  noteDrifts(s, [['SELECT 1 baseline', select1], ...READS.map((r) => [r.name, reads[r.name]!] as const)]);
  s.data = { baselines, reads };
  return s;
}
