import type { Request } from 'autocannon';
import { BENCH_SECRET, DATA_SEED, DRAW_CONNECTIONS, type Plan, POOL_MAX } from '../lib/config.js';
import { type CpuUse, cpuMeter, describeCpu } from '../lib/cpu.js';
import { runCeiling } from '../lib/draw-ceiling.js';
import { checkInvariants, type InvariantReport } from '../lib/invariants.js';
import { type Measurement, measure, rateOf } from '../lib/load.js';
import { type BenchDatabase, withBenchDatabase } from '../lib/pg.js';
import { pgbenchVersion, runPgbench } from '../lib/pgbench.js';
import { startServer } from '../lib/processes.js';
import { describe, drift, ms, rps, type Section, section } from '../lib/report.js';
import { type Dataset, DRAW_SET, seedDataset } from '../lib/seed.js';
import { withSeedingApp } from '../lib/seeding-app.js';
import { fmt, ratio, seededRandom } from '../lib/stats.js';

export type Placement = 'hot' | 'spread';

/** Target of the issue: the HTTP service accepts at least this share of the postgres.js ceiling. */
export const CEILING_TARGET = 0.6;
/** pgbench clients: "-c 16 or so" in the issue; more clients only queue on the hot row. */
export const PGBENCH_CLIENTS = 16;

/**
 * The draw mix: every request a draw of 1 unit by a company picked at random (seeded), of the hot
 * mineral BM1 or of one of the 20 minerals. Bodies and headers are built once per (company, mineral).
 */
export function drawRequests(data: Dataset, placement: Placement, seed = DATA_SEED + 1): Request[] {
  const random = seededRandom(seed);
  const minerals = placement === 'hot' ? data.minerals.slice(0, 1) : data.minerals;
  const combos = data.companies.flatMap((c) =>
    minerals.map((code) => ({
      headers: { authorization: `Bearer ${c.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ mineralCode: code, quantity: '1' }),
    })),
  );
  return [
    {
      method: 'POST',
      path: '/v1/draws',
      setupRequest: (request) => ({ ...request, ...combos[Math.floor(random() * combos.length)]! }),
    },
  ];
}

/** The same mix for the direct (non-HTTP) runs. */
function drawPicker(data: Dataset, placement: Placement, seed = DATA_SEED + 1) {
  const random = seededRandom(seed);
  const minerals = placement === 'hot' ? data.minerals.slice(0, 1) : data.minerals;
  return () => ({
    companyId: data.companies[Math.floor(random() * data.companies.length)]!.id,
    mineralCode: minerals[Math.floor(random() * minerals.length)]!,
  });
}

const apiEnv = (db: BenchDatabase, poolMax = POOL_MAX) => ({
  DATABASE_URL: db.url,
  AUTH_JWT_SECRET: BENCH_SECRET,
  DB_POOL_MAX: String(poolMax),
});

const invariantNote = (label: string, inv: InvariantReport) =>
  inv.violations.length === 0
    ? `${label}: invariants hold (${fmt(inv.draws)} draws, ${fmt(inv.events)} audit events, chain gapless and linked)`
    : `${label}: ${inv.violations.length} INVARIANT VIOLATIONS: ${inv.violations.slice(0, 5).join('; ')}`;

export interface HttpDrawRun {
  measurement: Measurement;
  invariants: InvariantReport;
  cpu: CpuUse;
}

/** Draws through HTTP against `processes` API processes on one fresh database. */
export async function httpDraws(
  plan: Plan,
  placement: Placement,
  options: {
    processes?: number;
    nodeArgs?: string[];
    label?: string;
    /** Runs after seeding, before the measurement (e.g. declares a disruption). */
    prepare?: (url: string, data: Dataset) => Promise<void>;
  } = {},
): Promise<HttpDrawRun> {
  const processes = options.processes ?? 1;
  return withBenchDatabase(options.label ?? `draws_${placement}`, async (db) => {
    const servers = await Promise.all(
      Array.from({ length: processes }, () =>
        startServer('src/server.ts', apiEnv(db), options.nodeArgs ?? []),
      ),
    );
    try {
      const data = await seedDataset(servers[0]!.url, DRAW_SET);
      await options.prepare?.(servers[0]!.url, data);
      const meter = cpuMeter(servers.map((s) => s.pid));
      const measurement = await measure(
        servers.map((s, i) => ({
          url: s.url,
          // The connections are split evenly; each process gets its own autocannon instance.
          connections: Math.floor(DRAW_CONNECTIONS / processes) + (i < DRAW_CONNECTIONS % processes ? 1 : 0),
          requests: drawRequests(data, placement, DATA_SEED + 1 + i),
        })),
        plan,
      );
      const cpu = meter.stop();
      await Promise.all(servers.map((s) => s.stop()));
      return { measurement, cpu, invariants: await checkInvariants(db.sql, { recomputeHashes: true }) };
    } finally {
      await Promise.all(servers.map((s) => s.stop()));
    }
  });
}

/**
 * Declares an emergency on the hot mineral: every submission is then queued (no stock check, no
 * hold; the cap is the whole entitlement), as in a crisis before a round.
 */
async function declareEmergency(url: string, data: Dataset): Promise<void> {
  const res = await fetch(`${url}/v1/disruptions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${data.admin}`, 'content-type': 'application/json' },
    body: JSON.stringify({ title: 'Bench emergency', mineralCodes: [data.minerals[0]], level: 'emergency' }),
  });
  if (res.status !== 201) throw new Error(`declaring the emergency: ${res.status} ${await res.text()}`);
}

/** Scenario 2: contended draw submission, HTTP vs the postgres.js ceiling vs pgbench. */
export async function drawScenario(plan: Plan, placement: Placement): Promise<Section> {
  const where = placement === 'hot' ? 'one hot mineral' : '20 minerals';
  const s = section(`Draw submission, contended: ${where} (${DRAW_CONNECTIONS} clients, pool ${POOL_MAX})`);

  const http = await httpDraws(plan, placement);
  const m = http.measurement;
  const accepted = (w: Measurement['first']) => rateOf(w, '201');

  const ceiling = await withBenchDatabase(`ceiling_${placement}`, async (db) => {
    const data = await withSeedingApp(db.url, (url) => seedDataset(url, DRAW_SET));
    const result = await runCeiling({
      url: db.url,
      poolMax: POOL_MAX,
      concurrency: DRAW_CONNECTIONS,
      seconds: plan.directSeconds,
      next: drawPicker(data, placement),
    });
    return { result, invariants: await checkInvariants(db.sql, { recomputeHashes: true }) };
  });

  const version = await pgbenchVersion();
  const pgbench = version
    ? await withBenchDatabase(`pgbench_${placement}`, async (db) => {
        await withSeedingApp(db.url, (url) => seedDataset(url, DRAW_SET));
        const result = await runPgbench({
          url: db.url,
          clients: PGBENCH_CLIENTS,
          seconds: plan.directSeconds,
          minerals: placement === 'hot' ? 1 : DRAW_SET.minerals,
          companies: DRAW_SET.companies,
        });
        return { result, invariants: await checkInvariants(db.sql, { recomputeHashes: false }) };
      })
    : null;

  const httpRate = m.statusRate['201'] ?? 0;
  const c = ceiling.result;
  s.rows.push({
    name: 'HTTP accepted draws/s (median window)',
    value: describe(m, httpRate, 'draws/s'),
    baseline: `postgres.js ceiling ${describe(c, c.acceptedPerSecond, 'draws/s')}`,
    ratio: ratio(httpRate, c.acceptedPerSecond),
  });
  if (pgbench) {
    const p = pgbench.result;
    s.rows.push({
      name: 'HTTP accepted draws/s vs physical limit',
      value: rps(httpRate, 'draws/s'),
      baseline: `pgbench ${describe(p, p.tps, 'tps')} (-c ${p.clients})`,
      ratio: ratio(httpRate, p.tps),
    });
    s.rows.push({
      name: 'postgres.js ceiling vs physical limit',
      value: rps(c.acceptedPerSecond, 'draws/s'),
      baseline: `pgbench ${rps(p.tps, 'tps')}`,
      ratio: ratio(c.acceptedPerSecond, p.tps),
    });
  } else {
    s.notes.push('pgbench not found (set PGBENCH=/path/to/pgbench): physical-limit comparison skipped');
  }
  // Issue: submissions at `emergency` (queued) must keep the routine draw's ratio to the ceiling.
  const emergency =
    placement === 'hot'
      ? await httpDraws(plan, 'hot', { label: 'draws_emergency', prepare: declareEmergency })
      : null;
  if (emergency) {
    const e = emergency.measurement;
    const queuedRate = e.statusRate['201'] ?? 0;
    s.rows.push({
      name: 'HTTP queued draws/s at emergency',
      value: describe(e, queuedRate, 'draws/s'),
      baseline: `postgres.js ceiling (routine) ${rps(c.acceptedPerSecond, 'draws/s')}`,
      ratio: ratio(queuedRate, c.acceptedPerSecond),
    });
    s.notes.push(
      `emergency (queued) ÷ routine, each against the ceiling: ${fmt(ratio(queuedRate, httpRate), 2)}; ` +
        `drift ${drift(e, accepted, 'draws/s')}; ${invariantNote('emergency run', emergency.invariants)}`,
    );
  }
  const share = ratio(httpRate, c.acceptedPerSecond);
  s.notes.push(
    `target ≥ ${CEILING_TARGET * 100}% of the postgres.js ceiling: ${share >= CEILING_TARGET ? 'MET' : 'NOT MET'} (${fmt(share * 100)}%)`,
  );
  s.notes.push(`HTTP drift: ${drift(m, accepted, 'draws/s')}`);
  s.notes.push(
    `HTTP statuses per second (median): ${Object.entries(m.statusRate)
      .map(([code, rate]) => `${code}: ${fmt(rate)}`)
      .join(', ')}; socket errors/timeouts: ${m.errors}`,
  );
  s.notes.push(`HTTP run ${describeCpu(http.cpu)}`);
  s.notes.push(
    `ceiling: ${fmt(c.accepted)} accepted, ${fmt(c.refused)} refused, ${c.failed} failed in ${fmt(c.seconds, 1)} s; ` +
      describeCpu(c.cpu).replace('API 0.00, ', '').replace('load generator', 'postgres.js client'),
  );
  s.notes.push(invariantNote('HTTP run', http.invariants));
  s.notes.push(invariantNote('ceiling run', ceiling.invariants));
  if (pgbench) {
    s.notes.push(
      `pgbench: ${fmt(pgbench.result.transactions)} transactions, ${pgbench.result.failed} failed, p99 ${ms(pgbench.result.p99)}`,
    );
    s.notes.push(invariantNote('pgbench run', pgbench.invariants));
  }
  s.data = {
    placement,
    http: { ...m, invariants: http.invariants },
    ceiling,
    pgbench,
    pgbenchVersion: version,
  };
  return s;
}
