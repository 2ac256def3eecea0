import { type Decimal, dec, max, ZERO } from '../../domain/decimal.js';
import type { AuditEntry } from '../audit/audit.repository.js';
import type { DrawDecisionValues, QueuedDrawRow } from '../draws/draws.repository.js';
import { type Level, repriceAllocated } from '../draws/draws.rules.js';
import { fromThousandths, type Rationing, ration, toThousandths } from './allocation-rounds.rules.js';
import type { AllocationRound } from './allocation-rounds.schemas.js';

/**
 * What a round computes between reading the queue and writing, without I/O: the service runs these on
 * the rows it read under the mineral's lock, and the benchmark runs the very same functions as the
 * round's in-memory part, so that baseline is neither more nor less than what the round computes.
 */

/** `ration` over the queue as read (`queuedDraws`), with each company's eligibility. */
export function rationQueue(
  queue: readonly QueuedDrawRow[],
  eligible: ReadonlySet<string>,
  supply: string,
): Rationing {
  return ration(
    queue.map((d) => ({
      id: d.id,
      companyId: d.companyId,
      priorityClass: d.priorityClass,
      quantity: toThousandths(d.quantity),
      createdAtMs: d.createdAt.getTime(),
      weight: toThousandths(d.weight),
      eligible: eligible.has(d.companyId),
    })),
    toThousandths(supply),
  );
}

/** The round's allocations as the API shows them, in the round's order. */
const allocationsOf = (result: Rationing): AllocationRound['allocations'] =>
  result.decisions.map((d) => ({
    drawId: d.drawId,
    companyId: d.companyId,
    priorityClass: d.priorityClass,
    requested: fromThousandths(d.requested),
    allocated: fromThousandths(d.allocated),
  }));

/**
 * The round as the API shows it before it is stored (a dry run shows it so: no id, no time): the
 * figures it rationed by and its allocations. `floorUsed` is what the allocations took beyond the
 * stock above the floor.
 */
export function roundPreview(
  result: Rationing,
  figures: {
    mineralCode: string;
    disruptionId: string | null;
    level: Level;
    supply: Decimal;
    aboveFloor: Decimal;
  },
): AllocationRound {
  const allocatedTotal = dec(fromThousandths(result.allocatedTotal));
  return {
    id: null,
    mineralCode: figures.mineralCode,
    disruptionId: figures.disruptionId,
    level: figures.level,
    supply: figures.supply.toFixed(),
    requestedTotal: fromThousandths(result.requestedTotal),
    allocatedTotal: allocatedTotal.toFixed(),
    floorUsed: max(ZERO, allocatedTotal.minus(figures.aboveFloor)).toFixed(),
    createdAt: null,
    allocations: allocationsOf(result),
  };
}

/**
 * Each draw's new values: an allocated draw re-priced on what it got; a rejected one keeps its quantity
 * (the request) and the money computed on it.
 */
export function drawDecisions(
  queue: readonly QueuedDrawRow[],
  result: Rationing,
  allocations: AllocationRound['allocations'],
): DrawDecisionValues[] {
  const prices = new Map(queue.map((d) => [d.id, d]));
  return result.decisions.map((d, i) =>
    d.reason === null
      ? {
          id: d.drawId,
          status: 'approved',
          ...repriceAllocated(prices.get(d.drawId)!, allocations[i]!.allocated),
          reason: null,
        }
      : {
          id: d.drawId,
          status: 'rejected',
          quantity: null,
          amount: null,
          hedgeValue: null,
          reason: d.reason,
        },
  );
}

/** The round's own event: its data is the round as the API returns it. */
export const roundEvent = (round: AllocationRound & { id: string }): AuditEntry => ({
  action: 'allocation_round.completed',
  entityType: 'allocation_round',
  entityId: round.id,
  data: round,
});

/** One event per decided draw, in the round's order. */
export const drawEvents = (
  roundId: string,
  decisions: readonly DrawDecisionValues[],
  allocations: AllocationRound['allocations'],
): AuditEntry[] =>
  decisions.map((d, i) => ({
    action: d.status === 'approved' ? 'draw.allocated' : 'draw.rejected',
    entityType: 'draw',
    entityId: d.id,
    data: {
      from: 'queued',
      to: d.status,
      allocationRoundId: roundId,
      requested: allocations[i]!.requested,
      allocated: allocations[i]!.allocated,
      ...(d.status === 'approved'
        ? { quantity: d.quantity, amount: d.amount, hedgeValue: d.hedgeValue }
        : {}),
      reason: d.reason,
    },
  }));
