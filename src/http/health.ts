import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { DomainError } from '../domain/errors.js';
import { problems } from './responses.js';

const Status = z.object({ status: z.literal('ok') });
/** Readiness answers within a second even when the database hangs (a probe must not hang with it). */
const PING_TIMEOUT_MS = 800;

const withTimeout = async (ping: () => Promise<void>) => {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      ping(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error('ping timed out')), PING_TIMEOUT_MS);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
};

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
        await withTimeout(ping);
      } catch {
        throw new DomainError('service-unavailable', 'The database is not answering.');
      }
      return { status: 'ok' as const };
    },
  });
}
