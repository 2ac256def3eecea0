import { z } from 'zod';
import { dec, normalize } from '../../domain/decimal.js';
import { DecimalOut, MineralCode, PageQuery, page } from '../../http/schemas.js';
import { drawable, type Level } from '../draws/draws.rules.js';
import type { MineralRow } from '../minerals/minerals.table.js';

export const InventoryPosition = z
  .object({
    mineralCode: z.string(),
    unit: z.enum(['kg', 't']),
    onHand: DecimalOut,
    reserved: DecimalOut,
    available: DecimalOut,
    minimumReserve: DecimalOut,
    drawable: DecimalOut.meta({
      description: 'max(0, available − minimumReserve); at level emergency the floor is released: available',
    }),
    queued: DecimalOut.meta({ description: 'Σ quantities of queued draws (not held)' }),
    disruptionLevel: z.enum(['none', 'alert', 'emergency']),
  })
  .meta({ id: 'InventoryPosition' });
export type InventoryPosition = z.infer<typeof InventoryPosition>;

export const InventoryList = page(InventoryPosition);
export const InventoryListQuery = z.strictObject({ ...PageQuery });
export const InventoryParams = z.strictObject({ code: MineralCode });

/** available = onHand − reserved; drawable per the level (`drawable` in draws.rules.ts). */
export const positionView = (row: MineralRow, level: Level): InventoryPosition => {
  const available = dec(row.onHand).minus(row.reserved);
  return {
    mineralCode: row.code,
    unit: row.unit,
    onHand: normalize(row.onHand),
    reserved: normalize(row.reserved),
    available: normalize(available),
    minimumReserve: normalize(row.minimumReserve),
    drawable: normalize(drawable(row, level)),
    queued: normalize(row.queued),
    disruptionLevel: level,
  };
};
