import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { bearer, createTestApp, type TestApp } from '../helpers/app.js';
import { contractHash, expectIntactChain, GENESIS } from '../helpers/chain.js';
import { describeDb } from '../helpers/database.js';
import {
  type AuditEventOut,
  allAuditEvents,
  auditCount,
  createAgreement,
  createCompany,
  createDepot,
  createMineral,
  expectProblem,
} from '../helpers/factories.js';

/** The message of a driver error, looking through drizzle's query-error wrapper. */
const causeText = (error: unknown): string => {
  const parts: string[] = [];
  for (let e = error as { message?: string; cause?: unknown } | undefined; e; e = e.cause as typeof e) {
    parts.push(String(e.message));
  }
  return parts.join(' / ');
};

describeDb('audit log', () => {
  let t: TestApp;
  let mineralCode: string;
  let companyId: string;

  beforeAll(async () => {
    t = await createTestApp();
    // A varied history: decimals, integers, nulls, non-ASCII text, PATCHes, a rollback in the middle.
    const mineral = await createMineral(t, {
      name: 'Oxyde de néodyme–praséodyme 酸化物 🧲',
      minimumReserve: '12.5',
    });
    mineralCode = mineral.code;
    t.clock.advance(1);
    await createDepot(t, { name: 'Lager Nord "A"\\B', country: 'DE' });
    const duplicate = await t.api
      .post('/v1/minerals')
      .set(bearer(t.admin))
      .send({ code: mineral.code, name: 'dup', unit: 'kg' });
    expect(duplicate.status).toBe(409);
    companyId = (await createCompany(t, { name: 'Ünïcödé Mining GmbH' })).id;
    const agreement = await createAgreement(t, companyId, mineral.code);
    t.clock.advance(250);
    expect(
      (
        await t.api
          .patch(`/v1/minerals/${mineral.code}`)
          .set(bearer(t.admin))
          .send({ minimumReserve: '0.001' })
      ).status,
    ).toBe(200);
    expect(
      (await t.api.patch(`/v1/companies/${companyId}`).set(bearer(t.auditor)).send({ name: 'nope' })).status,
    ).toBe(403);
    expect(
      (await t.api.patch(`/v1/companies/${companyId}`).set(bearer(t.admin)).send({ status: 'suspended' }))
        .status,
    ).toBe(200);
    expect(
      (await t.api.post(`/v1/agreements/${agreement.id}/terminate`).set(bearer(t.admin)).send({})).status,
    ).toBe(200);
    for (let i = 0; i < 5; i++) await createDepot(t);
  });
  afterAll(() => t?.close());

  it('numbers events from 1 without gaps (a rolled-back request leaves none) and chains them as the contract says', async () => {
    const events = await allAuditEvents(t);
    expect(events.map((e) => e.action)).toEqual([
      'mineral.created',
      'depot.created',
      'company.created',
      'agreement.created',
      'mineral.updated',
      'company.updated',
      'agreement.terminated',
      ...Array(5).fill('depot.created'),
    ]);
    expect(events[0]!.prevHash).toBe(GENESIS);
    expectIntactChain(events);
  });

  it('returns the event shape of the contract', async () => {
    const [first] = await allAuditEvents(t);
    expect(Object.keys(first!).sort()).toEqual(
      [
        'action',
        'actor',
        'data',
        'entityId',
        'entityType',
        'hash',
        'occurredAt',
        'prevHash',
        'requestId',
        'seq',
      ].sort(),
    );
    expect(first).toMatchObject({
      seq: 1,
      occurredAt: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/),
      actor: { sub: 'admin-1', role: 'admin', companyId: null },
      entityType: 'mineral',
      entityId: mineralCode,
    });
    expect(typeof first!.requestId).toBe('string');
  });

  it('a changed body, prevHash or seq gives a different hash (the test formula is not vacuous)', async () => {
    const [first, second] = await allAuditEvents(t);
    expect(contractHash(GENESIS, first!)).toBe(first!.hash);
    expect(contractHash(GENESIS, { ...first!, data: { ...(first!.data as object), name: 'x' } })).not.toBe(
      first!.hash,
    );
    expect(contractHash('1'.repeat(64), first!)).not.toBe(first!.hash);
    expect(contractHash(first!.hash, { ...second!, seq: 3 })).not.toBe(second!.hash);
  });

  it('verify agrees with the independent recomputation', async () => {
    const events = await allAuditEvents(t);
    const res = await t.api.get('/v1/audit-events/verify').set(bearer(t.admin));
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      valid: true,
      eventsChecked: events.length,
      headSeq: events.length,
      headHash: events[events.length - 1]!.hash,
      firstInvalidSeq: null,
    });
  });

  it('pages with afterSeq and with nextCursor, each event exactly once, in seq order', async () => {
    const all = await allAuditEvents(t);
    const byAfterSeq: AuditEventOut[] = [];
    let afterSeq = 0;
    for (let guard = 0; guard < 20; guard++) {
      const res = await t.api.get('/v1/audit-events').query({ afterSeq, limit: 5 }).set(bearer(t.auditor));
      expect(res.status).toBe(200);
      byAfterSeq.push(...res.body.data);
      if (res.body.data.length < 5) break;
      afterSeq = res.body.data[res.body.data.length - 1].seq;
    }
    expect(byAfterSeq).toEqual(all);

    const byCursor: AuditEventOut[] = [];
    const sizes: number[] = [];
    let cursor: string | undefined;
    for (let guard = 0; guard < 20; guard++) {
      const res = await t.api
        .get('/v1/audit-events')
        .query({ limit: 5, ...(cursor ? { cursor } : {}) })
        .set(bearer(t.auditor));
      byCursor.push(...res.body.data);
      sizes.push(res.body.data.length);
      if (res.body.nextCursor === null) break;
      cursor = res.body.nextCursor;
    }
    expect(sizes).toEqual([5, 5, 2]);
    expect(byCursor).toEqual(all);

    const tail = await t.api.get('/v1/audit-events').query({ afterSeq: 10 }).set(bearer(t.auditor));
    expect(tail.body.data.map((e: AuditEventOut) => e.seq)).toEqual([11, 12]);
    const past = await t.api.get('/v1/audit-events').query({ afterSeq: 12 }).set(bearer(t.auditor));
    expect(past.body).toEqual({ data: [], nextCursor: null });
  });

  it('filters by entity and action', async () => {
    const mineralEvents = await t.api
      .get('/v1/audit-events')
      .query({ entityType: 'mineral', entityId: mineralCode })
      .set(bearer(t.auditor));
    expect(mineralEvents.body.data.map((e: AuditEventOut) => [e.seq, e.action])).toEqual([
      [1, 'mineral.created'],
      [5, 'mineral.updated'],
    ]);
    const companyEvents = await t.api
      .get('/v1/audit-events')
      .query({ entityId: companyId })
      .set(bearer(t.auditor));
    expect(companyEvents.body.data.map((e: AuditEventOut) => e.action)).toEqual([
      'company.created',
      'company.updated',
    ]);
    const depots = await t.api
      .get('/v1/audit-events')
      .query({ action: 'depot.created' })
      .set(bearer(t.auditor));
    expect(depots.body.data).toHaveLength(6);
    expect(depots.body.data.every((e: AuditEventOut) => e.action === 'depot.created')).toBe(true);
  });

  it.each([
    ['UPDATE', sql`update audit_events set action = 'mineral.deleted' where seq = 1`],
    ['UPDATE of every row', sql`update audit_events set data = '{}'::jsonb`],
    ['DELETE', sql`delete from audit_events where seq = (select max(seq) from audit_events)`],
    ['DELETE of every row', sql`delete from audit_events`],
    ['TRUNCATE', sql`truncate audit_events`],
    ['TRUNCATE … CASCADE', sql`truncate table audit_events cascade`],
  ])('the database itself rejects %s on audit_events', async (_name, statement) => {
    const before = await allAuditEvents(t);
    let failure: unknown;
    try {
      await t.database.db.execute(statement);
    } catch (error) {
      failure = error;
    }
    expect(failure, 'the statement must be rejected').toBeDefined();
    expect(causeText(failure)).toMatch(/append-only/);
    expect(await allAuditEvents(t)).toEqual(before);
    const verify = await t.api.get('/v1/audit-events/verify').set(bearer(t.auditor));
    expect(verify.body).toMatchObject({ valid: true, eventsChecked: before.length, firstInvalidSeq: null });
  });

  it('company tokens may not read the log', async () => {
    const token = await t.token('company', companyId, 'company-user');
    expectProblem(await t.api.get('/v1/audit-events').set(bearer(token)), 403, 'forbidden');
    expectProblem(await t.api.get('/v1/audit-events/verify').set(bearer(token)), 403, 'forbidden');
    expect(await auditCount(t)).toBe(12);
  });
});

describeDb('audit verify detects tampering', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
    for (let i = 0; i < 3; i++) await createDepot(t);
  });
  afterAll(() => t?.close());

  it('reports the first altered event when a row was changed behind the triggers', async () => {
    expect(await auditCount(t)).toBe(3);
    // Only a superuser (the test's connection) can switch the guard off; verify must still notice.
    await t.database.db.execute(sql`alter table audit_events disable trigger audit_events_no_update_delete`);
    await t.database.db.execute(
      sql`update audit_events set data = jsonb_set(data::jsonb, '{name}', '"Forged"') where seq = 2`,
    );
    await t.database.db.execute(sql`alter table audit_events enable trigger audit_events_no_update_delete`);
    const res = await t.api.get('/v1/audit-events/verify').set(bearer(t.auditor));
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ valid: false, firstInvalidSeq: 2 });
    // The independent recomputation agrees that seq 2 no longer matches its hash.
    const events = await allAuditEvents(t);
    expect(contractHash(events[0]!.hash, events[1]!)).not.toBe(events[1]!.hash);
  });
});
