import { z } from 'zod';
import { dec, normalize } from '../../domain/decimal.js';
import { DecimalOut, MineralCode, PageQuery, page } from '../../http/schemas.js';
import { drawable, type Level } from '../draws/draws.rules.js';
import type { MineralRow } from '../minerals/minerals.table.js';
import { coverageDays, coverageGap } from '../valuation/valuation.rules.js';

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
    // Coverage (docs/markets.md): null without a daily consumption.
    dailyConsumption: DecimalOut.nullable(),
    targetCoverageDays: z.int(),
    coverageDays: DecimalOut.nullable().meta({
      description: 'available ÷ dailyConsumption, rounded down to 1 decimal ("0" when nothing is available)',
      example: '42.7',
    }),
    coverageGap: DecimalOut.nullable().meta({
      description:
        'max(0, targetCoverageDays × dailyConsumption − available), rounded up to 3 decimals: the quantity still to procure',
      example: '514.5',
    }),
  })
  .meta({ id: 'InventoryPosition' });
export type InventoryPosition = z.infer<typeof InventoryPosition>;

export const InventoryList = page(InventoryPosition);
export const InventoryListQuery = z.strictObject({ ...PageQuery });
export const InventoryParams = z.strictObject({ code: MineralCode });

/** available = onHand − reserved; drawable per the level (`drawable` in draws.rules.ts); coverage from available. */
export const positionView = (row: MineralRow, level: Level): InventoryPosition => {
  // Each figure parsed once and handed on as a Decimal: an inventory page re-parsed the same texts
  // about ten times per position (a seventh of its CPU, BENCHMARKS.md issue 12).
  const position = {
    onHand: dec(row.onHand),
    reserved: dec(row.reserved),
    minimumReserve: dec(row.minimumReserve),
  };
  const available = position.onHand.minus(position.reserved);
  const coverage = {
    available,
    dailyConsumption: row.dailyConsumption === null ? null : dec(row.dailyConsumption),
    targetCoverageDays: row.targetCoverageDays,
  };
  const gap = coverageGap(coverage);
  return {
    mineralCode: row.code,
    unit: row.unit,
    onHand: normalize(row.onHand),
    reserved: normalize(row.reserved),
    available: normalize(available),
    minimumReserve: normalize(row.minimumReserve),
    drawable: normalize(drawable(position, level)),
    queued: normalize(row.queued),
    disruptionLevel: level,
    dailyConsumption: row.dailyConsumption === null ? null : normalize(row.dailyConsumption),
    targetCoverageDays: row.targetCoverageDays,
    coverageDays: coverageDays(coverage),
    coverageGap: gap === null ? null : normalize(gap),
  };
};

export const OriginBreakdown = z
  .object({
    mineralCode: z.string(),
    onHand: DecimalOut,
    origins: z.array(
      z.object({
        originCountry: z.string(),
        onHand: DecimalOut,
        share: DecimalOut.meta({
          description: "This country's on-hand ÷ the mineral's, half-even to exactly 4 decimals",
          example: '0.6250',
        }),
      }),
    ),
  })
  .meta({ id: 'OriginBreakdown' });
export type OriginBreakdown = z.infer<typeof OriginBreakdown>;
