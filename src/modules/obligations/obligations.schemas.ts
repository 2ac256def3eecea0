import { z } from 'zod';
import { normalize, toMoney } from '../../domain/decimal.js';
import {
  Country,
  DecimalOut,
  Money,
  PageQuery,
  page,
  Quantity,
  Text,
  Timestamp,
  TimestampOut,
  Uuid,
} from '../../http/schemas.js';
import { isOverdue, quantityOutstanding } from './obligations.rules.js';
import { OBLIGATION_STATUSES, type ObligationDeliveryRow, type ObligationRow } from './obligations.table.js';

export const DeliveryCreate = z.strictObject({
  quantity: Quantity,
  depotId: Uuid,
  originCountry: Country,
  grade: Text(200).optional(),
  receivedAt: Timestamp.optional(),
});
export type DeliveryCreate = z.infer<typeof DeliveryCreate>;

export const Settlement = z.strictObject({ amount: Money, reason: Text(2000) });
export type Settlement = z.infer<typeof Settlement>;

export const Obligation = z
  .object({
    id: z.uuid(),
    companyId: z.uuid(),
    drawId: z.uuid(),
    mineralCode: z.string(),
    quantityDue: DecimalOut,
    quantityDelivered: DecimalOut,
    quantityOutstanding: DecimalOut,
    dueAt: TimestampOut,
    status: z.enum(OBLIGATION_STATUSES),
    overdue: z.boolean(),
    settlementAmount: DecimalOut.nullable(),
    createdAt: TimestampOut,
    updatedAt: TimestampOut,
    deliveries: z.array(
      z.object({ id: z.uuid(), quantity: DecimalOut, lotId: z.uuid(), receivedAt: TimestampOut }),
    ),
  })
  .meta({ id: 'Obligation' });
export type Obligation = z.infer<typeof Obligation>;

export const ObligationList = page(Obligation);
export const ObligationListQuery = z.strictObject({
  ...PageQuery,
  status: z.enum(OBLIGATION_STATUSES).optional(),
  companyId: Uuid.optional(),
  overdue: z.enum(['true', 'false']).optional(),
});
export type ObligationListQuery = z.infer<typeof ObligationListQuery>;

export const obligationView = (
  row: ObligationRow,
  deliveries: ObligationDeliveryRow[],
  now: Date,
): Obligation => ({
  id: row.id,
  companyId: row.companyId,
  drawId: row.drawId,
  mineralCode: row.mineralCode,
  quantityDue: normalize(row.quantityDue),
  quantityDelivered: normalize(row.quantityDelivered),
  quantityOutstanding: normalize(quantityOutstanding(row.quantityDue, row.quantityDelivered)),
  dueAt: row.dueAt.toISOString(),
  status: row.status,
  overdue: isOverdue(row, now),
  settlementAmount: row.settlementAmount === null ? null : toMoney(row.settlementAmount),
  createdAt: row.createdAt.toISOString(),
  updatedAt: row.updatedAt.toISOString(),
  deliveries: deliveries.map((d) => ({
    id: d.id,
    quantity: normalize(d.quantity),
    lotId: d.lotId,
    receivedAt: d.receivedAt.toISOString(),
  })),
});
