import { z } from 'zod';
import { normalize } from '../../domain/decimal.js';
import {
  Country,
  DecimalOut,
  MineralCode,
  PageQuery,
  page,
  Quantity,
  SignedQuantity,
  Text,
  Timestamp,
  TimestampOut,
  UnitPrice,
  Uuid,
} from '../../http/schemas.js';
import type { LotAdjustmentRow, LotRow } from './lots.table.js';

export const LotReceive = z.strictObject({
  mineralCode: MineralCode,
  depotId: Uuid,
  quantity: Quantity,
  originCountry: Country,
  grade: Text(200).optional(),
  unitCost: UnitPrice.optional(),
  receivedAt: Timestamp.optional(),
  reference: Text(200).optional(),
});
export type LotReceive = z.infer<typeof LotReceive>;

export const Lot = z
  .object({
    id: z.uuid(),
    mineralCode: z.string(),
    depotId: z.uuid(),
    quantityReceived: DecimalOut,
    quantityOnHand: DecimalOut,
    originCountry: z.string(),
    grade: z.string().nullable(),
    unitCost: DecimalOut.nullable(),
    source: z.enum(['procurement', 'replenishment']),
    reference: z.string().nullable(),
    receivedAt: TimestampOut,
    createdAt: TimestampOut,
  })
  .meta({ id: 'Lot' });
export type Lot = z.infer<typeof Lot>;

export const LotList = page(Lot);
export const LotListQuery = z.strictObject({
  ...PageQuery,
  mineral: MineralCode.optional(),
  depotId: Uuid.optional(),
});
export type LotListQuery = z.infer<typeof LotListQuery>;

export const LotAdjust = z.strictObject({ quantityDelta: SignedQuantity, reason: Text(1000) });
export type LotAdjust = z.infer<typeof LotAdjust>;

export const LotAdjustment = z
  .object({
    id: z.uuid(),
    lotId: z.uuid(),
    quantityDelta: DecimalOut,
    reason: z.string(),
    quantityOnHandAfter: DecimalOut,
    createdAt: TimestampOut,
  })
  .meta({ id: 'LotAdjustment' });
export type LotAdjustment = z.infer<typeof LotAdjustment>;

export const lotView = (row: LotRow): Lot => ({
  id: row.id,
  mineralCode: row.mineralCode,
  depotId: row.depotId,
  quantityReceived: normalize(row.quantityReceived),
  quantityOnHand: normalize(row.quantityOnHand),
  originCountry: row.originCountry,
  grade: row.grade,
  unitCost: row.unitCost === null ? null : normalize(row.unitCost),
  source: row.source,
  reference: row.reference,
  receivedAt: row.receivedAt.toISOString(),
  createdAt: row.createdAt.toISOString(),
});

export const adjustmentView = (row: LotAdjustmentRow): LotAdjustment => ({
  id: row.id,
  lotId: row.lotId,
  quantityDelta: normalize(row.quantityDelta),
  reason: row.reason,
  quantityOnHandAfter: normalize(row.quantityOnHandAfter),
  createdAt: row.createdAt.toISOString(),
});
