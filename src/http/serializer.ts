import fastJson from 'fast-json-stringify';
import type { FastifyInstance } from 'fastify';
import { serializerCompiler as zodSerializerCompiler } from 'fastify-type-provider-zod';
import { z } from 'zod';

type SerializerCompiler = Parameters<FastifyInstance['setSerializerCompiler']>[0];

/**
 * Responses are written by a serializer compiled once per route and status from the route's zod
 * schema: the schema's JSON Schema (the same one the OpenAPI document shows) handed to
 * fast-json-stringify, Fastify's own serializer. Why: fastify-type-provider-zod's serializer runs the
 * whole zod schema over every reply (every field parsed, every uuid matched against its regex) and
 * then `JSON.stringify`; on a page of 50 draws that was a tenth of the API process's CPU
 * (BENCHMARKS.md, issue 12). The zod schemas stay the single source: the compiled serializer writes
 * the properties the schema declares, in its order, and nothing else, as zod's encode did.
 *
 * What it gives up is zod's check of our own output on every reply; the test suite keeps it (every
 * response the API tests receive is validated against the OpenAPI document). A schema JSON Schema
 * cannot express (a transform, a custom type) keeps the zod serializer, so nothing is ever written
 * differently from what the schema says.
 */
export const serializerCompiler: SerializerCompiler = (route) => {
  const jsonSchema = jsonSchemaOf(route.schema);
  return jsonSchema ? fastJson(jsonSchema as never) : zodSerializerCompiler(route as never);
};

/** The JSON Schema of a route's zod response schema; undefined where JSON Schema cannot express it. */
function jsonSchemaOf(schema: unknown): object | undefined {
  const wrapped = (schema as { properties?: unknown } | undefined)?.properties;
  const zod = schema instanceof z.ZodType ? schema : wrapped instanceof z.ZodType ? wrapped : undefined;
  if (!zod) return undefined;
  try {
    return z.toJSONSchema(zod, { io: 'output', target: 'draft-07', reused: 'inline' });
  } catch {
    return undefined;
  }
}
