import { performance } from 'node:perf_hooks';
import { loadConfig } from '../../src/config.js';
import { createDatabase } from '../../src/db/client.js';
import { systemClock } from '../../src/domain/clock.js';
import { dec } from '../../src/domain/decimal.js';
import {
  drawDecisions,
  drawEvents,
  rationQueue,
  roundEvent,
  roundPreview,
} from '../../src/modules/allocation-rounds/allocation-rounds.outcome.js';
import {
  type QueuedDraw,
  ration,
  toThousandths,
} from '../../src/modules/allocation-rounds/allocation-rounds.rules.js';
import {
  closeCanonicalEvent,
  GENESIS_HASH,
  hashCanonical,
  openCanonicalEvent,
} from '../../src/modules/audit/audit.chain.js';
import {
  eligibleQueuedCompanies,
  type QueuedDrawRow,
  queuedDraws,
} from '../../src/modules/draws/draws.repository.js';
import { createServices } from '../../src/services.js';
import { BENCH_SECRET, DATA_SEED, type Plan, POOL_MAX } from '../lib/config.js';
import { processTicks } from '../lib/cpu.js';
import { type BenchDatabase, withBenchDatabase } from '../lib/pg.js';
import { ms, type Section, section } from '../lib/report.js';
import { fmt, median, ratio } from '../lib/stats.js';

/**
 * Allocation rounds: one round over 10,000 queued draws of one mineral on PostgreSQL, called through the
 * service (the transaction the HTTP route runs, without HTTP), against the same allocation computed in
 * memory by the pure rule (`ration`) over the same draws. The queue is seeded with set-based SQL
 * (2,000 members in three classes, 5 draws each); each repetition rations a mineral of its own.
 */
const QUEUED = 10_000;
const PER_COMPANY = 5;
const REPEATS = 3;

async function seedQueue(db: BenchDatabase, code: string, index: number): Promise<void> {
  const companies = QUEUED / PER_COMPANY;
  // Enough stock above the floor for about 60% of the requests: the rationing is real.
  await db.sql`insert into minerals (code, name, unit, minimum_reserve, on_hand, reserved, queued, created_at, updated_at)
    values (${code}, ${code}, 't', '1000', '31000', '0', '0', now(), now())`;
  await db.sql`insert into companies (id, name, country, status, created_at, updated_at)
    select gen_random_uuid(), 'Member ' || ${index} || '-' || g, 'US', 'active', now(), now()
    from generate_series(1, ${companies}) g`;
  // Classes DX : DO : unrated = 1 : 3 : 6; maxOutstanding 10–99 t (weights differ).
  await db.sql`insert into agreements (id, company_id, mineral_code, unit_price, currency, max_outstanding,
      replenishment_days, premium_percent, priority_class, routine_limit_percent, status, created_at)
    select gen_random_uuid(), c.id, ${code}, '750.5', 'USD', (10 + (n % 90))::numeric, 30, '2.5',
      case when n % 10 = 0 then 'DX' when n % 10 < 4 then 'DO' else 'unrated' end, '100', 'active', now()
    from (select id, row_number() over (order by id) as n
          from companies where name like ${`Member ${index}-%`}) c`;
  await db.sql`insert into draws (id, company_id, mineral_code, agreement_id, quantity, requested_quantity,
      unit_price, currency, amount, replenishment_days, premium_percent, status, priority_class,
      disruption_id, allocation_round_id, depot_id, note, reason, obligation_id, created_at, updated_at,
      decided_at, fulfilled_at)
    select gen_random_uuid(), a.company_id, ${code}, a.id, q.quantity, q.quantity, a.unit_price, 'USD',
      round(q.quantity * a.unit_price, 2), 30, '2.5', 'queued', a.priority_class, null, null, null, null,
      null, null, now() - (((${DATA_SEED} + k * 7919 + abs(hashtext(a.id::text)::bigint)) % 100000) || ' ms')::interval,
      now(), null, null
    from agreements a
    cross join generate_series(1, ${PER_COMPANY}) k
    cross join lateral (select (1 + ((abs(hashtext(a.id::text)::bigint) + k * 31) % 9000) / 1000.0)::numeric(20, 3) as quantity) q
    where a.mineral_code = ${code}`;
  await db.sql`update minerals set queued = (select sum(quantity) from draws where mineral_code = ${code} and status = 'queued')
    where code = ${code}`;
}

/** The draws as the round reads them, for the in-memory baseline. */
async function queueOf(db: BenchDatabase, code: string): Promise<QueuedDraw[]> {
  const rows = await db.sql`select d.id, d.company_id, d.priority_class, d.quantity::text,
      (extract(epoch from d.created_at) * 1000)::bigint::text as created_ms, a.max_outstanding::text as weight
    from draws d join agreements a on a.id = d.agreement_id
    where d.mineral_code = ${code} and d.status = 'queued'`;
  return rows.map((r) => ({
    id: r.id,
    companyId: r.company_id,
    priorityClass: r.priority_class,
    quantity: toThousandths(r.quantity),
    createdAtMs: Number(r.created_ms),
    weight: toThousandths(r.weight),
    eligible: true,
  }));
}

/**
 * Everything the round computes without the database, by the very functions the service runs on the
 * rows it reads (`allocation-rounds.outcome.ts`): the allocation from the rows as read, the round, the
 * decided draws re-priced, the round's event and one per draw, canonicalised and hashed into a chain
 * (`openCanonicalEvent` + `closeCanonicalEvent` + `hashCanonical`, as `appendPrepared` does). Not
 * included: what only carries values to the database (the rows' JSON, the text columns).
 */
function roundInMemory(queue: QueuedDrawRow[], eligible: Set<string>, supply: string): number {
  const result = rationQueue(queue, eligible, supply);
  const round = {
    ...roundPreview(result, {
      mineralCode: 'ROUND',
      disruptionId: null,
      level: 'none',
      supply: dec(supply),
      aboveFloor: dec(supply),
    }),
    id: '00000000-0000-4000-8000-000000000000',
    createdAt: new Date().toISOString(),
  };
  const { allocations } = round;
  const decisions = drawDecisions(queue, result, allocations);
  const entries = [roundEvent(round), ...drawEvents(round.id, decisions, allocations)];
  let prev = GENESIS_HASH;
  const actor = { sub: 'bench-admin', role: 'admin', companyId: null };
  const occurredAt = round.createdAt;
  entries.forEach((e, i) => {
    const { open } = openCanonicalEvent({ occurredAt, actor, requestId: 'bench-round', ...e });
    prev = hashCanonical(prev, closeCanonicalEvent(open, i + 1));
  });
  return entries.length;
}

/**
 * CPU time (ms) spent so far by each backend of the bench database: the round's share of PostgreSQL,
 * which, unlike its wall time, other work on the machine hardly changes.
 */
async function backendCpu(db: BenchDatabase): Promise<Map<number, number>> {
  const rows = await db.sql`select pid from pg_stat_activity
    where datname = ${db.name} and backend_type = 'client backend' and pid <> pg_backend_pid()`;
  return new Map(rows.map((r) => [Number(r.pid), (processTicks(Number(r.pid))?.ticks ?? 0) * 10]));
}

export async function roundsScenario(_plan: Plan): Promise<Section> {
  const s = section(`Allocation round over ${QUEUED.toLocaleString('en-US')} queued draws (PostgreSQL)`);
  await withBenchDatabase('rounds', async (db) => {
    const config = loadConfig({
      DATABASE_URL: db.url,
      DB_POOL_MAX: String(POOL_MAX),
      LOG_LEVEL: 'silent',
      AUTH_JWT_SECRET: BENCH_SECRET,
    });
    const database = await createDatabase(config.database);
    const services = createServices({
      db: database.db,
      reads: database, // no replica: the primary is its own read side
      clock: systemClock,
      config,
    });
    const ctx = {
      actor: { sub: 'bench-admin', role: 'admin' as const, companyId: null },
      requestId: 'bench-round',
    };
    try {
      const rounds: number[] = [];
      const previews: number[] = [];
      const memory: number[] = [];
      const fullMemory: number[] = [];
      const nodeCpu: number[] = [];
      const pgCpu: number[] = [];
      let last: { allocatedTotal: string; requestedTotal: string; allocations: unknown[] } | null = null;
      for (let i = 0; i < REPEATS; i++) {
        const code = `ROUND_${i}`;
        await seedQueue(db, code, i);
        await db.sql`vacuum analyze draws`;
        const queue = await queueOf(db, code);
        // The in-memory computation: the same allocation by the pure rule (median of 5, after a warm-up).
        ration(queue, toThousandths('30000'));
        const times: number[] = [];
        for (let k = 0; k < 5; k++) {
          const t0 = performance.now();
          ration(queue, toThousandths('30000'));
          times.push(performance.now() - t0);
        }
        memory.push(median(times));
        // The rows exactly as the round reads them (same repository functions).
        const rows = await queuedDraws(database.db, code);
        const eligible = await eligibleQueuedCompanies(database.db, code, new Date());
        roundInMemory(rows, eligible, '30000');
        const full: number[] = [];
        for (let k = 0; k < 3; k++) {
          const t0 = performance.now();
          roundInMemory(rows, eligible, '30000');
          full.push(performance.now() - t0);
        }
        fullMemory.push(median(full));
        let t0 = performance.now();
        await services.allocationRounds.run(ctx, { mineralCode: code, dryRun: true });
        previews.push(performance.now() - t0);
        const pgBefore = await backendCpu(db);
        const nodeBefore = process.cpuUsage();
        t0 = performance.now();
        last = await services.allocationRounds.run(ctx, { mineralCode: code });
        rounds.push(performance.now() - t0);
        const node = process.cpuUsage(nodeBefore);
        nodeCpu.push((node.user + node.system) / 1000);
        let pg = 0;
        // A connection the pool opened for the round counts from its start (its set-up included).
        for (const [pid, ms] of await backendCpu(db)) pg += ms - (pgBefore.get(pid) ?? 0);
        pgCpu.push(pg);
      }
      const round = median(rounds);
      const preview = median(previews);
      const inMemory = median(memory);
      const inMemoryFull = median(fullMemory);
      s.rows.push({
        name: 'round (one transaction, committed)',
        value: `${ms(round)} (runs: ${rounds.map((x) => fmt(x)).join(', ')} ms)`,
        baseline: `the allocation in memory (ration) ${ms(inMemory)}`,
        ratio: ratio(round, inMemory),
      });
      s.rows.push({
        name: 'round (same), against its in-memory part',
        value: ms(round),
        baseline: `the round's own computation (ration from the rows read, re-pricing, ${QUEUED + 1} events canonicalised and hashed), in memory ${ms(inMemoryFull)}`,
        ratio: ratio(round, inMemoryFull),
      });
      const cpu = median(nodeCpu) + median(pgCpu);
      s.rows.push({
        name: 'round, CPU time (this process + its PostgreSQL backends)',
        value: `${ms(cpu)} (node ${ms(median(nodeCpu))}, PostgreSQL ${ms(median(pgCpu))})`,
        baseline: `the allocation in memory (ration) ${ms(inMemory)}`,
        ratio: ratio(cpu, inMemory),
      });
      s.rows.push({
        name: 'dry run (lock, read the queue, ration; nothing written)',
        value: ms(preview),
        baseline: `round ${ms(round)}`,
        ratio: ratio(preview, round),
      });
      const [chain] = await db.sql`select count(*)::int as n from audit_events`;
      s.notes.push(
        `each round: ${QUEUED} draws decided (${last?.allocations.length} allocations, requested ${last?.requestedTotal} t, ` +
          `allocated ${last?.allocatedTotal} t), ${QUEUED + 1} audit events appended in batches; ${chain!.n} events in the chain`,
      );
      s.notes.push(
        'the round: lock the mineral, read the queue with weights and eligibility, ration, insert the round with ' +
          'its allocations (one JSON document), all draws in one UPDATE … FROM unnest(…) (a text parameter per ' +
          'column), the mineral row, the round event alone, then the draw events in batches of 2,000 (a text ' +
          'parameter per column; canonicalisation and hashing included), all as prepared statements sent without ' +
          'waiting for each other',
      );
      s.data = {
        rounds,
        previews,
        memory,
        fullMemory,
        nodeCpu,
        pgCpu,
        round,
        preview,
        inMemory,
        inMemoryFull,
        target: { commitMs: 2000, ratio: 5 },
      };
    } finally {
      await database.close();
    }
  });
  return s;
}
