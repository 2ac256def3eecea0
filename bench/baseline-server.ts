import { pathToFileURL } from 'node:url';
import Fastify, { type FastifyInstance } from 'fastify';
import type postgresModule from 'postgres';
import { createTokenVerifier } from '../src/http/auth.js';

/**
 * The baselines the read scenario is measured against, on a postgres.js pool of the same size as the
 * API's (DB_POOL_MAX, default 10) — no validation, no ORM, Fastify's default serializer:
 * - `GET /select1`: one `SELECT 1`;
 * - `GET /raw/…`: the rows an API read returns (inventory page, draws page, one draw), each from one
 *   raw postgres.js query;
 * - `GET /raw-jwt/…`: the same behind the API's own bearer-token verification (AUTH_JWT_SECRET).
 * Side by side they split an API read's cost into authentication, the query, and the rest (validation,
 * serialization, drizzle, hooks). `POSTGRES_MODULE` may name another build of postgres.js (the driver
 * regression loads an unpatched copy of 3.4.9 that way). Prints "listening on http://…" like the API.
 */
const url = process.env.DATABASE_URL;
if (!url) throw new Error('DATABASE_URL is required');
const poolMax = Number(process.env.DB_POOL_MAX ?? '10');
const modulePath = process.env.POSTGRES_MODULE;
const { default: postgres } = (await import(modulePath ? pathToFileURL(modulePath).href : 'postgres')) as {
  default: typeof postgresModule;
};

const sql = postgres(url, { max: poolMax, onnotice: () => {} });
const app = Fastify({ logger: false });
app.get('/select1', async () => {
  const [row] = await sql`select 1 as one`;
  return row;
});

/** The API's first pages and single-row read, as rows; the same orders and limits as the API's. */
function rowRoutes(scope: FastifyInstance) {
  scope.get('/inventory', async () => ({
    data: await sql`select * from minerals order by created_at, code limit 51`,
  }));
  scope.get('/draws', async () => ({
    data: await sql`select * from draws order by created_at, id limit 51`,
  }));
  scope.get<{ Params: { id: string } }>('/draws/:id', async (request, reply) => {
    const [row] = await sql`select * from draws where id = ${request.params.id}`;
    return row ?? reply.code(404).send({ status: 404 });
  });
}
app.register(rowRoutes, { prefix: '/raw' });

const secret = process.env.AUTH_JWT_SECRET;
if (secret) {
  const verify = createTokenVerifier(
    {
      issuer: process.env.AUTH_ISSUER ?? 'reserve-dev',
      audience: process.env.AUTH_AUDIENCE ?? 'reserve-api',
      jwtSecret: secret,
      jwksUrl: null,
    },
    secret,
  );
  app.register(
    async (scope) => {
      scope.addHook('onRequest', async (request, reply) => {
        const token = request.headers.authorization?.replace(/^Bearer /, '') ?? '';
        try {
          await verify(token);
        } catch {
          return reply.code(401).send({ status: 401 });
        }
      });
      rowRoutes(scope);
    },
    { prefix: '/raw-jwt' },
  );
}

const shutdown = async () => {
  await app.close();
  await sql.end({ timeout: 5 });
  process.exit(0);
};
process.on('SIGTERM', () => void shutdown());
process.on('SIGINT', () => void shutdown());

const address = await app.listen({
  host: process.env.HOST ?? '127.0.0.1',
  port: Number(process.env.PORT ?? '0'),
});
process.stdout.write(`baseline listening on ${address}\n`);
