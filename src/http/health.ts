import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { DomainError } from '../domain/errors.js';
import { problems } from './responses.js';

const Status = z.object({ status: z.literal('ok') });

export function healthRoutes(app: FastifyInstance, ping: () => Promise<void>): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const common = { config: { public: true } } as const;
  r.get('/health/live', {
    ...common,
    schema: {
      operationId: 'live',
      tags: ['Health'],
      summary: 'The process is up',
      description: 'Answers 200 while the process runs; no database access, no token. For liveness probes.',
      security: [],
      response: { 200: Status },
    },
    handler: async () => ({ status: 'ok' as const }),
  });
  r.get('/health/ready', {
    ...common,
    schema: {
      operationId: 'ready',
      tags: ['Health'],
      summary: 'The database answers',
      description:
        'Answers 200 when the database answers a query, 503 otherwise; no token. For readiness ' +
        'probes and load balancers.',
      security: [],
      response: { 200: Status, ...problems(503) },
    },
    handler: async () => {
      try {
        await ping();
      } catch {
        throw new DomainError('service-unavailable', 'The database is not answering.');
      }
      return { status: 'ok' as const };
    },
  });
}
