import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderClientTypes, renderOpenApi } from '../src/cli/export-openapi.js';
import { bearer, createTestApp, type TestApp } from './helpers/app.js';
import { setupReserve } from './helpers/factories.js';

interface Operation {
  operationId?: string;
  summary?: string;
  description?: string;
  parameters?: ({ $ref: string } | { name: string; in: string })[];
  requestBody?: { required?: boolean; content: Record<string, unknown> };
  tags?: string[];
  security?: unknown[];
  responses?: Record<
    string,
    { description: string; content?: Record<string, unknown>; headers?: Record<string, unknown> }
  >;
}
interface OpenApiDocument {
  openapi: string;
  security?: unknown[];
  components?: {
    securitySchemes?: Record<string, { type: string; scheme?: string }>;
    schemas?: Record<string, unknown>;
  };
  paths: Record<string, Record<string, Operation>>;
}

const METHODS = ['get', 'post', 'put', 'patch', 'delete'];

describe('OpenAPI document', () => {
  let t: TestApp;
  let doc: OpenApiDocument;
  beforeAll(async () => {
    t = await createTestApp();
    const res = await t.api.get('/openapi.json');
    expect(res.status).toBe(200);
    doc = res.body;
  });
  afterAll(() => t?.close());

  const operations = () =>
    Object.entries(doc.paths).flatMap(([path, item]) =>
      Object.entries(item)
        .filter(([method]) => METHODS.includes(method))
        .map(([method, op]) => ({ method, path, where: `${method.toUpperCase()} ${path}`, op })),
    );

  it('the committed openapi/openapi.json is exactly the live document (run `npm run openapi`)', async () => {
    const committed = readFileSync(new URL('../openapi/openapi.json', import.meta.url), 'utf8');
    const live = await renderOpenApi();
    expect(live).toBe(committed);
    // And the committed client types are what openapi-typescript makes of it.
    const types = readFileSync(new URL('../openapi/schema.d.ts', import.meta.url), 'utf8');
    expect(await renderClientTypes(live)).toBe(types);
  });

  it('has no dangling $ref: every reference resolves inside the document', () => {
    const refs: string[] = [];
    const walk = (value: unknown): void => {
      if (Array.isArray(value)) value.forEach(walk);
      else if (value && typeof value === 'object') {
        for (const [key, v] of Object.entries(value)) {
          if (key === '$ref' && typeof v === 'string') refs.push(v);
          else walk(v);
        }
      }
    };
    walk(doc);
    expect(refs.length).toBeGreaterThan(100);
    const dangling = refs.filter((ref) => {
      if (!ref.startsWith('#/')) return true;
      let node: unknown = doc;
      for (const part of ref.slice(2).split('/')) {
        const key = part.replaceAll('~1', '/').replaceAll('~0', '~');
        node = node && typeof node === 'object' ? (node as Record<string, unknown>)[key] : undefined;
      }
      return node === undefined;
    });
    expect([...new Set(dangling)]).toEqual([]);
    for (const name of ['Problem', 'Draw', 'Mineral', 'Obligation', 'AuditEvent']) {
      expect(doc.components?.schemas, name).toHaveProperty(name);
    }
  });

  it('declares problems as application/problem+json, request and response headers, and real descriptions', () => {
    for (const { method, where, op } of operations()) {
      expect(op.description?.trim(), `${where}: description`).toBeTruthy();
      const params = JSON.stringify(op.parameters ?? []);
      expect(params, where).toContain('#/components/parameters/RequestId');
      if (method === 'post') expect(params, where).toContain('#/components/parameters/IdempotencyKey');
      for (const [status, response] of Object.entries(op.responses ?? {})) {
        expect(response.description, `${where} ${status}`).not.toBe('Default Response');
        expect(response.headers ?? {}, `${where} ${status}`).toHaveProperty('X-Request-Id');
        if (Number(status) >= 400) {
          expect(Object.keys(response.content ?? {}), `${where} ${status}`).toEqual([
            'application/problem+json',
          ]);
        }
        if (status === '201') expect(response.headers, where).toHaveProperty('Location');
        if (status === '401') expect(response.headers, where).toHaveProperty('WWW-Authenticate');
        if (status === '429') expect(response.headers, where).toHaveProperty('Retry-After');
      }
    }
  });

  it('declares a body optional exactly where the server accepts none, and the server does', async () => {
    const optional = operations()
      .filter(({ op }) => op.requestBody && op.requestBody.required === false)
      .map(({ op }) => op.operationId);
    expect(optional).toEqual(
      expect.arrayContaining(['terminateAgreement', 'approveDraw', 'cancelDraw', 'fulfilDraw']),
    );
    for (const { where, op } of operations()) {
      if (op.requestBody && !optional.includes(op.operationId))
        expect(op.requestBody.required, where).toBe(true);
    }
    // No body and no content type at all, as a generated client or `curl -X POST` sends them.
    const r = await setupReserve(t);
    const admin = bearer(t.admin);
    const company = bearer(await t.token('company', r.companyId));
    const submit = () =>
      t.api.post('/v1/draws').set(company).send({ mineralCode: r.mineralCode, quantity: '1' });
    const first = (await submit()).body.id as string;
    expect((await t.api.post(`/v1/draws/${first}/approve`).set(admin)).status).toBe(200);
    expect((await t.api.post(`/v1/draws/${first}/fulfil`).set(admin)).body.status).toBe('fulfilled');
    const second = (await submit()).body.id as string;
    expect((await t.api.post(`/v1/draws/${second}/cancel`).set(company)).body.status).toBe('cancelled');
    const terminated = await t.api.post(`/v1/agreements/${r.agreementId}/terminate`).set(admin);
    expect(terminated.body.status).toBe('terminated');
  });

  it('is OpenAPI 3.1 with a bearer security scheme, served without a token', () => {
    expect(doc.openapi).toMatch(/^3\.1\.\d+$/);
    expect(doc.components?.securitySchemes?.bearerAuth).toMatchObject({ type: 'http', scheme: 'bearer' });
  });

  it('describes every /v1 operation completely: id, summary, tags, bearer security and a 401', () => {
    const operations = Object.entries(doc.paths)
      .filter(([path]) => path.startsWith('/v1/'))
      .flatMap(([path, item]) =>
        Object.entries(item)
          .filter(([method]) => METHODS.includes(method))
          .map(([method, op]) => ({ where: `${method.toUpperCase()} ${path}`, op })),
      );
    expect(operations.length).toBeGreaterThanOrEqual(17);
    const ids = new Set<string>();
    for (const { where, op } of operations) {
      expect(op.operationId, where).toMatch(/^[a-zA-Z][a-zA-Z0-9]*$/);
      expect(ids.has(op.operationId!), `${where}: duplicate operationId`).toBe(false);
      ids.add(op.operationId!);
      expect(op.summary, where).toBeTruthy();
      expect(op.tags?.length, where).toBeGreaterThan(0);
      expect(op.responses, where).toHaveProperty('401');
      expect(op.security ?? doc.security, where).toEqual([{ bearerAuth: [] }]);
      // Every operation documents a success status as well as its problems.
      expect(
        Object.keys(op.responses ?? {}).some((s) => /^2\d\d$/.test(s)),
        where,
      ).toBe(true);
    }
  });

  it('covers the routes of the contract implemented so far', () => {
    const operations = new Set(
      Object.entries(doc.paths).flatMap(([path, item]) =>
        Object.keys(item).map((m) => `${m.toUpperCase()} ${path}`),
      ),
    );
    for (const expected of [
      'GET /v1/minerals',
      'POST /v1/minerals',
      'GET /v1/minerals/{code}',
      'PATCH /v1/minerals/{code}',
      'GET /v1/depots',
      'POST /v1/depots',
      'GET /v1/depots/{id}',
      'GET /v1/companies',
      'POST /v1/companies',
      'GET /v1/companies/{id}',
      'PATCH /v1/companies/{id}',
      'POST /v1/companies/{id}/agreements',
      'GET /v1/agreements',
      'GET /v1/agreements/{id}',
      'POST /v1/agreements/{id}/terminate',
      'GET /v1/audit-events',
      'GET /v1/audit-events/verify',
      'GET /health/live',
      'GET /health/ready',
    ]) {
      expect(operations.has(expected), expected).toBe(true);
    }
  });

  it('serves interactive docs at /docs without a token', async () => {
    let res = await t.api.get('/docs');
    for (let hops = 0; hops < 3 && res.status >= 300 && res.status < 400; hops++) {
      res = await t.api.get(new URL(res.headers.location!, 'http://localhost/docs').pathname);
    }
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/text\/html/);
    expect(res.text).toMatch(/swagger/i);
  });
});
