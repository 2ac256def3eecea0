import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import supertest from 'supertest';
import { afterAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.js';
import { type Config, loadConfig } from '../src/config.js';
import { createDatabase, type Database } from '../src/db/client.js';
import { systemClock } from '../src/domain/clock.js';
import { signToken } from '../src/http/auth.js';
import { resolveJwtSecret, secretFile } from '../src/secrets.js';
import { bearer } from './helpers/app.js';
import { contractHash, GENESIS } from './helpers/chain.js';

/** Starts the service the way src/server.ts does, on the embedded database in `config.dataDir`. */
async function start(config: Config): Promise<{ app: FastifyInstance; database: Database; secret: string }> {
  const { secret } = resolveJwtSecret(config);
  if (!secret) throw new Error('embedded mode must resolve a secret');
  const database = await createDatabase(config.database);
  const app = await buildApp({ config, database, clock: systemClock, jwtSecret: secret, logger: false });
  await app.ready();
  return { app, database, secret };
}

async function stop({ app, database }: { app: FastifyInstance; database: Database }) {
  await app.close();
  await database.close();
}

describe('embedded persistence across a restart', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'reserve-persist-'));
  const config = loadConfig({ DATA_DIR: dataDir, LOG_LEVEL: 'silent', SEED_DEMO: 'false' });
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('keeps the generated secret private and stable', () => {
    expect(config.database).toEqual({ kind: 'pglite', dataDir });
    const first = resolveJwtSecret(config);
    expect(first.generated).toBe(true);
    expect(first.secret!.length).toBeGreaterThanOrEqual(32);
    const file = secretFile(dataDir);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readFileSync(file, 'utf8').trim()).toBe(first.secret);
    expect(resolveJwtSecret(config).secret).toBe(first.secret);
    // A configured secret wins and leaves the file alone.
    const configured = loadConfig({ DATA_DIR: dataDir, AUTH_JWT_SECRET: 'c'.repeat(40) });
    expect(resolveJwtSecret(configured)).toEqual({ secret: 'c'.repeat(40), generated: false });
    expect(readFileSync(file, 'utf8').trim()).toBe(first.secret);
  });

  it('finds the mineral, its audit event and a valid chain after closing and reopening', async () => {
    const first = await start(config);
    const token = await signToken(config.auth, first.secret, { role: 'admin', sub: 'persist-admin' });
    const created = await supertest(first.app.server)
      .post('/v1/minerals')
      .set(bearer(token))
      .send({ code: 'PERSIST_GE', name: 'Germanium', unit: 'kg', minimumReserve: '2.5' });
    expect(created.status).toBe(201);
    const eventsBefore = (await supertest(first.app.server).get('/v1/audit-events').set(bearer(token))).body
      .data;
    expect(eventsBefore).toHaveLength(1);
    await stop(first);

    const second = await start(config);
    try {
      expect(second.secret).toBe(first.secret);
      const api = supertest(second.app.server);
      // The token signed before the restart still verifies: the secret came back from the data folder.
      const mineral = await api.get('/v1/minerals/PERSIST_GE').set(bearer(token));
      expect(mineral.status).toBe(200);
      expect(mineral.body).toEqual(created.body);

      const events = (await api.get('/v1/audit-events').set(bearer(token))).body.data;
      expect(events).toEqual(eventsBefore);
      expect(events[0]).toMatchObject({
        seq: 1,
        action: 'mineral.created',
        entityId: 'PERSIST_GE',
        prevHash: GENESIS,
      });
      expect(contractHash(GENESIS, events[0])).toBe(events[0].hash);

      const verify = await api.get('/v1/audit-events/verify').set(bearer(token));
      expect(verify.body).toEqual({
        valid: true,
        eventsChecked: 1,
        headSeq: 1,
        headHash: events[0].hash,
        firstInvalidSeq: null,
      });

      // The chain carries on from the persisted head.
      const next = await api
        .post('/v1/depots')
        .set(bearer(token))
        .send({ code: 'PD1', name: 'Depot', country: 'NL' });
      expect(next.status).toBe(201);
      const after = (await api.get('/v1/audit-events').query({ afterSeq: 1 }).set(bearer(token))).body.data;
      expect(after).toHaveLength(1);
      expect(after[0]).toMatchObject({ seq: 2, prevHash: events[0].hash, action: 'depot.created' });
      expect(contractHash(events[0].hash, after[0])).toBe(after[0].hash);
    } finally {
      await stop(second);
    }
  });
});
