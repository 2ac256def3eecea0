import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { BEARER, problems } from '../../http/responses.js';
import type { Services } from '../../services.js';
import {
  Mineral,
  MineralCreate,
  MineralList,
  MineralListQuery,
  MineralParams,
  MineralPatch,
} from './minerals.schemas.js';

export function mineralRoutes(app: FastifyInstance, { minerals }: Services): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const tags = ['Minerals'];
  r.get('/v1/minerals', {
    schema: {
      operationId: 'listMinerals',
      tags,
      summary: 'List minerals',
      description: 'The reserve catalogue in creation order, paginated. Changes nothing.',
      security: BEARER,
      querystring: MineralListQuery,
      response: { 200: MineralList, ...problems() },
    },
    handler: (req) => minerals.list(req.query),
  });
  r.get('/v1/minerals/:code', {
    schema: {
      operationId: 'getMineral',
      tags,
      summary: 'Get a mineral by code',
      description: 'One mineral by its code. Changes nothing. Unknown code: 404 `not-found`.',
      security: BEARER,
      params: MineralParams,
      response: { 200: Mineral, ...problems(404) },
    },
    handler: (req) => minerals.get(req.params.code),
  });
  r.post('/v1/minerals', {
    config: { roles: ['admin'] },
    schema: {
      operationId: 'createMineral',
      tags,
      summary: 'Add a mineral to the reserve catalogue',
      description:
        'Adds a mineral with its unit (`kg` or `t`) and strategic floor (`minimumReserve`, default ' +
        '`"0"`); appends `mineral.created` to the audit log. A code already in use: 409 `conflict`.',
      security: BEARER,
      body: MineralCreate,
      response: { 201: Mineral, ...problems(403, 409, 413, 422) },
    },
    handler: async (req, reply) => {
      const mineral = await minerals.create(req.ctx, req.body);
      return reply.code(201).header('location', `/v1/minerals/${mineral.code}`).send(mineral);
    },
  });
  r.patch('/v1/minerals/:code', {
    config: { roles: ['admin'] },
    schema: {
      operationId: 'updateMineral',
      tags,
      summary: 'Rename a mineral, move its strategic floor or change its market settings',
      description:
        'Renames a mineral, changes its strategic floor (`minimumReserve`, never negative) or its market ' +
        'settings (`floorPrice`, `dailyConsumption`, both nullable, and `targetCoverageDays`); `code` and ' +
        '`unit` are immutable. Appends `mineral.updated`. Unknown code: 404 `not-found`.',
      security: BEARER,
      params: MineralParams,
      body: MineralPatch,
      response: { 200: Mineral, ...problems(403, 404, 413) },
    },
    handler: (req) => minerals.update(req.ctx, req.params.code, req.body),
  });
}
