import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { BEARER, problems } from '../../http/responses.js';
import { IdParams } from '../../http/schemas.js';
import type { Services } from '../../services.js';
import {
  Draw,
  DrawApprove,
  DrawCancel,
  DrawFulfil,
  DrawList,
  DrawListQuery,
  DrawReject,
  DrawSubmit,
} from './draws.schemas.js';

export function drawRoutes(app: FastifyInstance, { draws }: Services): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const tags = ['Draws'];
  const transition = {
    params: IdParams,
    security: BEARER,
    tags,
    response: { 200: Draw, ...problems(403, 404, 409, 413, 422) },
  };
  r.post('/v1/draws', {
    config: { roles: ['company'] },
    schema: {
      operationId: 'submitDraw',
      tags,
      summary: "Request a draw at the agreement's fixed price; the quantity is held at once",
      security: BEARER,
      body: DrawSubmit,
      response: { 201: Draw, ...problems(403, 404, 409, 413, 422) },
    },
    handler: async (req, reply) => {
      const draw = await draws.submit(req.ctx, req.body);
      return reply.code(201).header('location', `/v1/draws/${draw.id}`).send(draw);
    },
  });
  r.get('/v1/draws', {
    schema: {
      operationId: 'listDraws',
      tags,
      summary: 'List draws (a company sees only its own)',
      security: BEARER,
      querystring: DrawListQuery,
      response: { 200: DrawList, ...problems() },
    },
    handler: (req) => draws.list(req.ctx.actor, req.query),
  });
  r.get('/v1/draws/:id', {
    schema: {
      operationId: 'getDraw',
      tags,
      summary: 'Get a draw',
      security: BEARER,
      params: IdParams,
      response: { 200: Draw, ...problems(404) },
    },
    handler: (req) => draws.get(req.ctx.actor, req.params.id),
  });
  r.post('/v1/draws/:id/approve', {
    config: { roles: ['admin'] },
    schema: {
      ...transition,
      operationId: 'approveDraw',
      summary: 'Approve a pending draw',
      body: DrawApprove,
    },
    handler: (req) => draws.approve(req.ctx, req.params.id),
  });
  r.post('/v1/draws/:id/reject', {
    config: { roles: ['admin'] },
    schema: {
      ...transition,
      operationId: 'rejectDraw',
      summary: 'Reject a pending draw, releasing its hold',
      body: DrawReject,
    },
    handler: (req) => draws.reject(req.ctx, req.params.id, req.body.reason),
  });
  r.post('/v1/draws/:id/cancel', {
    config: { roles: ['company', 'admin'] },
    schema: {
      ...transition,
      operationId: 'cancelDraw',
      summary: 'Cancel a draw (company: pending only; admin: pending or approved), releasing its hold',
      body: DrawCancel,
    },
    handler: (req) => draws.cancel(req.ctx, req.params.id, req.body?.reason),
  });
  r.post('/v1/draws/:id/fulfil', {
    config: { roles: ['admin'] },
    schema: {
      ...transition,
      operationId: 'fulfilDraw',
      summary: 'Ship an approved draw from lots (FIFO or explicit allocations) and create its obligation',
      body: DrawFulfil,
    },
    handler: (req) => draws.fulfil(req.ctx, req.params.id, req.body),
  });
}
