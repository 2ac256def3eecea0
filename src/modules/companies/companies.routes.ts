import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { BEARER, problems } from '../../http/responses.js';
import { IdParams } from '../../http/schemas.js';
import type { Services } from '../../services.js';
import { Company, CompanyCreate, CompanyList, CompanyListQuery, CompanyPatch } from './companies.schemas.js';

export function companyRoutes(app: FastifyInstance, { companies }: Services): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const tags = ['Companies'];
  r.get('/v1/companies', {
    schema: {
      operationId: 'listCompanies',
      tags,
      summary: 'List member companies (a company sees only itself)',
      description:
        'Member companies in creation order, paginated. A company token sees only its own company. ' +
        'Changes nothing.',
      security: BEARER,
      querystring: CompanyListQuery,
      response: { 200: CompanyList, ...problems() },
    },
    handler: (req) => companies.list(req.ctx.actor, req.query),
  });
  r.get('/v1/companies/:id', {
    schema: {
      operationId: 'getCompany',
      tags,
      summary: 'Get a company',
      description:
        "One company. A company token may read only its own; another company's id answers 404 " +
        '`not-found`. Changes nothing.',
      security: BEARER,
      params: IdParams,
      response: { 200: Company, ...problems(404) },
    },
    handler: (req) => companies.get(req.ctx.actor, req.params.id),
  });
  r.post('/v1/companies', {
    config: { roles: ['admin'] },
    schema: {
      operationId: 'createCompany',
      tags,
      summary: 'Register a member company',
      description:
        'Registers a member company (`status: "active"`); appends `company.created`. A name already ' +
        'in use: 409 `conflict`.',
      security: BEARER,
      body: CompanyCreate,
      response: { 201: Company, ...problems(403, 409, 413, 422) },
    },
    handler: async (req, reply) => {
      const company = await companies.create(req.ctx, req.body);
      return reply.code(201).header('location', `/v1/companies/${company.id}`).send(company);
    },
  });
  r.patch('/v1/companies/:id', {
    config: { roles: ['admin'] },
    schema: {
      operationId: 'updateCompany',
      tags,
      summary: 'Rename, suspend or reactivate a company',
      description:
        'Renames a company or suspends/reactivates it (`status`). A suspended company cannot submit ' +
        'draws (409 `company-inactive`); its open draws and obligations stay as they are. Appends ' +
        '`company.updated`. Unknown id: 404 `not-found`.',
      security: BEARER,
      params: IdParams,
      body: CompanyPatch,
      response: { 200: Company, ...problems(403, 404, 413) },
    },
    handler: (req) => companies.update(req.ctx, req.params.id, req.body),
  });
}
