import { DRAW_CONNECTIONS, type Plan, POOL_MAX } from '../lib/config.js';
import { describeCpu } from '../lib/cpu.js';
import { rateOf } from '../lib/load.js';
import { describe, drift, type Section, section } from '../lib/report.js';
import { fmt, ratio } from '../lib/stats.js';
import { httpDraws, type Placement } from './draws.js';

const PROCESS_COUNTS = [1, 2, 4];

/**
 * Scenario 5: draws over 20 minerals with 1, 2 and 4 API processes on one PostgreSQL database, the
 * same DRAW_CONNECTIONS clients split across them (one autocannon instance per process). If the service
 * is stateless, throughput moves with the processes until another resource (here: 2 cores shared by the
 * processes, PostgreSQL and the load generator; then the audit head's row lock) is the bottleneck.
 */
export async function scaleOutScenario(plan: Plan, placement: Placement = 'spread'): Promise<Section> {
  const s = section(
    `Scale-out: draws over 20 minerals, ${DRAW_CONNECTIONS} clients, 1/2/4 API processes (pool ${POOL_MAX} each)`,
  );
  let single = Number.NaN;
  const runs: Record<string, unknown> = {};
  for (const processes of PROCESS_COUNTS) {
    const run = await httpDraws(plan, placement, { processes, label: `scale_${processes}` });
    const m = run.measurement;
    const accepted = m.statusRate['201'] ?? 0;
    if (processes === 1) single = accepted;
    s.rows.push({
      name: `${processes} process${processes > 1 ? 'es' : ''}`,
      value: describe(m, accepted, 'draws/s'),
      baseline: `1 process ${fmt(single)} draws/s`,
      ratio: ratio(accepted, single),
    });
    s.notes.push(`${processes} process(es): ${describeCpu(run.cpu)}`);
    s.notes.push(`${processes} process(es): ${drift(m, (w) => rateOf(w, '201'), 'draws/s')}`);
    if (run.invariants.violations.length > 0) {
      s.notes.push(`${processes} process(es): INVARIANT VIOLATIONS: ${run.invariants.violations.join('; ')}`);
    }
    runs[String(processes)] = { measurement: m, cpu: run.cpu, invariants: run.invariants };
  }
  s.notes.push('invariants checked after every run (reserved = Σ holds, floors, audit chain recomputed)');
  s.data = runs;
  return s;
}
