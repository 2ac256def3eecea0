import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { BEARER, problems } from '../../http/responses.js';
import type { Services } from '../../services.js';
import {
  MarketPrice,
  MarketPriceList,
  PriceListQuery,
  PriceMineralParams,
  PriceParams,
  PriceRecord,
} from './prices.schemas.js';

export function priceRoutes(app: FastifyInstance, { prices }: Services): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const tags = ['Markets'];
  r.post('/v1/minerals/:code/prices', {
    config: { roles: ['admin'] },
    schema: {
      operationId: 'recordMarketPrice',
      tags,
      summary: "Record a mineral's market price",
      description:
        "Admin only. Appends one observation to the mineral's price history (prices are never edited or " +
        'deleted: a correction is a newer record) and the `price.recorded` audit event. `asOf` defaults ' +
        'to now; a time in the future is a 400 `validation-error`. An unknown mineral is a 404 `not-found`.',
      security: BEARER,
      params: PriceMineralParams,
      body: PriceRecord,
      response: { 201: MarketPrice, ...problems(403, 404, 409, 413, 422) },
    },
    handler: async (req, reply) => {
      const price = await prices.record(req.ctx, req.params.code, req.body);
      return reply
        .code(201)
        .header('location', `/v1/minerals/${price.mineralCode}/prices/${price.id}`)
        .send(price);
    },
  });
  r.get('/v1/minerals/:code/prices', {
    schema: {
      operationId: 'listMarketPrices',
      tags,
      summary: "List a mineral's market price history",
      description:
        'Every role. Prices in ascending `asOf` order (ties in the order they were recorded), `from` ' +
        'inclusive and `to` exclusive, paginated with `limit` and `cursor`. Changes nothing. An unknown ' +
        'mineral is a 404 `not-found`; a bad `from`, `to`, `limit` or `cursor` a 400 `validation-error`.',
      security: BEARER,
      params: PriceMineralParams,
      querystring: PriceListQuery,
      response: { 200: MarketPriceList, ...problems(404) },
    },
    handler: (req) => prices.list(req.params.code, req.query),
  });
  r.get('/v1/minerals/:code/prices/:id', {
    schema: {
      operationId: 'getMarketPrice',
      tags,
      summary: 'Get one recorded market price',
      description:
        'Every role. One price record of the mineral; changes nothing. An unknown mineral, or a price ' +
        'id that is not one of its records, is a 404 `not-found`.',
      security: BEARER,
      params: PriceParams,
      response: { 200: MarketPrice, ...problems(404) },
    },
    handler: (req) => prices.get(req.params.code, req.params.id),
  });
}
