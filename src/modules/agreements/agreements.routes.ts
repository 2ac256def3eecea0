import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { BEARER, problems } from '../../http/responses.js';
import { IdParams } from '../../http/schemas.js';
import type { Services } from '../../services.js';
import {
  Agreement,
  AgreementCreate,
  AgreementList,
  AgreementListQuery,
  AgreementPatch,
  AgreementTerminate,
} from './agreements.schemas.js';

export function agreementRoutes(app: FastifyInstance, { agreements }: Services): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const tags = ['Agreements'];
  r.post('/v1/companies/:id/agreements', {
    config: { roles: ['admin'] },
    schema: {
      operationId: 'createAgreement',
      tags,
      summary: "Sign a company's fixed-price agreement for a mineral",
      description:
        "Signs the company's fixed-price agreement for a mineral: `unitPrice`, the cap " +
        '`maxOutstanding`, `replenishmentDays` and the in-kind `premiumPercent`. Appends ' +
        '`agreement.created`. Unknown company or mineral: 404 `not-found`; a second active ' +
        'agreement for the same company and mineral: 409 `conflict`.',
      security: BEARER,
      params: IdParams,
      body: AgreementCreate,
      response: { 201: Agreement, ...problems(403, 404, 409, 413, 422) },
    },
    handler: async (req, reply) => {
      const agreement = await agreements.create(req.ctx, req.params.id, req.body);
      return reply.code(201).header('location', `/v1/agreements/${agreement.id}`).send(agreement);
    },
  });
  r.get('/v1/agreements', {
    schema: {
      operationId: 'listAgreements',
      tags,
      summary: 'List agreements (a company sees only its own)',
      description:
        'Agreements in creation order, filtered by `companyId` and `mineral`, paginated. A company ' +
        'token sees only its own agreements, whatever filter it sends. Changes nothing.',
      security: BEARER,
      querystring: AgreementListQuery,
      response: { 200: AgreementList, ...problems() },
    },
    handler: (req) => agreements.list(req.ctx.actor, req.query),
  });
  r.get('/v1/agreements/:id', {
    schema: {
      operationId: 'getAgreement',
      tags,
      summary: 'Get an agreement',
      description:
        "One agreement. Another company's agreement answers 404 `not-found` to a company token. " +
        'Changes nothing.',
      security: BEARER,
      params: IdParams,
      response: { 200: Agreement, ...problems(404) },
    },
    handler: (req) => agreements.get(req.ctx.actor, req.params.id),
  });
  r.patch('/v1/agreements/:id', {
    config: { roles: ['admin'] },
    schema: {
      operationId: 'updateAgreement',
      tags,
      summary: "Change an agreement's priority class or routine limit",
      description:
        'Admin only. Accepts `priorityClass` and/or `routineLimitPercent` (at least one; anything else, or an ' +
        'empty object, is a 400). Changes future draws only: every draw keeps the class and terms it was ' +
        'submitted under. Appends `agreement.updated`. Problems: 403 for other roles, 404 for an unknown ' +
        'agreement, 409 `invalid-state-transition` on a terminated agreement.',
      security: BEARER,
      params: IdParams,
      body: AgreementPatch,
      response: { 200: Agreement, ...problems(403, 404, 409, 413) },
    },
    handler: (req) => agreements.update(req.ctx, req.params.id, req.body),
  });
  r.post('/v1/agreements/:id/terminate', {
    config: { roles: ['admin'] },
    schema: {
      operationId: 'terminateAgreement',
      tags,
      summary: 'Terminate an agreement (open draws and obligations keep their terms)',
      description:
        'Ends an active agreement, with an optional `reason`; the body may be omitted. New draws ' +
        'then get 409 `no-agreement`; open draws and obligations keep the terms locked in when they ' +
        'were submitted. Appends `agreement.terminated`. Already terminated: 409 ' +
        '`invalid-state-transition`.',
      security: BEARER,
      params: IdParams,
      body: AgreementTerminate,
      response: { 200: Agreement, ...problems(403, 404, 409, 413, 422) },
    },
    handler: (req) => agreements.terminate(req.ctx, req.params.id, req.body?.reason),
  });
}
