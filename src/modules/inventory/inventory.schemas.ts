import { z } from 'zod';
import { dec, max, normalize, ZERO } from '../../domain/decimal.js';
import { DecimalOut, MineralCode, PageQuery, page } from '../../http/schemas.js';
import type { MineralRow } from '../minerals/minerals.table.js';

export const InventoryPosition = z
  .object({
    mineralCode: z.string(),
    unit: z.enum(['kg', 't']),
    onHand: DecimalOut,
    reserved: DecimalOut,
    available: DecimalOut,
    minimumReserve: DecimalOut,
    drawable: DecimalOut,
  })
  .meta({ id: 'InventoryPosition' });
export type InventoryPosition = z.infer<typeof InventoryPosition>;

export const InventoryList = page(InventoryPosition);
export const InventoryListQuery = z.strictObject({ ...PageQuery });
export const InventoryParams = z.strictObject({ code: MineralCode });

/** available = onHand − reserved; drawable = max(0, available − minimumReserve). */
export const positionView = (row: MineralRow): InventoryPosition => {
  const available = dec(row.onHand).minus(row.reserved);
  return {
    mineralCode: row.code,
    unit: row.unit,
    onHand: normalize(row.onHand),
    reserved: normalize(row.reserved),
    available: normalize(available),
    minimumReserve: normalize(row.minimumReserve),
    drawable: normalize(max(ZERO, available.minus(row.minimumReserve))),
  };
};
