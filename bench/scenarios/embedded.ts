import { type Decimal, dec } from '../../src/domain/decimal.js';
import { BENCH_SECRET, DRAW_CONNECTIONS, type Plan } from '../lib/config.js';
import { cpuMeter, describeCpu } from '../lib/cpu.js';
import { measure, rateOf, totalOf } from '../lib/load.js';
import { startServer } from '../lib/processes.js';
import { describe, drift, type Section, section } from '../lib/report.js';
import { DRAW_SET, seedDataset } from '../lib/seed.js';
import { fmt, ratio } from '../lib/stats.js';
import { drawRequests, httpDraws, type Placement } from './draws.js';

/**
 * Scenario 4: the same draw scenario on embedded PGlite (DATABASE_URL=memory:), one API process, against
 * the PostgreSQL HTTP figure of the same run (measured here if the draw scenario did not run). PGlite is
 * single-user: the process serializes every query, so this shows what embedded mode can carry, not
 * contention behaviour. Invariants are checked through the API (the database lives inside the server).
 */
/** Σ quantity of pending draws per mineral, paged through GET /v1/draws (bounded number of pages). */
async function openHolds(url: string, headers: Record<string, string>): Promise<Map<string, Decimal>> {
  const held = new Map<string, Decimal>();
  let cursor: string | null = null;
  for (let page = 0; page < 10_000; page++) {
    const query = new URLSearchParams({ status: 'pending', limit: '200', ...(cursor ? { cursor } : {}) });
    const body = (await (await fetch(`${url}/v1/draws?${query}`, { headers })).json()) as {
      data: { mineralCode: string; quantity: string }[];
      nextCursor: string | null;
    };
    for (const d of body.data)
      held.set(d.mineralCode, (held.get(d.mineralCode) ?? dec('0')).plus(d.quantity));
    cursor = body.nextCursor;
    if (!cursor) break;
  }
  return held;
}

export async function embeddedScenario(
  plan: Plan,
  postgresRates: Partial<Record<Placement, number>>,
): Promise<Section> {
  const s = section(`Embedded mode (PGlite in memory): draws, ${DRAW_CONNECTIONS} clients`);
  for (const placement of ['hot', 'spread'] as const) {
    const server = await startServer('src/server.ts', {
      DATABASE_URL: 'memory:',
      AUTH_JWT_SECRET: BENCH_SECRET,
    });
    try {
      const data = await seedDataset(server.url, DRAW_SET);
      const meter = cpuMeter([server.pid]);
      const m = await measure(
        [{ url: server.url, connections: DRAW_CONNECTIONS, requests: drawRequests(data, placement) }],
        plan,
      );
      const cpu = meter.stop();
      const accepted = m.statusRate['201'] ?? 0;
      const postgres =
        postgresRates[placement] ?? (await httpDraws(plan, placement)).measurement.statusRate['201'] ?? 0;
      s.rows.push({
        name: `PGlite, ${placement === 'hot' ? 'one hot mineral' : '20 minerals'}`,
        value: describe(m, accepted, 'draws/s'),
        baseline: `PostgreSQL (same scenario) ${fmt(postgres)} draws/s`,
        ratio: ratio(accepted, postgres),
      });
      s.notes.push(`${placement}: ${drift(m, (w) => rateOf(w, '201'), 'draws/s')}; ${describeCpu(cpu)}`);

      // Invariants through the API (the database lives inside the server): for every mineral reserved =
      // Σ open holds (all pending draws, paged), reserved ≤ on hand − minimum reserve, and the chain verifies.
      const headers = { authorization: `Bearer ${data.admin}` };
      const inventory = (await (await fetch(`${server.url}/v1/inventory?limit=200`, { headers })).json()) as {
        data: { mineralCode: string; reserved: string; available: string; minimumReserve: string }[];
      };
      const held = await openHolds(server.url, headers);
      const mismatched = inventory.data.filter((p) => !dec(p.reserved).eq(held.get(p.mineralCode) ?? '0'));
      const belowFloor = inventory.data.filter((p) => dec(p.available).lt(p.minimumReserve));
      const verify = await fetch(`${server.url}/v1/audit-events/verify`, { headers });
      const chain =
        verify.status === 200 ? ((await verify.json()) as { valid: boolean; eventsChecked: number }) : null;
      const ok = mismatched.length === 0 && belowFloor.length === 0 && (chain === null || chain.valid);
      const holds = [...held.values()].reduce((a, b) => a.plus(b), dec('0'));
      s.notes.push(
        `${placement}: ${ok ? 'invariants hold' : 'INVARIANT VIOLATION'}: ${mismatched.length} positions with reserved ≠ Σ open holds ` +
          `(Σ holds ${holds.toFixed()}, ${fmt(totalOf(m, '201'))} 201s counted by the client), ${belowFloor.length} below their floor, ` +
          `chain ${chain ? `valid=${chain.valid} over ${fmt(chain.eventsChecked)} events` : 'verify endpoint not available'}`,
      );
      s.data[placement] = {
        measurement: m,
        cpu,
        postgresRate: postgres,
        holds: holds.toFixed(),
        mismatched,
        belowFloor,
        chain,
      };
    } finally {
      await server.stop();
    }
  }
  s.notes.push('PGlite is single-user: the embedded database serializes every statement of every request');
  return s;
}
