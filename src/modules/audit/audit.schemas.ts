import { z } from 'zod';
import { type CsvColumn, ExportFormat } from '../../http/export.js';
import { Timestamp, TimestampOut } from '../../http/schemas.js';
import type { AuditEvent } from './audit.chain.js';

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

export const AuditExportQuery = z
  .strictObject({
    format: ExportFormat,
    fromSeq: Seq.optional().meta({ description: 'First seq to include (inclusive); default 1' }),
    toSeq: Seq.optional().meta({ description: 'Last seq to include (inclusive); default the chain head' }),
  })
  .refine((q) => q.fromSeq === undefined || q.toSeq === undefined || q.fromSeq <= q.toSeq, {
    path: ['toSeq'],
    message: 'must not be less than fromSeq',
  });
export type AuditExportQuery = z.infer<typeof AuditExportQuery>;

/** Export columns, in the list's field order; `actor` and `data` as JSON text. */
export const AUDIT_CSV_COLUMNS: readonly CsvColumn<AuditEvent>[] = [
  { header: 'seq', cell: (e) => e.seq },
  { header: 'occurredAt', cell: (e) => e.occurredAt },
  { header: 'actor', cell: (e) => JSON.stringify(e.actor) },
  { header: 'action', cell: (e) => e.action },
  { header: 'entityType', cell: (e) => e.entityType },
  { header: 'entityId', cell: (e) => e.entityId },
  { header: 'data', cell: (e) => JSON.stringify(e.data) },
  { header: 'requestId', cell: (e) => e.requestId },
  { header: 'prevHash', cell: (e) => e.prevHash },
  { header: 'hash', cell: (e) => e.hash },
];

export const ChainReportSchema = z
  .object({
    valid: z.boolean(),
    eventsChecked: z.number().int(),
    headSeq: z.number().int().nullable(),
    headHash: z.string().nullable(),
    firstInvalidSeq: z.number().int().nullable(),
  })
  .meta({ id: 'ChainReport' });
