import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { BEARER, problems } from '../../http/responses.js';
import { IdParams } from '../../http/schemas.js';
import type { Services } from '../../services.js';
import { Depot, DepotCreate, DepotList, DepotListQuery } from './depots.schemas.js';

export function depotRoutes(app: FastifyInstance, { depots }: Services): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const tags = ['Depots'];
  r.get('/v1/depots', {
    schema: {
      operationId: 'listDepots',
      tags,
      summary: 'List depots',
      description: 'Every depot, in creation order, paginated. Changes nothing.',
      security: BEARER,
      querystring: DepotListQuery,
      response: { 200: DepotList, ...problems() },
    },
    handler: (req) => depots.list(req.query),
  });
  r.get('/v1/depots/:id', {
    schema: {
      operationId: 'getDepot',
      tags,
      summary: 'Get a depot',
      description: 'One depot. Changes nothing. Unknown id: 404 `not-found`.',
      security: BEARER,
      params: IdParams,
      response: { 200: Depot, ...problems(404) },
    },
    handler: (req) => depots.get(req.params.id),
  });
  r.post('/v1/depots', {
    config: { roles: ['admin'] },
    schema: {
      operationId: 'createDepot',
      tags,
      summary: 'Register a depot',
      description:
        'Registers a depot (unique `code`, ISO 3166-1 alpha-2 `country`); appends `depot.created`. ' +
        'A code already in use: 409 `conflict`.',
      security: BEARER,
      body: DepotCreate,
      response: { 201: Depot, ...problems(403, 409, 413, 422) },
    },
    handler: async (req, reply) => {
      const depot = await depots.create(req.ctx, req.body);
      return reply.code(201).header('location', `/v1/depots/${depot.id}`).send(depot);
    },
  });
}
