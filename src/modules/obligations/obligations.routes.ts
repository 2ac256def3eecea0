import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { BEARER, problems } from '../../http/responses.js';
import { IdParams } from '../../http/schemas.js';
import type { Services } from '../../services.js';
import {
  DeliveryCreate,
  Obligation,
  ObligationList,
  ObligationListQuery,
  Settlement,
} from './obligations.schemas.js';

export function obligationRoutes(app: FastifyInstance, { obligations }: Services): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const tags = ['Obligations'];
  r.get('/v1/obligations', {
    schema: {
      operationId: 'listObligations',
      tags,
      summary: 'List replenishment obligations (a company sees only its own)',
      security: BEARER,
      querystring: ObligationListQuery,
      response: { 200: ObligationList, ...problems() },
    },
    handler: (req) => obligations.list(req.ctx.actor, req.query),
  });
  r.get('/v1/obligations/:id', {
    schema: {
      operationId: 'getObligation',
      tags,
      summary: 'Get a replenishment obligation',
      security: BEARER,
      params: IdParams,
      response: { 200: Obligation, ...problems(404) },
    },
    handler: (req) => obligations.get(req.ctx.actor, req.params.id),
  });
  r.post('/v1/obligations/:id/deliveries', {
    config: { roles: ['admin'] },
    schema: {
      operationId: 'recordDelivery',
      tags,
      summary: 'Record a replenishment delivery; it becomes a new lot',
      security: BEARER,
      params: IdParams,
      body: DeliveryCreate,
      response: { 201: Obligation, ...problems(403, 404, 409, 413, 422) },
    },
    handler: async (req, reply) => {
      const obligation = await obligations.deliver(req.ctx, req.params.id, req.body);
      return reply.code(201).header('location', `/v1/obligations/${obligation.id}`).send(obligation);
    },
  });
  r.post('/v1/obligations/:id/settle', {
    config: { roles: ['admin'] },
    schema: {
      operationId: 'settleObligation',
      tags,
      summary: 'Close an unfulfilled obligation in cash',
      security: BEARER,
      params: IdParams,
      body: Settlement,
      response: { 200: Obligation, ...problems(403, 404, 409, 413, 422) },
    },
    handler: (req) => obligations.settle(req.ctx, req.params.id, req.body),
  });
}
