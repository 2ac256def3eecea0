import { once } from 'node:events';
import { type ClientRequest, request as httpRequest, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { bearer, createTestApp, type TestApp } from '../helpers/app.js';
import { describeDb } from '../helpers/database.js';
import { appendBulkEvents } from '../helpers/exports.js';

/**
 * Issue 14, item 4: ten stalled CSV downloads held every pooled connection (a postgres.js cursor holds
 * its connection until the client has read everything), and the API stopped answering. Downloads of
 * both formats now share the exporter's slots (a third of the pool), so clients that stop reading can
 * only hold those. Only PostgreSQL has a pool to exhaust.
 */
describeDb('stalled downloads', () => {
  let t: TestApp;
  const requests: ClientRequest[] = [];

  beforeAll(async () => {
    // Three connections: one export slot, so any second stalled download would already take a
    // connection the API needs if it were not waiting for a slot.
    t = await createTestApp({ DB_POOL_MAX: '3' });
    await appendBulkEvents(t);
    await t.app.listen({ port: 0, host: '127.0.0.1' });
  }, 120_000);
  afterAll(async () => {
    for (const req of requests) req.destroy();
    await t?.close();
  });

  it('leave the API answering, however many clients stop reading', async () => {
    const { port } = t.app.server.address() as AddressInfo;
    const stalled = (format: 'csv' | 'ndjson') => {
      const req = httpRequest({
        port,
        host: '127.0.0.1',
        path: `/v1/audit-events/export?format=${format}`,
        headers: bearer(t.auditor),
      });
      req.on('error', () => {});
      req.end();
      requests.push(req);
      // The client reads the status line and one chunk, then stops reading.
      return once(req, 'response').then(([res]) => {
        (res as IncomingMessage).pause();
        return res as IncomingMessage;
      });
    };
    const first = await stalled('csv');
    expect(first.statusCode).toBe(200);
    for (let i = 0; i < 5; i++) void stalled(i % 2 === 0 ? 'csv' : 'ndjson').catch(() => {});
    await new Promise((resolve) => setTimeout(resolve, 1000));

    const started = Date.now();
    const ready = await t.api.get('/health/ready').timeout(5_000);
    expect(ready.status).toBe(200);
    const minerals = await t.api.get('/v1/minerals').set(bearer(t.admin)).timeout(5_000);
    expect(minerals.status).toBe(200);
    expect(Date.now() - started).toBeLessThan(5_000);
  }, 60_000);
});
