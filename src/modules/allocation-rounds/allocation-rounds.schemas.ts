import { z } from 'zod';
import { normalize } from '../../domain/decimal.js';
import { DecimalOut, MineralCode, PageQuery, page, Quantity, TimestampOut } from '../../http/schemas.js';
import { PRIORITY_CLASSES } from '../agreements/agreements.table.js';
import type { AllocationRoundRow } from './allocation-rounds.table.js';

export const AllocationRoundRun = z
  .strictObject({
    mineralCode: MineralCode,
    supply: Quantity.optional().meta({
      description:
        'What to hand out (> 0, ≤ 3 decimals). Default: the stock above the floor. May be larger, up to ' +
        'drawable (at emergency that reaches into the floor).',
    }),
    dryRun: z.boolean().optional().meta({ description: 'Preview the round: 200, nothing written' }),
  })
  .meta({ id: 'AllocationRoundRun' });
export type AllocationRoundRun = z.infer<typeof AllocationRoundRun>;

export const RoundAllocation = z
  .object({
    drawId: z.uuid(),
    companyId: z.uuid(),
    priorityClass: z.enum(PRIORITY_CLASSES),
    requested: DecimalOut,
    allocated: DecimalOut,
  })
  .meta({ id: 'RoundAllocation' });
export type RoundAllocation = z.infer<typeof RoundAllocation>;

export const AllocationRound = z
  .object({
    id: z.uuid().nullable().meta({ description: 'null in a dry run' }),
    mineralCode: z.string(),
    disruptionId: z.uuid().nullable(),
    level: z.enum(['none', 'alert', 'emergency']),
    supply: DecimalOut,
    requestedTotal: DecimalOut,
    allocatedTotal: DecimalOut,
    floorUsed: DecimalOut,
    createdAt: TimestampOut.nullable().meta({ description: 'null in a dry run' }),
    allocations: z.array(RoundAllocation),
  })
  .meta({ id: 'AllocationRound' });
export type AllocationRound = z.infer<typeof AllocationRound>;

export const AllocationRoundList = page(AllocationRound);
export const AllocationRoundListQuery = z.strictObject({ ...PageQuery, mineral: MineralCode.optional() });
export type AllocationRoundListQuery = z.infer<typeof AllocationRoundListQuery>;

export const roundView = (row: AllocationRoundRow): AllocationRound => ({
  id: row.id,
  mineralCode: row.mineralCode,
  disruptionId: row.disruptionId,
  level: row.level,
  supply: normalize(row.supply),
  requestedTotal: normalize(row.requestedTotal),
  allocatedTotal: normalize(row.allocatedTotal),
  floorUsed: normalize(row.floorUsed),
  createdAt: row.createdAt.toISOString(),
  allocations: row.allocations,
});
