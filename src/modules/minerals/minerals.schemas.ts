import { z } from 'zod';
import { normalize } from '../../domain/decimal.js';
import {
  DecimalOut,
  MineralCode,
  Name,
  NonNegativeQuantity,
  PageQuery,
  page,
  TimestampOut,
} from '../../http/schemas.js';
import type { MineralRow } from './minerals.table.js';

export const MineralCreate = z.strictObject({
  code: MineralCode,
  name: Name(200),
  unit: z.enum(['kg', 't']),
  minimumReserve: NonNegativeQuantity.default('0'),
});
export type MineralCreate = z.infer<typeof MineralCreate>;

export const MineralPatch = z
  .strictObject({ name: Name(200).optional(), minimumReserve: NonNegativeQuantity.optional() })
  .refine(
    (p) => p.name !== undefined || p.minimumReserve !== undefined,
    'name or minimumReserve is required',
  );
export type MineralPatch = z.infer<typeof MineralPatch>;

export const Mineral = z
  .object({
    code: z.string(),
    name: z.string(),
    unit: z.enum(['kg', 't']),
    minimumReserve: DecimalOut,
    createdAt: TimestampOut,
    updatedAt: TimestampOut,
  })
  .meta({ id: 'Mineral' });
export type Mineral = z.infer<typeof Mineral>;

export const MineralList = page(Mineral);
export const MineralListQuery = z.strictObject({ ...PageQuery });
export const MineralParams = z.strictObject({ code: MineralCode });

export const mineralView = (row: MineralRow): Mineral => ({
  code: row.code,
  name: row.name,
  unit: row.unit,
  minimumReserve: normalize(row.minimumReserve),
  createdAt: row.createdAt.toISOString(),
  updatedAt: row.updatedAt.toISOString(),
});
