import { writeFileSync } from 'node:fs';
import { buildApp } from '../app.js';
import { loadConfig } from '../config.js';
import { createDatabase } from '../db/client.js';
import { systemClock } from '../domain/clock.js';

/** Writes the live OpenAPI document to openapi/openapi.json (a test compares the two). */
export async function renderOpenApi(): Promise<string> {
  const config = loadConfig({
    DATABASE_URL: 'memory:',
    AUTH_JWT_SECRET: 'x'.repeat(32),
    LOG_LEVEL: 'silent',
  });
  const database = await createDatabase(config.database);
  const app = await buildApp({ config, database, clock: systemClock, jwtSecret: config.auth.jwtSecret });
  await app.ready();
  const document = `${JSON.stringify(app.swagger(), null, 2)}\n`;
  await app.close();
  await database.close();
  return document;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const document = await renderOpenApi();
  writeFileSync(new URL('../../openapi/openapi.json', import.meta.url), document);
  process.stdout.write('wrote openapi/openapi.json\n');
}
