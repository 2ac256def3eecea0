import { pathToFileURL } from 'node:url';
import Fastify from 'fastify';
import type postgresModule from 'postgres';

/**
 * The baseline the read scenario is measured against: a bare Fastify route doing one `SELECT 1` on a
 * postgres.js pool of the same size as the API's (DB_POOL_MAX, default 10) — no auth, no validation, no
 * ORM, no serializer schema. `POSTGRES_MODULE` may name another build of postgres.js (the driver
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
