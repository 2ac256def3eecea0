import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { BEARER, problems } from '../../http/responses.js';
import { IdParams } from '../../http/schemas.js';
import type { Services } from '../../services.js';
import {
  AllocationRound,
  AllocationRoundList,
  AllocationRoundListQuery,
  AllocationRoundRun,
} from './allocation-rounds.schemas.js';

export function allocationRoundRoutes(app: FastifyInstance, { allocationRounds }: Services): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const tags = ['Allocation rounds'];
  r.post('/v1/allocation-rounds', {
    config: { roles: ['admin'] },
    schema: {
      operationId: 'runAllocationRound',
      tags,
      summary: "Ration a mineral's queued draws in one deterministic round",
      description:
        'Admin only. Decides every queued draw of the mineral at once: draws of suspended or overdue ' +
        'companies are rejected ("not eligible"); the supply goes to classes DX, DO, unrated in turn, and ' +
        "within the first class it cannot satisfy, in proportion to the agreements' maxOutstanding, never " +
        "more than asked; each company's share goes to its draws oldest first. Allocated draws become " +
        'approved with the allocated quantity (and are held); the others rejected ("not allocated"). Writes ' +
        'the round, then appends `allocation_round.completed` and one `draw.allocated` or `draw.rejected` ' +
        'per draw. With `dryRun: true` answers 200 with the same body (id and createdAt null) and writes ' +
        'nothing. Send an Idempotency-Key: a retried round would ration whatever has queued since. ' +
        'Problems: 403 for other roles, 404 for an unknown mineral, 409 `nothing-to-allocate` without ' +
        'queued draws, 409 `insufficient-stock` when the supply is 0 or beyond drawable.',
      security: BEARER,
      body: AllocationRoundRun,
      response: { 200: AllocationRound, 201: AllocationRound, ...problems(403, 404, 409, 413, 422) },
    },
    handler: async (req, reply) => {
      const round = await allocationRounds.run(req.ctx, req.body);
      if (round.id === null) return reply.code(200).send(round);
      return reply.code(201).header('location', `/v1/allocation-rounds/${round.id}`).send(round);
    },
  });
  r.get('/v1/allocation-rounds', {
    config: { roles: ['admin', 'auditor'] },
    schema: {
      operationId: 'listAllocationRounds',
      tags,
      summary: 'List allocation rounds',
      description:
        'Admin and auditor (a company gets 403; it sees its own decided draws through ' +
        '`GET /v1/draws?allocationRoundId=`). Filter `mineral`; in the order the rounds ran. Changes nothing.',
      security: BEARER,
      querystring: AllocationRoundListQuery,
      response: { 200: AllocationRoundList, ...problems(403) },
    },
    handler: (req) => allocationRounds.list(req.query),
  });
  r.get('/v1/allocation-rounds/:id', {
    config: { roles: ['admin', 'auditor'] },
    schema: {
      operationId: 'getAllocationRound',
      tags,
      summary: 'Get an allocation round with its allocations',
      description:
        'Admin and auditor (a company gets 403). Changes nothing. Problems: 404 for an unknown id.',
      security: BEARER,
      params: IdParams,
      response: { 200: AllocationRound, ...problems(403, 404) },
    },
    handler: (req) => allocationRounds.get(req.params.id),
  });
}
