import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { BEARER, problems } from '../../http/responses.js';
import type { Services } from '../../services.js';
import { Valuation } from './valuation.schemas.js';

export function valuationRoutes(app: FastifyInstance, { valuation }: Services): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.get('/v1/valuation', {
    config: { roles: ['admin', 'auditor'] },
    schema: {
      operationId: 'getValuation',
      tags: ['Markets'],
      summary: 'What the reserve is worth now, per mineral and in total',
      description:
        'Admin and auditor only (a company token is a 403 `forbidden`). Book value at cost, market value ' +
        'at the current market price, unrealized gain on stock with a unit cost, the floor gap and the ' +
        "cost of buying the rest of each mineral's coverage target at the floor, per mineral in code " +
        'order and in total, with the minerals that have no market price named. Money is exact and ' +
        'rounded half-even to cents once per mineral and figure; totals add the rounded figures; a ' +
        'figure that needs a missing price, floor or consumption is null. Changes nothing.',
      security: BEARER,
      response: { 200: Valuation, ...problems(403) },
    },
    handler: () => valuation.now(),
  });
}
