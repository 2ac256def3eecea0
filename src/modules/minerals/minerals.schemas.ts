import { z } from 'zod';
import { normalize } from '../../domain/decimal.js';
import {
  DecimalOut,
  MineralCode,
  Name,
  NonNegativeQuantity,
  PageQuery,
  page,
  Quantity,
  TimestampOut,
} from '../../http/schemas.js';
import { PositiveUnitPrice } from '../prices/prices.schemas.js';
import type { MineralWithMarket } from './minerals.repository.js';

/** The market settings a mineral accepts on create and PATCH (see docs/markets.md). */
const marketSettings = {
  floorPrice: PositiveUnitPrice.nullable().meta({
    description: 'Allied price floor per unit (USD, > 0, at most 4 decimals), or null for none',
    example: '110000',
  }),
  dailyConsumption: Quantity.nullable().meta({
    description: 'National consumption per day in the mineral unit (> 0, at most 3 decimals), or null',
    example: '11.5',
  }),
  targetCoverageDays: z
    .int()
    .min(1)
    .max(3650)
    .meta({ description: 'Days of consumption the reserve aims to cover (1–3650)', example: 60 }),
};

export const MineralCreate = z.strictObject({
  code: MineralCode,
  name: Name(200),
  unit: z.enum(['kg', 't']),
  minimumReserve: NonNegativeQuantity.default('0'),
  floorPrice: marketSettings.floorPrice.default(null),
  dailyConsumption: marketSettings.dailyConsumption.default(null),
  targetCoverageDays: marketSettings.targetCoverageDays.default(60),
});
export type MineralCreate = z.input<typeof MineralCreate>;

const PATCHABLE = ['name', 'minimumReserve', 'floorPrice', 'dailyConsumption', 'targetCoverageDays'] as const;

export const MineralPatch = z
  .strictObject({
    name: Name(200).optional(),
    minimumReserve: NonNegativeQuantity.optional(),
    floorPrice: marketSettings.floorPrice.optional(),
    dailyConsumption: marketSettings.dailyConsumption.optional(),
    targetCoverageDays: marketSettings.targetCoverageDays.optional(),
  })
  .refine(
    (p) => PATCHABLE.some((k) => p[k] !== undefined),
    `at least one of ${PATCHABLE.join(', ')} is required`,
  );
export type MineralPatch = z.infer<typeof MineralPatch>;

export const Mineral = z
  .object({
    code: z.string(),
    name: z.string(),
    unit: z.enum(['kg', 't']),
    minimumReserve: DecimalOut,
    marketPrice: DecimalOut.nullable().meta({
      description: 'The market price now (the latest recorded asOf), USD per unit, or null',
    }),
    marketPriceAsOf: TimestampOut.nullable(),
    floorPrice: DecimalOut.nullable(),
    dailyConsumption: DecimalOut.nullable(),
    targetCoverageDays: z.int(),
    createdAt: TimestampOut,
    updatedAt: TimestampOut,
  })
  .meta({ id: 'Mineral' });
export type Mineral = z.infer<typeof Mineral>;

export const MineralList = page(Mineral);
export const MineralListQuery = z.strictObject({ ...PageQuery });
export const MineralParams = z.strictObject({ code: MineralCode });

const nullableDecimal = (value: string | null) => (value === null ? null : normalize(value));

export const mineralView = ({ mineral: row, marketPrice, marketPriceAsOf }: MineralWithMarket): Mineral => ({
  code: row.code,
  name: row.name,
  unit: row.unit,
  minimumReserve: normalize(row.minimumReserve),
  marketPrice: nullableDecimal(marketPrice),
  marketPriceAsOf: marketPriceAsOf?.toISOString() ?? null,
  floorPrice: nullableDecimal(row.floorPrice),
  dailyConsumption: nullableDecimal(row.dailyConsumption),
  targetCoverageDays: row.targetCoverageDays,
  createdAt: row.createdAt.toISOString(),
  updatedAt: row.updatedAt.toISOString(),
});
