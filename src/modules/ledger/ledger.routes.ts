import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { exportResponse, sendExport } from '../../http/export.js';
import { BEARER, problems } from '../../http/responses.js';
import type { Services } from '../../services.js';
import { LedgerExportQuery } from './ledger.schemas.js';

export function ledgerRoutes(app: FastifyInstance, { ledger }: Services): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.get('/v1/ledger/export', {
    config: { roles: ['admin', 'auditor'] },
    schema: {
      operationId: 'exportLedger',
      tags: ['Ledger'],
      summary: 'Download the inventory ledger (every stock movement) as NDJSON or CSV',
      description:
        'Streams movements in seq order in constant server memory, optionally for one `mineral` and a ' +
        'time window (`from` inclusive, `to` exclusive). `quantity` is signed; `balanceAfter` is the ' +
        "mineral's on-hand after the movement, so per mineral the quantities sum to the last balance.",
      security: BEARER,
      querystring: LedgerExportQuery,
      response: { 200: exportResponse('LedgerMovement'), ...problems(403) },
    },
    handler: async (req, reply) => sendExport(reply, await ledger.exportMovements(req.query)),
  });
}
