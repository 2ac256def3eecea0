import { z } from 'zod';
import { normalize, toMoney } from '../../domain/decimal.js';
import {
  DecimalOut,
  MineralCode,
  PageQuery,
  page,
  Quantity,
  Text,
  TimestampOut,
  Uuid,
} from '../../http/schemas.js';
import { PRIORITY_CLASSES } from '../agreements/agreements.table.js';
import { DRAW_STATUSES, type DrawAllocationRow, type DrawRow } from './draws.table.js';

export const DrawSubmit = z.strictObject({
  mineralCode: MineralCode,
  quantity: Quantity,
  depotId: Uuid.optional(),
  note: Text(2000).optional(),
});
export type DrawSubmit = z.infer<typeof DrawSubmit>;

export const DrawReject = z.strictObject({ reason: Text(2000) });
export const DrawCancel = z.strictObject({ reason: Text(2000).optional() }).nullish();
export const DrawApprove = z.strictObject({}).nullish();

export const DrawFulfil = z
  .strictObject({
    allocations: z
      .array(z.strictObject({ lotId: Uuid, quantity: Quantity }))
      .min(1)
      .max(500)
      .optional(),
  })
  .nullish();
export type DrawFulfil = z.infer<typeof DrawFulfil>;

export const Draw = z
  .object({
    id: z.uuid(),
    companyId: z.uuid(),
    mineralCode: z.string(),
    quantity: DecimalOut.meta({
      description: 'What is held or shipped; for a queued draw, the request; after a round, the allocation',
    }),
    requestedQuantity: DecimalOut.meta({ description: 'The quantity submitted' }),
    unitPrice: DecimalOut,
    currency: z.literal('USD'),
    amount: DecimalOut,
    status: z.enum(DRAW_STATUSES),
    priorityClass: z.enum(PRIORITY_CLASSES).meta({ description: "The agreement's class at submission" }),
    disruptionId: z
      .uuid()
      .nullable()
      .meta({ description: 'The active disruption covering the mineral at submission, any level' }),
    allocationRoundId: z
      .uuid()
      .nullable()
      .meta({ description: 'The allocation round that decided the draw, if rationed' }),
    depotId: z.uuid().nullable(),
    note: z.string().nullable(),
    reason: z.string().nullable(),
    createdAt: TimestampOut,
    updatedAt: TimestampOut,
    decidedAt: TimestampOut.nullable(),
    fulfilledAt: TimestampOut.nullable(),
    obligationId: z.uuid().nullable(),
    marketPrice: DecimalOut.nullable().meta({
      description: "The mineral's market price at submission (USD per unit), or null when it had none",
    }),
    hedgeValue: DecimalOut.nullable().meta({
      description:
        '(marketPrice − unitPrice) × quantity, half-even to cents; negative when the fixed price is above the market; null without a market price',
      example: '8460.00',
    }),
    allocations: z.array(z.object({ lotId: z.uuid(), quantity: DecimalOut })),
  })
  .meta({ id: 'Draw' });
export type Draw = z.infer<typeof Draw>;

export const DrawList = page(Draw);
export const DrawListQuery = z.strictObject({
  ...PageQuery,
  status: z.enum(DRAW_STATUSES).optional(),
  mineral: MineralCode.optional(),
  companyId: Uuid.optional(),
  allocationRoundId: Uuid.optional(),
});
export type DrawListQuery = z.infer<typeof DrawListQuery>;

export const drawView = (row: DrawRow, allocations: DrawAllocationRow[]): Draw => ({
  id: row.id,
  companyId: row.companyId,
  mineralCode: row.mineralCode,
  quantity: normalize(row.quantity),
  requestedQuantity: normalize(row.requestedQuantity),
  unitPrice: normalize(row.unitPrice),
  currency: 'USD',
  amount: toMoney(row.amount),
  status: row.status,
  priorityClass: row.priorityClass,
  disruptionId: row.disruptionId,
  allocationRoundId: row.allocationRoundId,
  depotId: row.depotId,
  note: row.note,
  reason: row.reason,
  createdAt: row.createdAt.toISOString(),
  updatedAt: row.updatedAt.toISOString(),
  decidedAt: row.decidedAt?.toISOString() ?? null,
  fulfilledAt: row.fulfilledAt?.toISOString() ?? null,
  obligationId: row.obligationId,
  marketPrice: row.marketPrice === null ? null : normalize(row.marketPrice),
  hedgeValue: row.hedgeValue === null ? null : toMoney(row.hedgeValue),
  allocations: allocations.map((a) => ({ lotId: a.lotId, quantity: normalize(a.quantity) })),
});
