import { z } from 'zod';
import { MineralCode, PageQuery, page, Text, TimestampOut } from '../../http/schemas.js';
import { DISRUPTION_LEVELS, DISRUPTION_STATUSES, type DisruptionRow } from './disruptions.table.js';

export const DisruptionLevelIn = z.enum(DISRUPTION_LEVELS).meta({
  description:
    '`alert` changes no rule; at `emergency` caps are the whole maxOutstanding, draws are queued for allocation rounds and the floor is released for rounds',
});

export const DisruptionDeclare = z
  .strictObject({
    title: Text(200),
    mineralCodes: z
      .array(MineralCode)
      .min(1)
      .max(50)
      .refine((codes) => new Set(codes).size === codes.length, 'must not repeat a code'),
    level: DisruptionLevelIn,
    description: Text(2000).optional(),
  })
  .meta({ id: 'DisruptionDeclare' });
export type DisruptionDeclare = z.infer<typeof DisruptionDeclare>;

export const DisruptionPatch = z
  .strictObject({
    level: DisruptionLevelIn.optional(),
    title: Text(200).optional(),
    description: Text(2000).optional(),
  })
  .refine((v) => v.level !== undefined || v.title !== undefined || v.description !== undefined, {
    message: 'send level, title, description or several of them',
  })
  .meta({ id: 'DisruptionPatch' });
export type DisruptionPatch = z.infer<typeof DisruptionPatch>;

export const DisruptionEnd = z.strictObject({ reason: Text(2000).optional() }).nullish();

export const Disruption = z
  .object({
    id: z.uuid(),
    title: z.string(),
    description: z.string().nullable(),
    mineralCodes: z.array(z.string()),
    level: z.enum(DISRUPTION_LEVELS),
    status: z.enum(DISRUPTION_STATUSES),
    declaredAt: TimestampOut,
    endedAt: TimestampOut.nullable(),
    endReason: z.string().nullable(),
    createdAt: TimestampOut,
    updatedAt: TimestampOut,
  })
  .meta({ id: 'Disruption' });
export type Disruption = z.infer<typeof Disruption>;

export const DisruptionList = page(Disruption);
export const DisruptionListQuery = z.strictObject({
  ...PageQuery,
  status: z.enum(DISRUPTION_STATUSES).optional(),
  mineral: MineralCode.optional(),
});
export type DisruptionListQuery = z.infer<typeof DisruptionListQuery>;

export const disruptionView = (row: DisruptionRow, mineralCodes: string[]): Disruption => ({
  id: row.id,
  title: row.title,
  description: row.description,
  mineralCodes,
  level: row.level,
  status: row.status,
  declaredAt: row.declaredAt.toISOString(),
  endedAt: row.endedAt?.toISOString() ?? null,
  endReason: row.endReason,
  createdAt: row.createdAt.toISOString(),
  updatedAt: row.updatedAt.toISOString(),
});
