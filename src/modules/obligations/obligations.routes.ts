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
      description:
        'Replenishment obligations in creation order, filtered by `status`, `companyId` and ' +
        '`overdue`, paginated. A company token sees only its own. Changes nothing.',
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
      description:
        "One obligation with its deliveries. Another company's obligation answers 404 `not-found` " +
        'to a company token. Changes nothing.',
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
      description:
        'Records material returned against an obligation: the quantity becomes a new lot (`source: ' +
        '"replenishment"`) at the given depot with a `replenishment` ledger movement; the ' +
        'obligation becomes `partially_fulfilled` or `fulfilled`. Appends `lot.received` then ' +
        '`obligation.delivery_recorded`. More than outstanding: 409 `exceeds-outstanding`; a ' +
        'fulfilled or settled obligation: 409 `invalid-state-transition`.',
      security: BEARER,
      params: IdParams,
      body: DeliveryCreate,
      'x-responses': {
        201: 'The delivery is recorded: the updated obligation, with the new delivery among its `deliveries`. `Location` points at the obligation.',
      },
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
      description:
        'Closes an open or partially fulfilled obligation in cash (`amount`, `reason`): `status` ' +
        'becomes `settled`, it no longer counts against the entitlement and is never overdue. ' +
        'Appends `obligation.settled`. Already fulfilled or settled: 409 ' +
        '`invalid-state-transition`.',
      security: BEARER,
      params: IdParams,
      body: Settlement,
      response: { 200: Obligation, ...problems(403, 404, 409, 413, 422) },
    },
    handler: (req) => obligations.settle(req.ctx, req.params.id, req.body),
  });
}
