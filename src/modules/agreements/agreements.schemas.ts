import { z } from 'zod';
import { normalize } from '../../domain/decimal.js';
import {
  DecimalOut,
  MineralCode,
  PageQuery,
  Percent,
  page,
  Quantity,
  Text,
  TimestampOut,
  UnitPrice,
  Uuid,
} from '../../http/schemas.js';
import type { AgreementRow } from './agreements.table.js';

export const AgreementCreate = z.strictObject({
  mineralCode: MineralCode,
  unitPrice: UnitPrice,
  maxOutstanding: Quantity,
  replenishmentDays: z.number().int().min(0).max(36_500),
  premiumPercent: Percent,
});
export type AgreementCreate = z.infer<typeof AgreementCreate>;

export const AgreementTerminate = z.strictObject({ reason: Text(1000).optional() }).nullish();

export const Agreement = z
  .object({
    id: z.uuid(),
    companyId: z.uuid(),
    mineralCode: z.string(),
    unitPrice: DecimalOut,
    currency: z.literal('USD'),
    maxOutstanding: DecimalOut,
    replenishmentDays: z.number().int(),
    premiumPercent: DecimalOut,
    status: z.enum(['active', 'terminated']),
    createdAt: TimestampOut,
    terminatedAt: TimestampOut.nullable(),
  })
  .meta({ id: 'Agreement' });
export type Agreement = z.infer<typeof Agreement>;

export const AgreementList = page(Agreement);
export const AgreementListQuery = z.strictObject({
  ...PageQuery,
  companyId: Uuid.optional(),
  mineral: MineralCode.optional(),
  status: z.enum(['active', 'terminated']).optional(),
});
export type AgreementListQuery = z.infer<typeof AgreementListQuery>;

export const agreementView = (row: AgreementRow): Agreement => ({
  id: row.id,
  companyId: row.companyId,
  mineralCode: row.mineralCode,
  unitPrice: normalize(row.unitPrice),
  currency: 'USD',
  maxOutstanding: normalize(row.maxOutstanding),
  replenishmentDays: row.replenishmentDays,
  premiumPercent: normalize(row.premiumPercent),
  status: row.status,
  createdAt: row.createdAt.toISOString(),
  terminatedAt: row.terminatedAt?.toISOString() ?? null,
});
