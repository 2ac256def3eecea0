import { type DecimalInput, dec } from '../../domain/decimal.js';
import { dueAt, quantityDue } from '../draws/draws.rules.js';
import type { ObligationRow, ObligationStatus } from './obligations.table.js';

/** Statuses whose outstanding quantity still counts against the company's entitlement. */
export const UNSETTLED: readonly ObligationStatus[] = ['open', 'partially_fulfilled'];

export const quantityOutstanding = (due: DecimalInput, delivered: DecimalInput) => dec(due).minus(delivered);

/** `overdue` = outstanding > 0, not settled, and `dueAt` in the past. */
export const isOverdue = (
  o: { status: ObligationStatus; quantityDue: DecimalInput; quantityDelivered: DecimalInput; dueAt: Date },
  now: Date,
): boolean =>
  UNSETTLED.includes(o.status) &&
  quantityOutstanding(o.quantityDue, o.quantityDelivered).gt(0) &&
  o.dueAt < now;

/** An obligation is fulfilled once nothing is outstanding, partially fulfilled after any delivery. */
export const statusAfterDelivery = (due: DecimalInput, delivered: DecimalInput): ObligationStatus =>
  dec(delivered).gte(due) ? 'fulfilled' : dec(delivered).gt(0) ? 'partially_fulfilled' : 'open';

/** What a replenishment obligation is built from: the fulfilled draw, with its terms locked in at submission. */
export interface FulfilledDraw {
  id: string;
  companyId: string;
  mineralCode: string;
  quantity: DecimalInput;
  premiumPercent: DecimalInput;
  replenishmentDays: number;
}

/**
 * The obligation a fulfilled draw creates: the quantity plus the premium (`quantityDue`), due
 * `replenishmentDays` after fulfilment (`dueAt`), open with nothing delivered.
 */
export const replenishmentObligation = (
  draw: FulfilledDraw,
  id: string,
  fulfilledAt: Date,
): ObligationRow => ({
  id,
  companyId: draw.companyId,
  drawId: draw.id,
  mineralCode: draw.mineralCode,
  quantityDue: quantityDue(draw.quantity, draw.premiumPercent).toFixed(),
  quantityDelivered: '0',
  dueAt: dueAt(fulfilledAt, draw.replenishmentDays),
  status: 'open',
  settlementAmount: null,
  settlementReason: null,
  createdAt: fulfilledAt,
  updatedAt: fulfilledAt,
});
