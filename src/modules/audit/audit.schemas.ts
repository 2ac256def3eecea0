import { z } from 'zod';
import { MineralCode, Timestamp, TimestampOut } from '../../http/schemas.js';

export const AuditEventSchema = z
  .object({
    seq: z.number().int(),
    occurredAt: TimestampOut,
    actor: z.object({ sub: z.string(), role: z.string(), companyId: z.string().nullable() }),
    action: z.string(),
    entityType: z.string(),
    entityId: z.string(),
    data: z.unknown(),
    requestId: z.string(),
    prevHash: z.string(),
    hash: z.string(),
  })
  .meta({ id: 'AuditEvent' });

export const AuditEventList = z.object({
  data: z.array(AuditEventSchema),
  nextCursor: z.string().nullable(),
});

const Seq = z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

export const AuditListQuery = z.strictObject({
  afterSeq: Seq.optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z
    .string()
    .regex(/^\d{1,16}$/, 'is malformed; pass back a nextCursor exactly as received')
    .optional(),
  entityType: z.string().min(1).max(64).optional(),
  entityId: z.string().min(1).max(128).optional(),
  action: z
    .string()
    .regex(/^[a-z_]+\.[a-z_]+$/, 'must look like entity.verb')
    .optional(),
  from: Timestamp.optional(),
  to: Timestamp.optional(),
});
export type AuditListQuery = z.infer<typeof AuditListQuery>;

export const AuditExportQuery = z.strictObject({
  format: z.enum(['ndjson', 'csv']).default('ndjson'),
  fromSeq: Seq.optional(),
  toSeq: Seq.optional(),
});

export const ChainReportSchema = z
  .object({
    valid: z.boolean(),
    eventsChecked: z.number().int(),
    headSeq: z.number().int().nullable(),
    headHash: z.string().nullable(),
    firstInvalidSeq: z.number().int().nullable(),
  })
  .meta({ id: 'ChainReport' });

export const LedgerExportQuery = z.strictObject({
  format: z.enum(['ndjson', 'csv']).default('ndjson'),
  mineral: MineralCode.optional(),
  from: Timestamp.optional(),
  to: Timestamp.optional(),
});
