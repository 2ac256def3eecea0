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
      description:
        "A company asks for a quantity of a mineral at its agreement's fixed price. Checked in " +
        'this order, atomically with the hold: company active (409 `company-inactive`), no overdue ' +
        'obligation on any mineral (409 `obligations-overdue`), an active agreement (409 ' +
        '`no-agreement`), held + outstanding + quantity within `maxOutstanding` (409 ' +
        '`entitlement-exceeded`), quantity within `drawable` (409 `insufficient-stock`). On success ' +
        'the draw is `pending`, its quantity is held (counted in `reserved`), the terms are copied ' +
        'into it, and `draw.submitted` is appended. Unknown mineral or depot: 404 `not-found`. Send ' +
        'an `Idempotency-Key` so a retry cannot draw twice.',
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
      description:
        'Draws in creation order, filtered by `status`, `mineral` and `companyId`, paginated. A ' +
        'company token sees only its own draws, whatever filter it sends. Changes nothing.',
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
      description:
        "One draw with its allocations. Another company's draw answers 404 `not-found` to a " +
        'company token. Changes nothing.',
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
      description:
        'Moves a `pending` draw to `approved`; the hold stays. No body is needed. Appends ' +
        '`draw.approved`. Any other state: 409 `invalid-state-transition`.',
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
      description:
        'Moves a `pending` draw to `rejected` with a `reason`, releasing its hold. Appends ' +
        '`draw.rejected`. Any other state: 409 `invalid-state-transition`.',
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
      description:
        'Cancels a draw, releasing its hold, with an optional `reason` (the body may be omitted). ' +
        'The owning company may cancel a `pending` draw; an admin a `pending` or `approved` one. ' +
        'Appends `draw.cancelled`. Any other state (an approved draw, for the company): 409 ' +
        '`invalid-state-transition`.',
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
      description:
        'Ships an `approved` draw: takes its quantity out of lots, either as the given ' +
        '`allocations` (must sum exactly to the quantity, else 400) or oldest `receivedAt` first ' +
        "from the draw's depot, then from the other depots. Releases the hold, writes `draw` " +
        'ledger movements, creates the replenishment obligation (`quantityDue` = quantity plus ' +
        'premium, due after `replenishmentDays`) and appends `draw.fulfilled` then ' +
        '`obligation.created`. The body may be omitted. Not approved: 409 ' +
        '`invalid-state-transition`; a lot of another mineral or with too little stock: 409 ' +
        '`insufficient-stock`.',
      body: DrawFulfil,
    },
    handler: (req) => draws.fulfil(req.ctx, req.params.id, req.body),
  });
}
