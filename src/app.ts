import { randomUUID } from 'node:crypto';
import helmet from '@fastify/helmet';
import rateLimit from '@fastify/rate-limit';
import Fastify, {
  type FastifyInstance,
  type FastifyServerOptions,
  type preHandlerHookHandler,
} from 'fastify';
import { validatorCompiler } from 'fastify-type-provider-zod';
import type { Config } from './config.js';
import type { Database } from './db/client.js';
import type { ReadSide } from './db/replica.js';
import type { Clock } from './domain/clock.js';
import { bearerToken, checkRole, createTokenVerifier, requestContext } from './http/auth.js';
import {
  clientErrorHandler,
  frameworkErrors,
  registerErrorHandling,
  registerNotFound,
} from './http/error-handler.js';
import { healthRoutes } from './http/health.js';
import { registerIdempotency } from './http/idempotency.js';
import { registerInputRules } from './http/input.js';
import { registerOpenApi } from './http/openapi.js';
import { RETRY_AFTER_SECONDS, sendProblem } from './http/problem.js';
import { serializerCompiler } from './http/serializer.js';
import './http/types.js';
import { agreementRoutes } from './modules/agreements/agreements.routes.js';
import { allocationRoundRoutes } from './modules/allocation-rounds/allocation-rounds.routes.js';
import { auditRoutes } from './modules/audit/audit.routes.js';
import { companyRoutes } from './modules/companies/companies.routes.js';
import { depotRoutes } from './modules/depots/depots.routes.js';
import { disruptionRoutes } from './modules/disruptions/disruptions.routes.js';
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
  /**
   * The read replica opened for `config.readReplica` (`openReadReplica`), owned and closed by the
   * caller like `database`; required when the configuration names one.
   */
  readReplica?: ReadSide;
  clock: Clock;
  /** The resolved HS256 secret, or null when tokens are verified against AUTH_JWKS_URL. */
  jwtSecret: string | null;
  logger?: FastifyServerOptions['logger'];
}

const REQUEST_ID = /^[\x21-\x7E]{1,128}$/;
const IDEMPOTENCY_PURGE_MS = 10 * 60 * 1000;
/** helmet's own default policy, sent only where it means something: over TLS. */
const HSTS = 'max-age=31536000; includeSubDomains';

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
    // Behind a TLS-terminating proxy, X-Forwarded-Proto tells `request.protocol` (HSTS below).
    trustProxy: config.trustProxy,
    // Errors outside the request lifecycle answer problem documents too (see error-handler.ts).
    frameworkErrors,
    clientErrorHandler,
    // Our own drain hook below answers a 503 problem instead of Fastify's plain JSON.
    return503OnClosing: false,
  });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);

  // First, so every plugin context (swagger-ui included) answers with problems too.
  registerErrorHandling(app);

  // A configured replica that was not opened would silently put the auditors' reads back on the primary.
  if (config.readReplica && !options.readReplica)
    throw new Error('DATABASE_READ_URL is set: open the replica');
  const services = createServices({
    db: database.db,
    reads: options.readReplica ?? database,
    clock,
    config,
  });
  app.decorate('services', services);

  // External plugins first.
  // helmet's headers, fitted to the transport. `upgrade-insecure-requests` is left out of the policy:
  // served over plain HTTP under any name but localhost (a LAN address, a compose service name), it
  // makes browsers fetch /docs' own scripts over https, and the page stays blank; over TLS every asset
  // is same-origin and relative, so it upgrades nothing. HSTS is only honoured over TLS (RFC 6797
  // §8.1), so it is sent only to requests that came over TLS — directly, or through a proxy trusted
  // with TRUST_PROXY — never over plain HTTP.
  await app.register(helmet, {
    global: true,
    contentSecurityPolicy: { directives: { upgradeInsecureRequests: null } },
    strictTransportSecurity: false,
  });
  app.addHook('onRequest', async (request, reply) => {
    if (request.protocol === 'https') reply.header('strict-transport-security', HSTS);
  });
  await registerOpenApi(app);

  // Platform: drain, request id, authentication and roles, rate limit, idempotency, errors.
  let draining = false;
  app.addHook('preClose', (done) => {
    draining = true;
    done();
  });
  app.addHook('onRequest', (request, reply, done) => {
    reply.header('x-request-id', request.id);
    if (!draining) return done();
    reply.header('connection', 'close').header('retry-after', String(RETRY_AFTER_SECONDS));
    sendProblem(
      request,
      reply,
      'service-unavailable',
      'The server is shutting down; retry on another instance.',
    );
  });

  const verify = createTokenVerifier(config.auth, options.jwtSecret);
  app.decorateRequest('actor', null);
  app.decorateRequest('ctx', {
    getter() {
      return requestContext(this);
    },
  });
  app.decorateRequest('authError', null);
  // Authentication first, but its refusal waits until the rate limiter has counted the request by
  // address: callers without a valid token are limited too.
  app.addHook('onRequest', async (request) => {
    const routeConfig = request.routeOptions.config;
    if (routeConfig.public || request.is404) return;
    try {
      const actor = await verify(bearerToken(request.headers.authorization));
      request.actor = actor;
    } catch (error) {
      request.authError = error as Error;
    }
  });
  let limitNotFound: preHandlerHookHandler | undefined;
  if (config.rateLimitMax > 0) {
    await app.register(rateLimit, {
      global: true,
      max: config.rateLimitMax,
      timeWindow: 60_000,
      hook: 'onRequest',
      // Per caller (token subject); without a valid token (and unknown URLs) by address. Per process.
      keyGenerator: (request) => (request.actor ? `sub:${request.actor.sub}` : `ip:${request.ip}`),
      allowList: (request) => request.routeOptions.config.public === true,
      errorResponseBuilder: (_request, context) =>
        Object.assign(new Error(`rate limit exceeded, retry in ${context.after}`), { statusCode: 429 }),
    });
    limitNotFound = app.rateLimit();
  }
  registerNotFound(app, limitNotFound);
  // preParsing: after every onRequest hook, the limiter's (a route-level hook) included; before the body is read.
  app.addHook('preParsing', async (request, _reply, payload) => {
    if (request.authError) throw request.authError;
    const routeConfig = request.routeOptions.config;
    if (routeConfig.public || request.is404) return payload;
    if (request.actor) checkRole(request, request.actor);
    return payload;
  });
  registerInputRules(app);
  registerIdempotency(app, services.idempotency, config.auth.issuer);

  // Modules, explicitly.
  healthRoutes(app, database.ping);
  mineralRoutes(app, services);
  depotRoutes(app, services);
  companyRoutes(app, services);
  agreementRoutes(app, services);
  lotRoutes(app, services);
  inventoryRoutes(app, services);
  drawRoutes(app, services);
  disruptionRoutes(app, services);
  allocationRoundRoutes(app, services);
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
