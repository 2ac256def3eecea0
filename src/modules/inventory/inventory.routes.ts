import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { BEARER, problems } from '../../http/responses.js';
import type { Services } from '../../services.js';
import {
  InventoryList,
  InventoryListQuery,
  InventoryParams,
  InventoryPosition,
  OriginBreakdown,
} from './inventory.schemas.js';

export function inventoryRoutes(app: FastifyInstance, { inventory }: Services): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const tags = ['Inventory'];
  r.get('/v1/inventory', {
    schema: {
      operationId: 'listInventory',
      tags,
      summary: 'Stock position of every mineral',
      description:
        'The stock position of every mineral, in creation order, paginated: `onHand` (sum of lots), ' +
        '`reserved` (held by pending and approved draws), `available` = `onHand - reserved`, and ' +
        '`drawable` = `max(0, available - minimumReserve)`. Changes nothing.',
      security: BEARER,
      querystring: InventoryListQuery,
      response: { 200: InventoryList, ...problems() },
    },
    handler: (req) => inventory.list(req.query),
  });
  r.get('/v1/inventory/:code', {
    schema: {
      operationId: 'getInventory',
      tags,
      summary: 'Stock position of one mineral',
      description:
        'The stock position of one mineral (see `listInventory` for the figures). Unknown code: 404 ' +
        '`not-found`. Changes nothing.',
      security: BEARER,
      params: InventoryParams,
      response: { 200: InventoryPosition, ...problems(404) },
    },
    handler: (req) => inventory.get(req.params.code),
  });
  r.get('/v1/inventory/:code/origins', {
    config: { roles: ['admin', 'auditor'] },
    schema: {
      operationId: 'getInventoryOrigins',
      tags,
      summary: "A mineral's on-hand stock by country of origin",
      description:
        'Admin and auditor only (a company token is a 403 `forbidden`). On-hand stock summed by lot ' +
        'origin, countries with stock only, largest first (ties by country code), each with its share of ' +
        'the total rounded half-even to 4 decimals; a mineral without stock has `origins: []`. Changes ' +
        'nothing. An unknown mineral is a 404 `not-found`.',
      security: BEARER,
      params: InventoryParams,
      response: { 200: OriginBreakdown, ...problems(403, 404) },
    },
    handler: (req) => inventory.origins(req.params.code),
  });
}
