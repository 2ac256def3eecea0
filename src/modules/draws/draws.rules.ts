import { DAY_MS } from '../../domain/clock.js';
import { Decimal, type DecimalInput, dec, max, min, normalize, sum, ZERO } from '../../domain/decimal.js';
import type { ProblemFields, ProblemKind } from '../../domain/errors.js';
import { hedgeValue } from '../valuation/valuation.rules.js';
import type { DrawStatus } from './draws.table.js';

/** draw `amount` = quantity × unitPrice, rounded half-even to 2 decimals (the contract's rule). */
export const drawAmount = (quantity: DecimalInput, unitPrice: DecimalInput): Decimal =>
  dec(quantity).times(unitPrice).toDecimalPlaces(2, Decimal.ROUND_HALF_EVEN);

/** obligation `quantityDue` = quantity × (1 + premiumPercent / 100), rounded UP to 3 decimals. */
export const quantityDue = (quantity: DecimalInput, premiumPercent: DecimalInput): Decimal =>
  dec(quantity)
    .times(dec('1').plus(dec(premiumPercent).dividedBy(100)))
    .toDecimalPlaces(3, Decimal.ROUND_UP);

/** `dueAt` = fulfilment time + replenishmentDays days. */
export const dueAt = (fulfilledAt: Date, replenishmentDays: number): Date =>
  new Date(fulfilledAt.getTime() + replenishmentDays * DAY_MS);

export interface Position {
  onHand: DecimalInput;
  reserved: DecimalInput;
  minimumReserve: DecimalInput;
}

/** A mineral's crisis level: its active disruption's level, else none. */
export type Level = 'none' | 'alert' | 'emergency';

/**
 * `drawable` = max(0, onHand − reserved − minimumReserve); at level emergency the floor is released
 * (for allocation rounds) and `drawable` = available = onHand − reserved.
 */
export const drawable = (p: Position, level: Level = 'none'): Decimal =>
  level === 'emergency'
    ? max(ZERO, dec(p.onHand).minus(p.reserved))
    : max(ZERO, dec(p.onHand).minus(p.reserved).minus(p.minimumReserve));

/** The stock a round hands out by default: what lies above the floor, whatever the level. */
export const aboveFloor = (p: Position): Decimal => drawable(p, 'none');

export interface Terms {
  maxOutstanding: DecimalInput;
  routineLimitPercent: DecimalInput;
}

/**
 * The entitlement cap on held + queued + outstanding + quantity: the routine share of maxOutstanding
 * (× routineLimitPercent / 100, rounded DOWN to 3 decimals), or the whole of it at level emergency.
 */
export const entitlementCap = (terms: Terms, level: Level): Decimal =>
  level === 'emergency'
    ? dec(terms.maxOutstanding)
    : dec(terms.maxOutstanding)
        .times(terms.routineLimitPercent)
        .dividedBy(100)
        .toDecimalPlaces(3, Decimal.ROUND_DOWN);

/**
 * A submission is queued (no hold; an allocation round decides it) at level emergency, and at any
 * level while the mineral still has queued draws, so that nobody overtakes the queue.
 */
export const queues = (level: Level, mineralQueued: DecimalInput): boolean =>
  level === 'emergency' || dec(mineralQueued).gt(0);

/**
 * What a round changes on a draw it allocates `quantity` to: the quantity and the money computed on it
 * from the draw's stored prices. The one place a re-priced allocated draw is computed.
 */
export function repriceAllocated(
  draw: { unitPrice: DecimalInput; marketPrice: DecimalInput | null },
  quantity: DecimalInput,
): { quantity: string; amount: string; hedgeValue: string | null } {
  return {
    quantity: dec(quantity).toFixed(),
    amount: drawAmount(quantity, draw.unitPrice).toFixed(2),
    hedgeValue: hedgeValue(draw.marketPrice, draw.unitPrice, quantity),
  };
}

export interface DrawCheckInput {
  companyStatus: 'active' | 'suspended';
  hasOverdueObligation: boolean;
  agreement: Terms | null;
  /** The company's pending + approved draws of this mineral. */
  held: DecimalInput;
  /** The company's queued draws of this mineral. */
  queued: DecimalInput;
  /** Σ quantityOutstanding of the company's unsettled obligations for this mineral (premium included). */
  outstanding: DecimalInput;
  quantity: DecimalInput;
  position: Position;
  level: Level;
  /** Whether the draw will be queued (`queues`): then no stock check, nothing is held. */
  queue: boolean;
}

export interface DrawRefusal {
  kind: ProblemKind;
  detail: string;
  /** The figures the refusal turns on, for the problem's extension members. */
  fields: ProblemFields;
}

/**
 * The contract's submission checks, in the contract's order; null when the draw may be held (or
 * queued: then the stock check does not run, an allocation round decides).
 */
export function checkDraw(input: DrawCheckInput): DrawRefusal | null {
  if (input.companyStatus !== 'active') {
    return { kind: 'company-inactive', detail: 'The company is suspended and may not draw.', fields: {} };
  }
  if (input.hasOverdueObligation) {
    return {
      kind: 'obligations-overdue',
      detail: 'The company has an overdue replenishment obligation.',
      fields: {},
    };
  }
  if (!input.agreement) {
    return {
      kind: 'no-agreement',
      detail: 'The company has no active agreement for this mineral.',
      fields: {},
    };
  }
  const committed = dec(input.held).plus(input.queued).plus(input.outstanding);
  const cap = entitlementCap(input.agreement, input.level);
  if (committed.plus(input.quantity).gt(cap)) {
    const room = max(ZERO, cap.minus(committed));
    const which = input.level === 'emergency' ? "agreement's maxOutstanding" : 'routine cap';
    return {
      kind: 'entitlement-exceeded',
      detail: `The draw would exceed the ${which} ${cap.toFixed()}; at most ${room.toFixed()} more may be drawn now.`,
      fields: {
        cap: cap.toFixed(),
        held: normalize(input.held),
        queued: normalize(input.queued),
        outstanding: normalize(input.outstanding),
        requested: normalize(input.quantity),
        remaining: room.toFixed(),
      },
    };
  }
  if (input.queue) return null;
  const available = drawable(input.position, input.level);
  if (dec(input.quantity).gt(available)) {
    return {
      kind: 'insufficient-stock',
      detail: `Only ${available.toFixed()} is drawable (on hand minus holds minus the strategic floor).`,
      fields: { requested: normalize(input.quantity), drawable: available.toFixed() },
    };
  }
  return null;
}

type Transition = 'approve' | 'reject' | 'cancel' | 'fulfil';

/**
 * Allowed transitions; cancel by a company is narrower (pending or queued). A queued draw is decided
 * only by an allocation round: approve, reject and fulfil do not apply to it.
 */
const TRANSITIONS: Record<Transition, { from: readonly DrawStatus[]; to: DrawStatus }> = {
  approve: { from: ['pending'], to: 'approved' },
  reject: { from: ['pending'], to: 'rejected' },
  cancel: { from: ['pending', 'queued', 'approved'], to: 'cancelled' },
  fulfil: { from: ['approved'], to: 'fulfilled' },
};

export function nextStatus(from: DrawStatus, transition: Transition, byCompany = false): DrawStatus | null {
  const rule = TRANSITIONS[transition];
  if (byCompany && transition === 'cancel' && from === 'approved') return null;
  return rule.from.includes(from) ? rule.to : null;
}

/** Statuses whose quantity is held (counted in `reserved`). */
export const HOLDING: readonly DrawStatus[] = ['pending', 'approved'];

export interface LotStock {
  id: string;
  depotId: string;
  quantityOnHand: DecimalInput;
  receivedAt: Date;
}

export interface Allocation {
  lotId: string;
  quantity: Decimal;
}

/**
 * FIFO allocation: the draw's depot's lots oldest `receivedAt` first, then the other depots' lots
 * oldest first (ties by id, so the result is deterministic). Returns null when the lots cannot cover
 * the quantity.
 */
export function allocateFifo(
  lots: LotStock[],
  quantity: DecimalInput,
  preferredDepotId: string | null,
): Allocation[] | null {
  const ordered = [...lots].sort((a, b) => {
    const pa = a.depotId === preferredDepotId ? 0 : 1;
    const pb = b.depotId === preferredDepotId ? 0 : 1;
    if (pa !== pb) return pa - pb;
    const t = a.receivedAt.getTime() - b.receivedAt.getTime();
    return t !== 0 ? t : a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
  });
  let remaining = dec(quantity);
  const allocations: Allocation[] = [];
  for (const lot of ordered) {
    if (remaining.isZero()) break;
    const take = min(remaining, dec(lot.quantityOnHand));
    if (take.gt(0)) {
      allocations.push({ lotId: lot.id, quantity: take });
      remaining = remaining.minus(take);
    }
  }
  return remaining.isZero() ? allocations : null;
}

/** An allocation as an admin names it when fulfilling: a lot and the quantity to take from it. */
export interface RequestedAllocation {
  lotId: string;
  quantity: string;
}

/**
 * Explicit allocations must sum exactly to the draw's quantity and name each lot at most once: the
 * first rule they break, as the message of a validation error on `allocations`, or null.
 */
export function allocationRequestError(
  drawQuantity: DecimalInput,
  requested: readonly RequestedAllocation[],
): string | null {
  const total = sum(requested.map((a) => a.quantity));
  if (!total.eq(drawQuantity)) {
    return `must sum to the draw's quantity ${normalize(drawQuantity)} (they sum to ${total.toFixed()})`;
  }
  if (new Set(requested.map((a) => a.lotId)).size !== requested.length) {
    return 'must name each lot at most once';
  }
  return null;
}

/** An explicit allocation its lot cannot cover, and what the lot holds. */
export interface LotShortfall {
  allocation: RequestedAllocation;
  quantityOnHand: Decimal;
}

/**
 * Explicit allocations are taken as given when every lot holds what is asked of it; a lot that is not
 * one of the mineral's stocked lots holds none of it. Returns the allocations, or the first shortfall.
 */
export function allocateExplicit(
  stocked: readonly LotStock[],
  requested: readonly RequestedAllocation[],
): { allocations: Allocation[] } | { shortfall: LotShortfall } {
  const onHand = new Map(stocked.map((l) => [l.id, dec(l.quantityOnHand)]));
  for (const allocation of requested) {
    const quantityOnHand = onHand.get(allocation.lotId) ?? ZERO;
    if (quantityOnHand.lt(allocation.quantity)) return { shortfall: { allocation, quantityOnHand } };
  }
  return { allocations: requested.map((a) => ({ lotId: a.lotId, quantity: dec(a.quantity) })) };
}
