import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance, RouteOptions } from 'fastify';
import { jsonSchemaTransform, jsonSchemaTransformObject } from 'fastify-type-provider-zod';
import { PROBLEM_MEDIA_TYPE, problemDescription, problemResponse } from './responses.js';

const TAGS = [
  ['Minerals', 'The catalogue of critical minerals and their strategic floors'],
  ['Depots', 'Where lots are stored'],
  ['Lots', 'Stored stock, by lot'],
  ['Inventory', 'On-hand, reserved, available and drawable stock per mineral'],
  ['Companies', 'Member companies'],
  ['Agreements', 'Fixed-price draw agreements'],
  ['Draws', 'Draw requests, holds, approval and fulfilment'],
  ['Obligations', 'Replenishment obligations created by fulfilled draws'],
  ['Audit', 'The hash-chained audit log'],
  ['Ledger', 'Every stock movement'],
  ['Markets', 'Market prices, and what the reserve is worth against them'],
  ['Health', 'Liveness and readiness'],
];

const DESCRIPTION = `Inventory by lot and depot, fixed-price draws with holds, replenishment obligations and a
hash-chained audit log of every change.

- **Authentication**: \`Authorization: Bearer <JWT>\` with \`sub\`, \`role\` (\`company\`, \`admin\`, \`auditor\`),
  \`exp\`, \`iss\`, \`aud\`, and \`companyId\` for company tokens. A company sees only its own records;
  another company's resource answers 404.
- **Decimals are strings** (\`"12.5"\`): quantities at most 3 fractional digits in the mineral's unit,
  unit prices 4, money exactly 2. JSON numbers are refused.
- **Errors** are RFC 9457 problems (\`application/problem+json\`) whose \`type\` ends in a stable slug
  (\`/problems/insufficient-stock\`); match on the slug. Refusals that turn on numbers carry them as
  extension members beside \`detail\` (\`requested\`, \`drawable\`, \`cap\`, \`remaining\`, …; see the
  \`Problem\` schema).
- **Idempotency**: every \`POST\` honours \`Idempotency-Key\`; a repeat returns the stored response with
  \`Idempotent-Replayed: true\` and changes nothing.
- **Collections** return \`{ data, nextCursor }\`; pass \`nextCursor\` as \`cursor\` for the next page.
- Every response carries \`X-Request-Id\` (the one sent, or a generated one), recorded in audit events.`;

/** Statuses whose responses an `Idempotency-Key` stores and replays (as `http/idempotency.ts` decides). */
const REPLAYED = (status: number) => status < 500 && ![400, 401, 403, 413, 429].includes(status);

type Json = Record<string, unknown>;
type HeaderRef = { $ref: string };

const header = (description: string, schema: Json, required = false) => ({ description, required, schema });

const COMPONENT_HEADERS = {
  RequestId: header(
    'The request id: the `X-Request-Id` sent (1-128 visible ASCII characters), or a generated UUID. Recorded in audit events.',
    { type: 'string', example: '7d0c1b9e-3a54-4f0e-8b1a-6c2f9e4d5a31' },
    true,
  ),
  Location: header(
    'Path of the created (or, for a delivery, the updated) resource',
    { type: 'string', example: '/v1/draws/0b6f3c2e-8d1a-4f4e-9c57-2a8e5d7b1f40' },
    true,
  ),
  IdempotentReplayed: header(
    '`true` when this is the stored response to an earlier request with the same `Idempotency-Key` (nothing was changed this time)',
    { type: 'string', enum: ['true'] },
  ),
  RetryAfter: header('Seconds to wait before retrying', { type: 'string', example: '17' }),
  RateLimitLimit: header(
    'Requests allowed per minute for this caller (sent while rate limiting is enabled)',
    { type: 'string', example: '600' },
  ),
  RateLimitRemaining: header('Requests left in the current window', { type: 'string', example: '587' }),
  RateLimitReset: header('Seconds until the current window resets', { type: 'string', example: '42' }),
  ContentDisposition: header(
    'Always an attachment with a file name naming the range, e.g. `attachment; filename="audit-events-1-42.ndjson"`',
    { type: 'string', example: 'attachment; filename="audit-events-1-42.ndjson"' },
    true,
  ),
  WwwAuthenticate: header('The authentication scheme to use', {
    type: 'string',
    example: 'Bearer realm="reserve-api"',
  }),
} as const;

const COMPONENT_PARAMETERS = {
  RequestId: {
    name: 'X-Request-Id',
    in: 'header',
    required: false,
    description:
      'Your id for this request (1-128 visible ASCII characters); echoed in the response and recorded in audit events. Generated when absent or malformed.',
    schema: { type: 'string', pattern: '^[\\x21-\\x7E]{1,128}$', example: 'fab3-outage-0001-req' },
  },
  IdempotencyKey: {
    name: 'Idempotency-Key',
    in: 'header',
    required: false,
    description:
      'Makes the POST safe to retry (1-255 visible ASCII characters, else 400), scoped to the token subject ' +
      'and kept at least 24 hours. A repeat with the same method, path and body returns the stored status and ' +
      'body with `Idempotent-Replayed: true` and changes nothing; the same key with a different request → 422; ' +
      'while the first request still runs → 409 `idempotency-key-in-progress`. Requests rejected before they ' +
      'run (400, 401, 403, 413, 429) and server errors are not stored.',
    schema: { type: 'string', pattern: '^[\\x21-\\x7E]{1,255}$', example: 'fab3-outage-0001' },
  },
} as const;

const ref = (kind: 'headers' | 'parameters', name: string): HeaderRef => ({
  $ref: `#/components/${kind}/${name}`,
});

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

/**
 * Completes a route's schema with the problems the platform itself can answer (so no route has to
 * remember them): 401 and 429 unless public, 403 with a role list, 404 with path parameters, 409 and
 * 422 (idempotency) on POST, 413 and 415 with a body; and says who may call it in the description.
 */
function completeRouteSchema(route: RouteOptions): void {
  const schema = route.schema;
  if (!schema || schema.hide) return;
  const methods = ([] as string[]).concat(route.method);
  const statuses = [400, 500];
  const isPublic = route.config?.public === true;
  if (!isPublic) statuses.push(401, 429);
  if (route.config?.roles) statuses.push(403);
  if (schema.params) statuses.push(404);
  if (methods.includes('POST')) statuses.push(409, 422);
  if (schema.body) statuses.push(413, 415);
  // A copy: routes may share one response object (e.g. the draw transitions).
  const response = { ...(schema.response as Record<number, unknown> | undefined) };
  for (const status of statuses) response[status] ??= problemResponse(status);
  schema.response = response;
  if (!isPublic && typeof schema.description === 'string' && !schema.description.includes('**Roles**')) {
    const roles = route.config?.roles ?? ['company', 'admin', 'auditor'];
    schema.description = `${schema.description}\n\n**Roles**: ${roles.map((r) => `\`${r}\``).join(', ')}.`;
  }
}

const words = (name: string) =>
  name
    .replace(/([a-z])([A-Z])/g, '$1 $2')
    .toLowerCase()
    .trim();

/** The component a response's JSON schema names, and whether it is a page of them. */
function subject(schema: Json | undefined): { noun: string; page: boolean } | null {
  if (!schema) return null;
  const name = (s: unknown) =>
    typeof (s as Json)?.$ref === 'string' ? ((s as Json).$ref as string).split('/').pop()! : null;
  const direct = name(schema);
  if (direct) return { noun: words(direct), page: false };
  const data = (schema.properties as Json | undefined)?.data as Json | undefined;
  const item = name(data?.items);
  if (item && 'nextCursor' in ((schema.properties as Json) ?? {})) return { noun: words(item), page: true };
  return null;
}

/** A real description for a success response, unless the route gave one (`x-responses`). */
function successDescription(method: string, status: number, content: Json | undefined): string {
  const json = (content?.['application/json'] as Json | undefined)?.schema as Json | undefined;
  const s = subject(json);
  const noun = s?.noun ?? 'result';
  if (s?.page) {
    return `One page of ${noun}s. \`nextCursor\` is the \`cursor\` for the next page, \`null\` on the last one.`;
  }
  if (status === 201) return `Created: the new ${noun}. \`Location\` points at it.`;
  if (method === 'get') return `The ${noun}.`;
  if (method === 'patch') return `The updated ${noun}.`;
  return `The ${noun} after the change.`;
}

/**
 * Completes the generated document: shared request and response headers, problem+json errors with
 * real descriptions, optional bodies where the server accepts none, success descriptions and servers.
 * Runs once over the whole document, so routes added anywhere get the same treatment.
 */
export function finishDocument(doc: Json): Json {
  const components = (doc.components ?? {}) as Json;
  components.headers = { ...(components.headers as Json), ...COMPONENT_HEADERS };
  components.parameters = { ...(components.parameters as Json), ...COMPONENT_PARAMETERS };
  doc.components = components;
  const rateLimitHeaders = {
    'X-RateLimit-Limit': ref('headers', 'RateLimitLimit'),
    'X-RateLimit-Remaining': ref('headers', 'RateLimitRemaining'),
    'X-RateLimit-Reset': ref('headers', 'RateLimitReset'),
  };
  for (const item of Object.values((doc.paths ?? {}) as Record<string, Json>)) {
    for (const [method, op] of Object.entries(item) as [string, Json][]) {
      if (!METHODS.includes(method)) continue;
      const isPublic = Array.isArray(op.security) && op.security.length === 0;
      const overrides = (op['x-responses'] ?? {}) as Record<string, string>;
      delete op['x-responses'];
      op.parameters = [
        ...((op.parameters as unknown[]) ?? []),
        ...(method === 'post' ? [ref('parameters', 'IdempotencyKey')] : []),
        ref('parameters', 'RequestId'),
      ];
      const body = op.requestBody as Json | undefined;
      if (body) makeBodyOptionalWhereNullable(body);
      const responses = (op.responses ?? {}) as Record<string, Json>;
      for (const [code, response] of Object.entries(responses)) {
        const status = Number(code);
        const headers: Record<string, HeaderRef> = { 'X-Request-Id': ref('headers', 'RequestId') };
        const content = response.content as Json | undefined;
        if (status >= 400) {
          // Whatever a route declared, problems are sent as application/problem+json.
          const schema = Object.values(content ?? {})[0] as Json | undefined;
          response.content = {
            [PROBLEM_MEDIA_TYPE]: schema ?? { schema: { $ref: '#/components/schemas/Problem' } },
          };
          if (!response.description || response.description === 'Default Response') {
            response.description = problemDescription(status);
          }
        } else if (overrides[code]) {
          response.description = overrides[code];
        } else if (!response.description || response.description === 'Default Response') {
          response.description = successDescription(method, status, content);
        }
        if (status === 201) headers.Location = ref('headers', 'Location');
        if (method === 'post' && REPLAYED(status))
          headers['Idempotent-Replayed'] = ref('headers', 'IdempotentReplayed');
        if (status === 401) headers['WWW-Authenticate'] = ref('headers', 'WwwAuthenticate');
        if (status === 429 || status === 503) headers['Retry-After'] = ref('headers', 'RetryAfter');
        if (!isPublic) Object.assign(headers, rateLimitHeaders);
        if (content && ('text/csv' in content || 'application/x-ndjson' in content)) {
          headers['Content-Disposition'] = ref('headers', 'ContentDisposition');
        }
        response.headers = { ...(response.headers as Json), ...headers };
      }
    }
  }
  pruneUnusedSchemas(doc);
  addExamples(components.schemas);
  doc.servers = [
    { url: '/', description: 'The server that serves this document' },
    { url: 'http://127.0.0.1:3000', description: 'Local development server (`npm start`)' },
  ];
  return doc;
}

/** Examples by property name, for output fields declared as plain strings (`mineralCode: z.string()`). */
const EXAMPLES: Record<string, unknown> = {
  mineralCode: 'GA',
  mineralCodes: ['GA', 'GE'],
  currency: 'USD',
};

/** Gives well-known properties of the component schemas a realistic example where they have none. */
function addExamples(value: unknown): void {
  if (Array.isArray(value)) for (const v of value) addExamples(v);
  else if (value && typeof value === 'object') {
    const properties = (value as Json).properties as Record<string, Json> | undefined;
    for (const [name, property] of Object.entries(properties ?? {})) {
      if (name in EXAMPLES && property && !('example' in property) && !('$ref' in property)) {
        property.example = EXAMPLES[name];
      }
    }
    for (const v of Object.values(value)) addExamples(v);
  }
}

/** Every `#/components/schemas/X` reference in a JSON value. */
function schemaRefs(value: unknown, into: Set<string>): Set<string> {
  if (Array.isArray(value)) for (const v of value) schemaRefs(v, into);
  else if (value && typeof value === 'object') {
    for (const [key, v] of Object.entries(value)) {
      if (key === '$ref' && typeof v === 'string' && v.startsWith('#/components/schemas/')) {
        into.add(v.slice('#/components/schemas/'.length));
      } else schemaRefs(v, into);
    }
  }
  return into;
}

/**
 * The zod registry yields an input and an output variant of every named schema (`Draw`, `DrawInput`);
 * keep only those the document uses, directly or through another kept schema.
 */
function pruneUnusedSchemas(doc: Json): void {
  const components = doc.components as Json;
  const schemas = (components.schemas ?? {}) as Record<string, unknown>;
  const used = schemaRefs({ ...doc, components: { ...components, schemas: {} } }, new Set());
  const pending = [...used];
  while (pending.length > 0) {
    for (const next of schemaRefs(schemas[pending.pop()!], new Set())) {
      if (!used.has(next)) {
        used.add(next);
        pending.push(next);
      }
    }
  }
  components.schemas = Object.fromEntries(Object.entries(schemas).filter(([name]) => used.has(name)));
}

/**
 * fastify-swagger marks every body `required`. A body schema that accepts `null` (`.nullish()`)
 * means "the request may carry no body at all": declare it optional and drop the null branch.
 */
function makeBodyOptionalWhereNullable(body: Json): void {
  let optional = false;
  for (const media of Object.values((body.content ?? {}) as Record<string, Json>)) {
    const schema = media.schema as Json | undefined;
    const anyOf = schema?.anyOf as Json[] | undefined;
    if (!schema || !anyOf?.some((branch) => branch.type === 'null')) continue;
    optional = true;
    const rest = anyOf.filter((branch) => branch.type !== 'null');
    delete schema.anyOf;
    if (rest.length === 1) Object.assign(schema, rest[0]);
    else schema.anyOf = rest;
  }
  if (optional) body.required = false;
}

/** OpenAPI 3.1 generated from the route schemas; served at /openapi.json, interactive docs at /docs. */
export async function registerOpenApi(app: FastifyInstance): Promise<void> {
  // Before any module registers a route, so every route gets the platform's problems.
  app.addHook('onRoute', completeRouteSchema);
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Strategic Mineral Reserve API',
        version: '1.0.0',
        description: DESCRIPTION,
        license: { name: 'Proprietary', identifier: 'LicenseRef-Proprietary' },
      },
      tags: TAGS.map(([name, description]) => ({ name: name!, description: description! })),
      components: {
        securitySchemes: {
          bearerAuth: {
            type: 'http',
            scheme: 'bearer',
            bearerFormat: 'JWT',
            description: 'HS256 (shared secret) or RS256/ES256/EdDSA (JWKS) token; `npm run token` mints one',
          },
        },
      },
      security: [{ bearerAuth: [] }],
    },
    transform: jsonSchemaTransform,
    // Without it, schemas registered with `.meta({ id })` become $refs into empty components.
    transformObject: (input) => finishDocument(jsonSchemaTransformObject(input) as Json) as never,
  });
  // The interactive docs and their static assets need no token.
  app.addHook('onRoute', (route) => {
    if (route.url.startsWith('/docs')) route.config = { ...route.config, public: true };
  });
  await app.register(swaggerUi, {
    routePrefix: '/docs',
    // No `staticCSP`: it would replace helmet's policy (app.ts) on /docs with a fixed one that carries
    // `upgrade-insecure-requests`, blanking the page over plain HTTP. The UI has no inline script.
    uiConfig: { persistAuthorization: true },
  });
  app.get('/openapi.json', { config: { public: true }, schema: { hide: true } }, () => app.swagger());
}
