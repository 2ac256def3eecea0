import { randomUUID } from 'node:crypto';
import postgres from 'postgres';
import { dec, normalize, toMoney } from '../../src/domain/decimal.js';
import { chainHash } from '../../src/modules/audit/audit.chain.js';
import { checkDraw, drawAmount, queues } from '../../src/modules/draws/draws.rules.js';
import { type CpuUse, cpuMeter } from './cpu.js';
import { percentile } from './stats.js';

/**
 * The "database ceiling" of draw submission: the service's transaction for POST /v1/draws, statement
 * for statement and pipelined the same way (lock the mineral row and, behind it, one read of company,
 * agreement, overdue obligations and the entitlement figures; the same pure `checkDraw`; insert the draw,
 * update reserved and advance the one-row audit head together; then the event and the head's hash), run with postgres.js directly — no HTTP, no JWT, no zod, no drizzle — on a
 * pool of the same size and at the same concurrency as the HTTP run. The gap between the two is what the
 * service stack costs.
 */
export interface Pick {
  companyId: string;
  mineralCode: string;
}

export interface CeilingResult {
  seconds: number;
  accepted: number;
  refused: number;
  failed: number;
  acceptedPerSecond: number;
  p50: number;
  p99: number;
  /** Measured before the pool closes, so the PostgreSQL backends serving it are still counted. */
  cpu: CpuUse;
}

type Tx = postgres.TransactionSql;

class Refusal extends Error {}

async function submitDraw(tx: Tx, pick: Pick, quantity: string, sub: string): Promise<void> {
  // As in the service: the mineral row lock, then (once it is granted) one read of everything else the
  // checks need (company, active agreement, overdue obligations, holds, queued, outstanding, level),
  // issued behind the lock without waiting for it: one round trip.
  const [[mineral], [submission]] = await Promise.all([
    tx`select * from minerals where code = ${pick.mineralCode} for update`,
    tx`select c.status as company_status, a.*,
         exists (select 1 from obligations
                 where company_id = ${pick.companyId} and status in ('open', 'partially_fulfilled')
                   and due_at < ${new Date()} and quantity_due > quantity_delivered) as overdue,
         coalesce((select held from entitlement_use
          where company_id = ${pick.companyId} and mineral_code = ${pick.mineralCode}), 0)::text as held,
         coalesce((select queued from entitlement_use
          where company_id = ${pick.companyId} and mineral_code = ${pick.mineralCode}), 0)::text as queued,
         d.id as disruption_id, d.level as disruption_level,
         (select coalesce(sum(quantity_due - quantity_delivered), 0)::text from obligations
          where company_id = ${pick.companyId} and mineral_code = ${pick.mineralCode}
            and status in ('open', 'partially_fulfilled')) as outstanding
       from companies c
       left join agreements a on a.company_id = c.id and a.mineral_code = ${pick.mineralCode} and a.status = 'active'
       left join disruption_minerals dm on dm.mineral_code = ${pick.mineralCode} and dm.active
       left join disruptions d on d.id = dm.disruption_id
       where c.id = ${pick.companyId}`,
  ]);
  if (!mineral) throw new Refusal('not-found');
  if (!submission) throw new Refusal('not-found');
  const now = new Date();
  const agreement = submission.id ? submission : undefined;
  const refusal = checkDraw({
    companyStatus: submission.company_status,
    hasOverdueObligation: submission.overdue,
    agreement: agreement
      ? { maxOutstanding: agreement.max_outstanding, routineLimitPercent: agreement.routine_limit_percent }
      : null,
    held: submission.held,
    queued: submission.queued,
    outstanding: submission.outstanding,
    quantity,
    position: {
      onHand: mineral.on_hand,
      reserved: mineral.reserved,
      minimumReserve: mineral.minimum_reserve,
    },
    level: submission.disruption_level ?? 'none',
    queue: queues(submission.disruption_level ?? 'none', mineral.queued),
  });
  if (refusal) throw new Refusal(refusal.kind);
  const id = randomUUID();
  const amount = drawAmount(quantity, agreement!.unit_price).toFixed(2);
  // As in the service: the view (and so the event) is built from the values about to be inserted...
  const view = {
    id,
    companyId: pick.companyId,
    mineralCode: pick.mineralCode,
    quantity: normalize(quantity),
    requestedQuantity: normalize(quantity),
    unitPrice: normalize(agreement!.unit_price),
    currency: 'USD',
    amount: toMoney(amount),
    status: 'pending',
    priorityClass: agreement!.priority_class,
    disruptionId: submission.disruption_id ?? null,
    allocationRoundId: null,
    depotId: null,
    note: null,
    reason: null,
    createdAt: now.toISOString(),
    updatedAt: now.toISOString(),
    decidedAt: null,
    fulfilledAt: null,
    obligationId: null,
    allocations: [],
  };
  // As in the service: the draw, the new reserved figure and the audit head's advance (the last lock)
  // in one round trip, in that order.
  const [, , [head]] = await Promise.all([
    tx`
    insert into draws (id, company_id, mineral_code, agreement_id, quantity, requested_quantity, unit_price,
                       currency, amount, replenishment_days, premium_percent, status, priority_class,
                       disruption_id, allocation_round_id, depot_id, note, reason, obligation_id,
                       created_at, updated_at, decided_at, fulfilled_at)
    values (${id}, ${pick.companyId}, ${pick.mineralCode}, ${agreement!.id}, ${quantity}, ${quantity},
            ${agreement!.unit_price}, ${agreement!.currency}, ${amount},
            ${agreement!.replenishment_days}, ${agreement!.premium_percent}, 'pending',
            ${agreement!.priority_class}, ${submission.disruption_id ?? null}, null, null, null, null, null,
            ${now}, ${now}, null, null)`,
    tx`update minerals set reserved = ${dec(mineral.reserved).plus(quantity).toFixed()}
       where code = ${pick.mineralCode} returning *`,
    tx`update audit_head set seq = seq + 1 where id = 1 returning seq::int as seq, hash`,
  ]);
  const body = {
    seq: head!.seq as number,
    occurredAt: now.toISOString(),
    actor: { sub, role: 'company', companyId: pick.companyId },
    requestId: randomUUID(),
    action: 'draw.submitted',
    entityType: 'draw',
    entityId: view.id as string,
    data: view,
  };
  const hash = chainHash(head!.hash, body);
  // As in the service: the event and the new head hash in one statement.
  await tx`
    with appended as (
      insert into audit_events (seq, occurred_at, actor, action, entity_type, entity_id, data, request_id,
                                prev_hash, hash)
      values (${body.seq}, ${now}, ${tx.json(body.actor)}, ${body.action}, ${body.entityType}, ${body.entityId},
              ${tx.json(view)}, ${body.requestId}, ${head!.hash}, ${hash}))
    update audit_head set hash = ${hash} where id = 1`;
}

/** Runs `concurrency` submit loops for `seconds` against `url` with a pool of `poolMax` connections. */
export async function runCeiling(options: {
  url: string;
  poolMax: number;
  concurrency: number;
  seconds: number;
  next: () => Pick;
}): Promise<CeilingResult> {
  // Prepared statements: postgres.js's default for tagged queries (the API's hot statements: src/db/prepared.ts).
  const sql = postgres(options.url, { max: options.poolMax, onnotice: () => {} });
  const latencies: number[] = [];
  let accepted = 0;
  let refused = 0;
  let failed = 0;
  const meter = cpuMeter([]);
  const started = performance.now();
  const deadline = started + options.seconds * 1000;
  const worker = async (w: number) => {
    while (performance.now() < deadline) {
      const pick = options.next();
      const t0 = performance.now();
      try {
        await sql.begin((tx) => submitDraw(tx, pick, '1', `bench-ceiling-${w}`));
        accepted++;
        latencies.push(performance.now() - t0);
      } catch (error) {
        if (error instanceof Refusal) refused++;
        else if (++failed > 100) throw error;
      }
    }
  };
  let cpu: CpuUse;
  let seconds: number;
  try {
    await Promise.all(Array.from({ length: options.concurrency }, (_, w) => worker(w)));
  } finally {
    seconds = (performance.now() - started) / 1000;
    cpu = meter.stop();
    await sql.end({ timeout: 5 });
  }
  return {
    seconds,
    accepted,
    refused,
    failed,
    acceptedPerSecond: accepted / seconds,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    cpu,
  };
}
