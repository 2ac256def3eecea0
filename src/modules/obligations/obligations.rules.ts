import { type DecimalInput, dec } from '../../domain/decimal.js';
import type { ObligationStatus } from './obligations.table.js';

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
