import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { BEARER, problems } from '../../http/responses.js';
import { IdParams } from '../../http/schemas.js';
import type { Services } from '../../services.js';
import { Lot, LotAdjust, LotAdjustment, LotList, LotListQuery, LotReceive } from './lots.schemas.js';

export function lotRoutes(app: FastifyInstance, { lots }: Services): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const tags = ['Lots'];
  r.post('/v1/lots', {
    config: { roles: ['admin'] },
    schema: {
      operationId: 'receiveLot',
      tags,
      summary: 'Receive procured stock into a new lot',
      description:
        'Receives procured stock into a new lot (`source: "procurement"`) at a depot: raises the ' +
        "mineral's on-hand stock, writes a `receipt` ledger movement and appends `lot.received`. " +
        'Unknown mineral or depot: 404 `not-found`.',
      security: BEARER,
      body: LotReceive,
      response: { 201: Lot, ...problems(403, 404, 409, 413, 422) },
    },
    handler: async (req, reply) => {
      const lot = await lots.receive(req.ctx, req.body);
      return reply.code(201).header('location', `/v1/lots/${lot.id}`).send(lot);
    },
  });
  r.get('/v1/lots', {
    config: { roles: ['admin', 'auditor'] },
    schema: {
      operationId: 'listLots',
      tags,
      summary: 'List lots, optionally by mineral and depot',
      description:
        'Lots in creation order, filtered by `mineral` and `depotId`, paginated. Companies may not ' +
        'list lots (403 `forbidden`). Changes nothing.',
      security: BEARER,
      querystring: LotListQuery,
      response: { 200: LotList, ...problems(403) },
    },
    handler: (req) => lots.list(req.query),
  });
  r.get('/v1/lots/:id', {
    config: { roles: ['admin', 'auditor'] },
    schema: {
      operationId: 'getLot',
      tags,
      summary: 'Get a lot',
      description:
        'One lot with its received and on-hand quantities. Companies may not read lots (403 ' +
        '`forbidden`). Changes nothing.',
      security: BEARER,
      params: IdParams,
      response: { 200: Lot, ...problems(403, 404) },
    },
    handler: (req) => lots.get(req.params.id),
  });
  r.post('/v1/lots/:id/adjustments', {
    config: { roles: ['admin'] },
    schema: {
      operationId: 'adjustLot',
      tags,
      summary: "Correct a lot's quantity after a stock count",
      description:
        "Corrects a lot's on-hand quantity after a stock count by a signed, non-zero " +
        '`quantityDelta`; writes an `adjustment` ledger movement and appends `lot.adjusted`. A lot ' +
        "may not go below zero, nor the mineral's on-hand below its held (reserved) quantity: 409 " +
        '`insufficient-stock`.',
      security: BEARER,
      params: IdParams,
      body: LotAdjust,
      'x-responses': {
        201: "The adjustment, with the lot's on-hand quantity after it. `Location` points at the lot.",
      },
      response: { 201: LotAdjustment, ...problems(403, 404, 409, 413, 422) },
    },
    handler: async (req, reply) => {
      const adjustment = await lots.adjust(req.ctx, req.params.id, req.body);
      return reply.code(201).header('location', `/v1/lots/${adjustment.lotId}`).send(adjustment);
    },
  });
}
