import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import { jsonSchemaTransform } from 'fastify-type-provider-zod';

const TAGS = [
  ['Minerals', 'The catalogue of critical minerals and their strategic floors'],
  ['Depots', 'Where lots are stored'],
  ['Lots', 'Stored stock, by lot'],
  ['Inventory', 'On-hand, reserved, available and drawable stock per mineral'],
  ['Companies', 'Member companies'],
  ['Agreements', 'Fixed-price draw agreements'],
  ['Draws', 'Draw requests, holds, approval and fulfilment'],
  ['Obligations', 'Replenishment obligations created by fulfilled draws'],
  ['Audit', 'The hash-chained audit log'],
  ['Ledger', 'Every stock movement'],
  ['Markets', 'Market prices, and what the reserve is worth against them'],
  ['Health', 'Liveness and readiness'],
];

/** OpenAPI 3.1 generated from the route schemas; served at /openapi.json, interactive docs at /docs. */
export async function registerOpenApi(app: FastifyInstance): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Strategic Mineral Reserve API',
        version: '1.0.0',
        description:
          'Inventory by lot and depot, fixed-price draws with holds, replenishment obligations and a ' +
          'hash-chained audit log. Decimals are strings. Errors are RFC 9457 problems.',
      },
      tags: TAGS.map(([name, description]) => ({ name: name!, description: description! })),
      components: {
        securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
      },
      security: [{ bearerAuth: [] }],
    },
    transform: jsonSchemaTransform,
  });
  // The interactive docs and their static assets need no token.
  app.addHook('onRoute', (route) => {
    if (route.url.startsWith('/docs')) route.config = { ...route.config, public: true };
  });
  await app.register(swaggerUi, {
    routePrefix: '/docs',
    staticCSP: true,
    uiConfig: { persistAuthorization: true },
  });
  app.get('/openapi.json', { config: { public: true }, schema: { hide: true } }, () => app.swagger());
}
