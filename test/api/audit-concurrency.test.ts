import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { expectIntactChain } from '../helpers/chain.js';
import { describeDb } from '../helpers/database.js';
import { allAuditEvents, uniqueCode } from '../helpers/factories.js';

const N = 100;

describeDb('audit chain under concurrent writers', () => {
  let t: TestApp;
  let baseUrl: string;

  beforeAll(async () => {
    t = await createTestApp();
    // Real sockets, so the requests really are in flight together (and, on PostgreSQL, spread over
    // the pool's connections, each transaction queuing on the chain head).
    baseUrl = await t.app.listen({ host: '127.0.0.1', port: 0 });
  });
  afterAll(() => t?.close());

  it(`keeps seq gapless and the chain linked across ${N} concurrent creates`, async () => {
    const post = (path: string, body: unknown, i: number) =>
      fetch(`${baseUrl}${path}`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${t.admin}`,
          'content-type': 'application/json',
          'x-request-id': `concurrent-${i}`,
        },
        body: JSON.stringify(body),
      });
    const responses = await Promise.all(
      Array.from({ length: N }, (_, i) =>
        i % 2 === 0
          ? post('/v1/depots', { code: uniqueCode('CD'), name: `Depot ${i}`, country: 'AU' }, i)
          : post('/v1/companies', { name: `Company ${i}`, country: 'CA' }, i),
      ),
    );
    const bodies = await Promise.all(responses.map((r) => r.json() as Promise<{ id: string }>));
    expect(responses.map((r) => r.status)).toEqual(Array(N).fill(201));

    const events = await allAuditEvents(t);
    expect(events).toHaveLength(N);
    expect(events.map((e) => e.seq)).toEqual(Array.from({ length: N }, (_, i) => i + 1));
    expectIntactChain(events);

    // One event per request, each naming the resource that request created.
    const byRequest = new Map(events.map((e) => [e.requestId, e]));
    expect(byRequest.size).toBe(N);
    bodies.forEach((body, i) => {
      const event = byRequest.get(`concurrent-${i}`);
      expect(event, `event of request ${i}`).toBeDefined();
      expect(event!.entityId).toBe(body.id);
      expect(event!.action).toBe(i % 2 === 0 ? 'depot.created' : 'company.created');
    });

    const verify = await fetch(`${baseUrl}/v1/audit-events/verify`, {
      headers: { authorization: `Bearer ${t.auditor}` },
    });
    expect(await verify.json()).toEqual({
      valid: true,
      eventsChecked: N,
      headSeq: N,
      headHash: events[N - 1]!.hash,
      firstInvalidSeq: null,
    });
  });
});
