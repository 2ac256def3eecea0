import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { BEARER, problems } from '../../http/responses.js';
import { IdParams } from '../../http/schemas.js';
import type { Services } from '../../services.js';
import {
  Disruption,
  DisruptionDeclare,
  DisruptionEnd,
  DisruptionList,
  DisruptionListQuery,
  DisruptionPatch,
} from './disruptions.schemas.js';

export function disruptionRoutes(app: FastifyInstance, { disruptions }: Services): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const tags = ['Disruptions'];
  r.post('/v1/disruptions', {
    config: { roles: ['admin'] },
    schema: {
      operationId: 'declareDisruption',
      tags,
      summary: 'Declare a supply disruption over one or more minerals',
      description:
        'Admin only. Puts the listed minerals at the given level from now on: `alert` changes no rule (it is ' +
        'recorded on draws and shown in inventory); `emergency` lifts every cap to the whole maxOutstanding, ' +
        'queues new draws for an allocation round and releases the floor for rounds. Appends ' +
        '`disruption.declared`. Problems: 403 for other roles, 404 for an unknown mineral code, 409 `conflict` ' +
        'when a mineral is already covered by an active disruption.',
      security: BEARER,
      body: DisruptionDeclare,
      response: { 201: Disruption, ...problems(403, 404, 409, 413, 422) },
    },
    handler: async (req, reply) => {
      const disruption = await disruptions.declare(req.ctx, req.body);
      return reply.code(201).header('location', `/v1/disruptions/${disruption.id}`).send(disruption);
    },
  });
  r.get('/v1/disruptions', {
    schema: {
      operationId: 'listDisruptions',
      tags,
      summary: 'List disruptions',
      description:
        'Every role. Filters: `status` (active or ended) and `mineral` (the disruptions whose mineralCodes ' +
        'contain it), in declaration order. Changes nothing.',
      security: BEARER,
      querystring: DisruptionListQuery,
      response: { 200: DisruptionList, ...problems() },
    },
    handler: (req) => disruptions.list(req.query),
  });
  r.get('/v1/disruptions/:id', {
    schema: {
      operationId: 'getDisruption',
      tags,
      summary: 'Get a disruption',
      description: 'Every role. Changes nothing. Problems: 404 for an unknown id.',
      security: BEARER,
      params: IdParams,
      response: { 200: Disruption, ...problems(404) },
    },
    handler: (req) => disruptions.get(req.params.id),
  });
  r.patch('/v1/disruptions/:id', {
    config: { roles: ['admin'] },
    schema: {
      operationId: 'updateDisruption',
      tags,
      summary: "Change an active disruption's level, title or description",
      description:
        'Admin only. Accepts `level`, `title`, `description` (at least one). A level change applies to ' +
        'every submission and round that takes the mineral after it; draws already submitted keep what ' +
        'they were. Appends `disruption.updated`. Problems: 403 for other roles, 404 for an unknown id, ' +
        '409 `invalid-state-transition` on an ended disruption.',
      security: BEARER,
      params: IdParams,
      body: DisruptionPatch,
      response: { 200: Disruption, ...problems(403, 404, 409, 413) },
    },
    handler: (req) => disruptions.update(req.ctx, req.params.id, req.body),
  });
  r.post('/v1/disruptions/:id/end', {
    config: { roles: ['admin'] },
    schema: {
      operationId: 'endDisruption',
      tags,
      summary: 'End a disruption',
      description:
        'Admin only. Body optional (`{ reason? }`). Its minerals return to level none and may be covered ' +
        'by a new declaration; draws still queued stay queued until a round or a cancellation. Appends ' +
        '`disruption.ended`. Problems: 403 for other roles, 404 for an unknown id, 409 ' +
        '`invalid-state-transition` on an ended disruption.',
      security: BEARER,
      params: IdParams,
      body: DisruptionEnd,
      response: { 200: Disruption, ...problems(403, 404, 409, 413, 422) },
    },
    handler: (req) => disruptions.end(req.ctx, req.params.id, req.body?.reason),
  });
}
