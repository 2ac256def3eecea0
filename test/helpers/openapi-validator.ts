import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import type { FastifyInstance } from 'fastify';

// ajv-formats is CommonJS with a default export; under NodeNext its type is the module namespace.
const addFormats = addFormatsModule as unknown as typeof addFormatsModule.default;

type Json = Record<string, unknown>;

interface HeaderObject {
  required?: boolean;
}
interface ResponseObject {
  content?: Record<string, { schema?: Json }>;
  headers?: Record<string, HeaderObject | { $ref: string }>;
}
interface OpenApiDocument {
  paths: Record<string, Record<string, { responses?: Record<string, ResponseObject> }>>;
  components: { schemas?: Json; headers?: Record<string, HeaderObject> };
}

/** Violations found by every validator in this test file; drained (and thrown) after each test. */
const pending: string[] = [];

/** Returns and clears the violations recorded since the last call. */
export const drainViolations = (): string[] => pending.splice(0);

const DOC = 'openapi';

/**
 * Checks every response the app sends against the app's own OpenAPI document (`app.swagger()`):
 * the status is declared for the operation, the content type is declared for that status, a JSON
 * body matches the declared schema (ajv, JSON Schema 2020-12, formats), and required headers are
 * present. Installed by `createTestApp`, so every API test checks the document as a side effect; a
 * route that drifts from its document fails whichever test calls it (see `test/setup.ts`).
 */
export function validateResponsesAgainstDocument(app: FastifyInstance): void {
  let state: { doc: OpenApiDocument; ajv: Ajv2020 } | null = null;
  const compiled = new Map<string, ValidateFunction>();

  const init = () => {
    if (state) return state;
    const doc = app.swagger() as unknown as OpenApiDocument;
    const ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: true });
    addFormats(ajv);
    // The component schemas, under a base URI, so `#/components/schemas/X` resolves inside them.
    ajv.addSchema({ $id: DOC, components: { schemas: doc.components.schemas ?? {} } });
    state = { doc, ajv };
    return state;
  };

  const validator = (key: string, schema: Json) => {
    let fn = compiled.get(key);
    if (!fn) {
      // Inline schemas refer to components relative to the document: point them at the base URI.
      const rebased = JSON.parse(JSON.stringify(schema).replaceAll('"#/components/', `"${DOC}#/components/`));
      fn = init().ajv.compile(rebased);
      compiled.set(key, fn);
    }
    return fn;
  };

  app.addHook('onSend', async (request, reply, payload) => {
    const route = request.routeOptions;
    if (request.is404 || !route.url || request.method === 'HEAD' || !route.schema || route.schema.hide) {
      return payload;
    }
    const { doc } = init();
    const path = route.url.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
    const method = request.method.toLowerCase();
    const where = `${request.method} ${request.url} → ${reply.statusCode}`;
    const operation = doc.paths[path]?.[method];
    if (!operation) {
      pending.push(`${where}: operation ${method.toUpperCase()} ${path} is not in the document`);
      return payload;
    }
    const response = operation.responses?.[String(reply.statusCode)];
    if (!response) {
      pending.push(`${where}: status ${reply.statusCode} is not declared for ${method} ${path}`);
      return payload;
    }
    for (const [name, declared] of Object.entries(response.headers ?? {})) {
      const header =
        '$ref' in declared
          ? doc.components.headers?.[(declared.$ref as string).split('/').pop()!]
          : (declared as HeaderObject);
      if (header?.required && reply.getHeader(name) === undefined) {
        pending.push(`${where}: required header ${name} is missing`);
      }
    }
    const contentType = String(reply.getHeader('content-type') ?? '');
    const mediaType = contentType.split(';')[0]!.trim().toLowerCase();
    const isEmpty = payload === undefined || payload === null || payload === '';
    if (isEmpty) {
      if (response.content && reply.statusCode !== 204)
        pending.push(`${where}: empty body, content declared`);
      return payload;
    }
    const media = response.content?.[mediaType];
    if (!media) {
      const declared = Object.keys(response.content ?? {}).join(', ') || 'none';
      pending.push(`${where}: content type "${contentType}" is not declared (declared: ${declared})`);
      return payload;
    }
    if (typeof payload !== 'string' || !/json$/.test(mediaType) || !media.schema) return payload;
    let body: unknown;
    try {
      body = JSON.parse(payload);
    } catch {
      pending.push(`${where}: body is not JSON`);
      return payload;
    }
    const validate = validator(`${method} ${path} ${reply.statusCode} ${mediaType}`, media.schema);
    if (!validate(body)) {
      const errors = (validate.errors ?? [])
        .slice(0, 5)
        .map((e) => `${e.instancePath || '/'} ${e.message}`)
        .join('; ');
      pending.push(`${where}: body does not match the document: ${errors}`);
    }
    return payload;
  });
}
