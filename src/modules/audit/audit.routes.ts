import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { exportResponse, sendExport } from '../../http/export.js';
import { BEARER, problems } from '../../http/responses.js';
import type { Services } from '../../services.js';
import { AuditEventList, AuditExportQuery, AuditListQuery, ChainReportSchema } from './audit.schemas.js';

export function auditRoutes(app: FastifyInstance, { audit }: Services): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const tags = ['Audit'];
  const roles = ['admin', 'auditor'] as const;
  r.get('/v1/audit-events', {
    config: { roles },
    schema: {
      operationId: 'listAuditEvents',
      tags,
      summary: 'List audit events in seq order, with filters',
      description:
        'Audit events in `seq` order after `afterSeq`, filtered by `entityType`, `entityId` and ' +
        '`action`. Changes nothing.',
      security: BEARER,
      querystring: AuditListQuery,
      response: { 200: AuditEventList, ...problems(403) },
    },
    handler: (req) => audit.list(req.query),
  });
  r.get('/v1/audit-events/export', {
    config: { roles },
    schema: {
      operationId: 'exportAuditEvents',
      tags,
      summary: 'Download audit events as NDJSON or CSV, streamed in seq order',
      description:
        'Streams `fromSeq`..`toSeq` (both inclusive; by default the whole chain up to its current head) ' +
        'in constant server memory. NDJSON lines are the objects the list returns, so the file can be ' +
        'verified offline (`npm run verify-export`); CSV has a header row and `actor`/`data` as JSON text.',
      security: BEARER,
      querystring: AuditExportQuery,
      response: { 200: exportResponse('AuditEvent'), ...problems(403) },
    },
    handler: async (req, reply) => sendExport(reply, await audit.exportEvents(req.query)),
  });
  r.get('/v1/audit-events/verify', {
    config: { roles },
    schema: {
      operationId: 'verifyAuditChain',
      tags,
      summary: 'Recompute the hash chain over every stored event and check the stored head',
      description:
        "Recomputes every event's hash from the stored rows (SHA-256 over the previous hash and " +
        'the JCS-canonical body) and checks the stored head. `valid` is false and `firstInvalidSeq` ' +
        'names the first broken event when anything was altered. Changes nothing.',
      security: BEARER,
      response: { 200: ChainReportSchema, ...problems(403) },
    },
    handler: () => audit.verify(),
  });
}
