import { randomUUID } from 'node:crypto';
import helmet from '@fastify/helmet';
import rateLimit from '@fastify/rate-limit';
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import { serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import type { Config } from './config.js';
import type { Database } from './db/client.js';
import type { Clock } from './domain/clock.js';
import { DomainError } from './domain/errors.js';
import { bearerToken, createTokenVerifier } from './http/auth.js';
import { registerErrorHandling } from './http/error-handler.js';
import { healthRoutes } from './http/health.js';
import { registerIdempotency } from './http/idempotency.js';
import { registerOpenApi } from './http/openapi.js';
import './http/types.js';
import { agreementRoutes } from './modules/agreements/agreements.routes.js';
import { auditRoutes } from './modules/audit/audit.routes.js';
import { companyRoutes } from './modules/companies/companies.routes.js';
import { depotRoutes } from './modules/depots/depots.routes.js';
import { drawRoutes } from './modules/draws/draws.routes.js';
import { inventoryRoutes } from './modules/inventory/inventory.routes.js';
import { ledgerRoutes } from './modules/ledger/ledger.routes.js';
import { lotRoutes } from './modules/lots/lots.routes.js';
import { mineralRoutes } from './modules/minerals/minerals.routes.js';
import { obligationRoutes } from './modules/obligations/obligations.routes.js';
import { priceRoutes } from './modules/prices/prices.routes.js';
import { valuationRoutes } from './modules/valuation/valuation.routes.js';
import { createServices, type Services } from './services.js';

export interface AppOptions {
  config: Config;
  database: Database;
  clock: Clock;
  /** The resolved HS256 secret, or null when tokens are verified against AUTH_JWKS_URL. */
  jwtSecret: string | null;
  logger?: FastifyServerOptions['logger'];
}

const REQUEST_ID = /^[\x21-\x7E]{1,128}$/;
const IDEMPOTENCY_PURGE_MS = 10 * 60 * 1000;

declare module 'fastify' {
  interface FastifyInstance {
    services: Services;
  }
}

/** Builds the HTTP application (never listens): plugins, then the platform hooks, then the modules. */
export async function buildApp(options: AppOptions): Promise<FastifyInstance> {
  const { config, database, clock } = options;
  const app = Fastify({
    logger: options.logger ?? {
      level: config.logLevel,
      redact: ['req.headers.authorization', 'req.headers.cookie'],
    },
    bodyLimit: config.bodyLimit,
    // A slow client must not pin a connection forever (Fastify's default is no limit).
    requestTimeout: 30_000,
    connectionTimeout: 60_000,
    requestIdHeader: false,
    genReqId: (req) => {
      const sent = req.headers['x-request-id'];
      return typeof sent === 'string' && REQUEST_ID.test(sent) ? sent : randomUUID();
    },
    ajv: undefined,
  });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);

  // First, so every plugin context (swagger-ui included) answers with problems too.
  registerErrorHandling(app);

  const services = createServices({
    db: database.db,
    streamRows: database.streamRows,
    streamLines: database.streamLines,
    clock,
    config,
  });
  app.decorate('services', services);

  // External plugins first.
  await app.register(helmet, { global: true });
  await registerOpenApi(app);

  // Platform: request id, authentication and roles, rate limit, idempotency, errors.
  const verify = createTokenVerifier(config.auth, options.jwtSecret);
  app.decorateRequest('actor', null as never);
  app.decorateRequest('ctx', null as never);
  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
    const routeConfig = request.routeOptions.config;
    if (routeConfig.public || request.is404) return;
    const actor = await verify(bearerToken(request.headers.authorization));
    request.actor = actor;
    request.ctx = { actor, requestId: request.id };
    if (routeConfig.roles && !routeConfig.roles.includes(actor.role)) {
      throw new DomainError(
        'forbidden',
        `The ${actor.role} role may not ${request.method} ${request.routeOptions.url}.`,
      );
    }
  });
  if (config.rateLimitMax > 0) {
    await app.register(rateLimit, {
      global: true,
      max: config.rateLimitMax,
      timeWindow: 60_000,
      hook: 'preValidation',
      // Per caller (token subject); unauthenticated routes by address. Counted per process.
      keyGenerator: (request) => (request.actor ? `sub:${request.actor.sub}` : `ip:${request.ip}`),
      allowList: (request) => request.routeOptions.config.public === true,
      errorResponseBuilder: (_request, context) =>
        Object.assign(new Error(`rate limit exceeded, retry in ${context.after}`), { statusCode: 429 }),
    });
  }
  registerIdempotency(app, services.idempotency);

  // Modules, explicitly.
  healthRoutes(app, database.ping);
  mineralRoutes(app, services);
  depotRoutes(app, services);
  companyRoutes(app, services);
  agreementRoutes(app, services);
  lotRoutes(app, services);
  inventoryRoutes(app, services);
  drawRoutes(app, services);
  obligationRoutes(app, services);
  auditRoutes(app, services);
  ledgerRoutes(app, services);
  priceRoutes(app, services);
  valuationRoutes(app, services);

  let purgeTimer: NodeJS.Timeout | undefined;
  app.addHook('onReady', async () => {
    purgeTimer = setInterval(() => {
      services.idempotency.purgeExpired().catch((err) => app.log.warn({ err }, 'idempotency purge failed'));
    }, IDEMPOTENCY_PURGE_MS);
    purgeTimer.unref();
  });
  app.addHook('onClose', async () => clearInterval(purgeTimer));
  return app;
}
