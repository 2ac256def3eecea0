import fastJson from 'fast-json-stringify';
import type { FastifyInstance } from 'fastify';
import { serializerCompiler as zodSerializerCompiler } from 'fastify-type-provider-zod';
import { type ZodType, z } from 'zod';

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
  const schema = zodSchemaOf(route.schema);
  if (!schema) return zodSerializerCompiler(route as never);
  let jsonSchema: Record<string, unknown>;
  try {
    jsonSchema = z.toJSONSchema(schema, { io: 'output', target: 'draft-07', reused: 'inline' }) as Record<
      string,
      unknown
    >;
  } catch {
    return zodSerializerCompiler(route as never);
  }
  return fastJson(jsonSchema as never, { rounding: 'trunc' }) as (data: unknown) => string;
};

function zodSchemaOf(schema: unknown): ZodType | undefined {
  if (schema instanceof z.ZodType) return schema;
  if (
    schema &&
    typeof schema === 'object' &&
    'properties' in schema &&
    schema.properties instanceof z.ZodType
  )
    return schema.properties;
  return undefined;
}
