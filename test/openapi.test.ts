import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderOpenApi } from '../src/cli/export-openapi.js';
import { createTestApp, type TestApp } from './helpers/app.js';

interface Operation {
  operationId?: string;
  summary?: string;
  tags?: string[];
  security?: unknown[];
  responses?: Record<string, unknown>;
}
interface OpenApiDocument {
  openapi: string;
  security?: unknown[];
  components?: { securitySchemes?: Record<string, { type: string; scheme?: string }> };
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

  it('the committed openapi/openapi.json is exactly the live document (run `npm run openapi`)', async () => {
    const committed = readFileSync(new URL('../openapi/openapi.json', import.meta.url), 'utf8');
    expect(await renderOpenApi()).toBe(committed);
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
