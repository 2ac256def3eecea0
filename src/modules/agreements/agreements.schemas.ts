import { z } from 'zod';
import { dec, normalize } from '../../domain/decimal.js';
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
import { type AgreementRow, PRIORITY_CLASSES } from './agreements.table.js';

export const PriorityClass = z.enum(PRIORITY_CLASSES).meta({
  description: 'Rationing priority in an allocation round: DX before DO before unrated',
});

/** 0 < x ≤ 100, at most 2 fractional digits. */
export const RoutineLimitPercent = z
  .string()
  .regex(/^\d{1,3}(\.\d{1,2})?$/, {
    message: 'must be a decimal string with at most 2 fractional digits',
    abort: true,
  })
  .refine((v) => dec(v).gt(0) && dec(v).lte(100), 'must be greater than 0 and at most 100')
  .meta({
    example: '60',
    description:
      'Share of maxOutstanding usable outside an emergency, in percent (0 < x ≤ 100, at most 2 decimals)',
  });

export const AgreementCreate = z.strictObject({
  mineralCode: MineralCode,
  unitPrice: UnitPrice,
  maxOutstanding: Quantity,
  replenishmentDays: z.number().int().min(0).max(36_500),
  premiumPercent: Percent,
  priorityClass: PriorityClass.optional(),
  routineLimitPercent: RoutineLimitPercent.optional(),
});
export type AgreementCreate = z.infer<typeof AgreementCreate>;

export const AgreementPatch = z
  .strictObject({
    priorityClass: PriorityClass.optional(),
    routineLimitPercent: RoutineLimitPercent.optional(),
  })
  .refine((v) => v.priorityClass !== undefined || v.routineLimitPercent !== undefined, {
    message: 'send priorityClass, routineLimitPercent or both',
  })
  .meta({ id: 'AgreementPatch' });
export type AgreementPatch = z.infer<typeof AgreementPatch>;

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
    priorityClass: z.enum(PRIORITY_CLASSES),
    routineLimitPercent: DecimalOut,
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
  priorityClass: row.priorityClass,
  routineLimitPercent: normalize(row.routineLimitPercent),
  status: row.status,
  createdAt: row.createdAt.toISOString(),
  terminatedAt: row.terminatedAt?.toISOString() ?? null,
});
