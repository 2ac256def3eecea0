import Fastify from 'fastify';
import { serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { registerOpenApi } from '../src/http/openapi.js';
import { problems } from '../src/http/responses.js';
import { bearer, createTestApp } from './helpers/app.js';
import { drainViolations, validateResponsesAgainstDocument } from './helpers/openapi-validator.js';

/** The shared response validator must catch a route that drifts from its document. */
describe('response validation against the OpenAPI document', () => {
  afterEach(() => {
    drainViolations();
  });

  async function drifting() {
    const app = Fastify();
    app.setValidatorCompiler(validatorCompiler);
    app.setSerializerCompiler(serializerCompiler);
    await registerOpenApi(app);
    app.addHook('onRequest', async (request, reply) => {
      reply.header('x-request-id', request.id);
    });
    const r = app.withTypeProvider<ZodTypeProvider>();
    const Thing = z.object({ id: z.uuid(), quantity: z.string() }).meta({ id: 'ValidatorTestThing' });
    const schema = {
      operationId: 'x',
      summary: 'x',
      description: 'x',
      security: [],
      response: { 200: Thing, ...problems(404) },
    };
    const common = { config: { public: true }, schema };
    // Declared 200, answers 418.
    app.get('/teapot', { ...common, handler: async (_req, reply) => reply.code(418 as 200).send() });
    // A body that the serializer lets through but the document forbids (no serializer on text).
    app.get('/text', { ...common, handler: async (_req, reply) => reply.type('text/plain').send('hello') });
    // A JSON body of the wrong shape, sent around the zod serializer.
    app.get('/shape', {
      ...common,
      handler: async (_req, reply) =>
        reply.type('application/json').serializer(JSON.stringify).send({ id: 'nope', quantity: 1 }),
    });
    r.get('/ok', {
      ...common,
      handler: async () => ({ id: '0b6f3c2e-8d1a-4f4e-9c57-2a8e5d7b1f40', quantity: '1.5' }),
    });
    validateResponsesAgainstDocument(app);
    await app.ready();
    return app;
  }

  it('reports an undeclared status, an undeclared content type and a body off its schema', async () => {
    const app = await drifting();
    await app.inject('/ok');
    expect(drainViolations()).toEqual([]);
    await app.inject('/teapot');
    expect(drainViolations().join('\n')).toMatch(/status 418 is not declared/);
    await app.inject('/text');
    expect(drainViolations().join('\n')).toMatch(/content type "text\/plain.*" is not declared/);
    await app.inject('/shape');
    expect(drainViolations().join('\n')).toMatch(
      /body does not match the document: .*\/id must match format "uuid"/,
    );
    await app.close();
  });

  it('is installed on every test app: the real routes are checked against the live document', async () => {
    const t = await createTestApp();
    try {
      const admin = bearer(t.admin);
      expect((await t.api.get('/v1/minerals').set(admin)).status).toBe(200);
      expect((await t.api.get('/v1/minerals/NOPE').set(admin)).status).toBe(404);
      expect(drainViolations()).toEqual([]);
      // Make the (cached) live document disagree with the routes: the validator must notice.
      type Doc = { paths: Record<string, Record<string, { responses: Record<string, unknown> }>> };
      const doc = t.app.swagger() as unknown as Doc;
      const list = doc.paths['/v1/minerals']!.get!.responses;
      delete list['200'];
      const one = doc.paths['/v1/minerals/{code}']!.get!.responses['404'] as {
        content: Record<string, unknown>;
      };
      one.content = { 'application/json': one.content['application/problem+json'] };
      await t.api.get('/v1/minerals').set(admin);
      await t.api.get('/v1/minerals/NOPE').set(admin);
      const violations = drainViolations().join('\n');
      expect(violations).toMatch(/GET \/v1\/minerals → 200: status 200 is not declared/);
      expect(violations).toMatch(/content type "application\/problem\+json.*" is not declared/);
    } finally {
      drainViolations();
      await t.close();
    }
  });
});
