import { connect } from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { bearer, createTestApp, type TestApp } from '../helpers/app.js';
import { describeDb } from '../helpers/database.js';
import { expectProblem } from '../helpers/factories.js';

/** Sends raw bytes to the listening app and returns the raw response. */
async function raw(port: number, request: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let data = '';
    socket.on('data', (chunk) => {
      data += chunk.toString();
    });
    socket.on('end', () => resolve(data));
    socket.on('close', () => resolve(data));
    socket.on('error', reject);
    socket.write(request);
  });
}

const problemOf = (response: string) => {
  const [head, body] = response.split('\r\n\r\n');
  return { head: head ?? '', body: JSON.parse(body ?? '{}') as Record<string, unknown> };
};

describeDb('degraded modes and client errors answer problems', () => {
  let t: TestApp;
  let port: number;
  beforeAll(async () => {
    t = await createTestApp({ RATE_LIMIT_MAX: '3' });
    await t.app.listen({ host: '127.0.0.1', port: 0 });
    port = (t.app.server.address() as { port: number }).port;
  });
  afterAll(() => t?.close());

  it('accepts the Bearer scheme in any case (RFC 9110)', async () => {
    const token = await t.token('auditor', undefined, 'case-insensitive');
    for (const scheme of ['bearer', 'BEARER', 'BeArEr']) {
      const res = await t.api.get('/v1/minerals').set('authorization', `${scheme} ${token}`);
      expect(res.status, scheme).toBe(200);
    }
  });

  it('answers a malformed URL with a 400 problem', async () => {
    const res = problemOf(
      await raw(port, 'GET /v1/minerals/%E0%A4%A HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'),
    );
    expect(res.head).toMatch(/^HTTP\/1\.1 400/);
    expect(res.head.toLowerCase()).toContain('content-type: application/problem+json');
    expect(res.body).toMatchObject({ status: 400, type: '/problems/validation-error' });
  });

  it('answers oversized headers with a 431 problem', async () => {
    const res = problemOf(
      await raw(port, `GET /v1/minerals HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(40_000)}\r\n\r\n`),
    );
    expect(res.head).toMatch(/^HTTP\/1\.1 431/);
    expect(res.head.toLowerCase()).toContain('content-type: application/problem+json');
    expect(res.body).toMatchObject({ status: 431 });
  });

  it('limits requests without a valid token, and unknown URLs, by address', async () => {
    const seen: number[] = [];
    for (let i = 0; i < 5; i++) {
      seen.push((await t.api.get('/v1/minerals').set('authorization', 'Bearer not.a.token')).status);
    }
    expect(seen.slice(0, 3)).toEqual([401, 401, 401]);
    expect(seen[4]).toBe(429);
    const limited = await t.api.get('/no/such/route');
    expectProblem(limited, 429, 'rate-limited');
  });

  it('never sends SQL in a 500, even when recording an idempotent response fails', async () => {
    // A fresh subject: this file's rate limit (3 a minute) counts per caller.
    const admin = await t.token('admin', undefined, `sql-leak-${Date.now()}`);
    // Make every recording of a stored response fail the way a lost database connection would.
    const idempotency = t.app.services.idempotency;
    const { complete, release } = idempotency;
    const failing = async () => {
      throw Object.assign(new Error('delete from "idempotency_keys" where "caller" = $1 -- params: secret'), {
        code: 'CONNECTION_CLOSED',
      });
    };
    idempotency.complete = failing;
    idempotency.release = failing;
    try {
      const res = await t.api
        .post('/v1/draws/00000000-0000-4000-8000-000000000000/approve')
        .set(bearer(admin))
        .set('idempotency-key', `leak-${Date.now()}`)
        .send({});
      // The refusal (404) is what the client gets; recording it failed quietly (logged).
      expect(res.status).toBe(404);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.text).not.toMatch(/idempotency_keys|select |delete |insert |params/i);
    } finally {
      idempotency.complete = complete;
      idempotency.release = release;
    }
  });

  it('turns a lost database into a 503 problem with Retry-After', async () => {
    const minerals = t.app.services.minerals;
    const { list } = minerals;
    minerals.list = async () => {
      throw Object.assign(new Error('write CONNECTION_CLOSED 127.0.0.1:5432'), { code: 'CONNECTION_CLOSED' });
    };
    try {
      const token = await t.token('auditor', undefined, `outage-${Date.now()}`);
      const res = await t.api.get('/v1/minerals').set(bearer(token));
      expectProblem(res, 503, 'service-unavailable');
      expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
      expect(res.text).not.toContain('5432');
    } finally {
      minerals.list = list;
    }
  });

  it('turns a statement cancelled by a conflict (a read replica replaying the primary) into a 503 problem', async () => {
    const audit = t.app.services.audit;
    const { verify } = audit;
    // What a hot standby reports when replaying the primary's changes needs a row this read still sees.
    audit.verify = async () => {
      throw Object.assign(new Error('canceling statement due to conflict with recovery'), { code: '40001' });
    };
    try {
      const token = await t.token('auditor', undefined, `conflict-${Date.now()}`);
      const res = await t.api.get('/v1/audit-events/verify').set(bearer(token));
      expectProblem(res, 503, 'service-unavailable');
      expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
      expect(res.text).not.toContain('recovery');
    } finally {
      audit.verify = verify;
    }
  });
});
