import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { BEARER, problems } from '../../http/responses.js';
import type { Services } from '../../services.js';
import { AuditEventList, AuditListQuery, ChainReportSchema } from './audit.schemas.js';

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
      security: BEARER,
      querystring: AuditListQuery,
      response: { 200: AuditEventList, ...problems(403) },
    },
    handler: (req) => audit.list(req.query),
  });
  r.get('/v1/audit-events/verify', {
    config: { roles },
    schema: {
      operationId: 'verifyAuditChain',
      tags,
      summary: 'Recompute the hash chain over every stored event',
      security: BEARER,
      response: { 200: ChainReportSchema, ...problems(403) },
    },
    handler: () => audit.verify(),
  });
}
