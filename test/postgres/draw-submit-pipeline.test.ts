import { drizzle } from 'drizzle-orm/postgres-js';
import postgres from 'postgres';
import { afterAll, beforeAll, expect, it } from 'vitest';
import * as schema from '../../src/db/schema.js';
import type { Db } from '../../src/db/types.js';
import type { Deps } from '../../src/deps.js';
import type { Ctx } from '../../src/domain/actor.js';
import { createDrawService } from '../../src/modules/draws/draws.service.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { createTestDatabase, describeDb, sentWhileBlocked, type TestDatabase } from '../helpers/database.js';
import { type Reserve, setupReserve } from '../helpers/factories.js';

/**
 * A submission's statements, in the order they go out on its connection, and which of them go out
 * together: the check read behind the mineral lock (before the lock is granted), and the audit head's
 * advance behind the draw writes (before the draw insert is done). Each case holds a lock in another
 * transaction and looks at what was sent while the submission waits on it: a deterministic check of
 * the pipelining, with no timing involved. The lock order (mineral row, then the audit head,
 * last) must hold in the pipelined form: the database runs a connection's statements in the order
 * they arrive.
 */
const KINDS: [string, RegExp][] = [
  ['begin', /^begin/],
  ['lock mineral', /from "minerals" where .* for update$/],
  ['read submission', /left join "disruption_minerals"/],
  ['insert draw', /^insert into "draws"/],
  ['set reserved', /^update "minerals" set reserved/],
  ['advance head', /^update "audit_head" set seq/],
  ['append events', /insert into "audit_events"/],
];
const kindOf = (text: string) => KINDS.find(([, pattern]) => pattern.test(text.trim()))?.[0] ?? text;

describeDb('draw submission on the wire (PostgreSQL)', () => {
  let database: TestDatabase;
  let t: TestApp;
  let r: Reserve;
  let sent: string[];
  let client: postgres.Sql;
  let other: postgres.Sql;
  let submit: () => Promise<unknown>;

  beforeAll(async () => {
    database = await createTestDatabase();
    t = await createTestApp({ DATABASE_URL: database.url });
    r = await setupReserve(t, { lots: [{ quantity: '100' }] });
    sent = [];
    // One connection, so every statement is prepared on it by the warm-up submission below (a
    // statement's first run on a connection is described first, and nothing is pipelined behind it).
    client = postgres(database.url, {
      max: 1,
      onnotice: () => {},
      debug: (_connection, text) => sent.push(kindOf(text)),
    });
    other = postgres(database.url, { max: 1, onnotice: () => {} });
    const db = drizzle(client, { schema }) as unknown as Db;
    // A submission reads only the primary and the clock.
    const service = createDrawService({ db, clock: t.clock } as unknown as Deps);
    const ctx: Ctx = {
      actor: { sub: 'pipeline-test', role: 'company', companyId: r.companyId },
      requestId: 'pipeline-test',
    };
    submit = () => service.submit(ctx, { mineralCode: r.mineralCode, quantity: '1' });
    await submit();
  });
  afterAll(async () => {
    await client?.end();
    await other?.end();
    await t?.close();
    await database?.drop();
  });

  /** What a submission had sent when it waited on the lock `lockSql` holds in another transaction. */
  const blockedSubmission = (lockSql: string) => sentWhileBlocked(other, lockSql, sent, submit);

  it('sends the check read behind the mineral lock, before the lock is granted', async () => {
    const during = await blockedSubmission(
      `select 1 from minerals where code = '${r.mineralCode}' for update`,
    );
    expect(during).toEqual(['begin', 'lock mineral', 'read submission']);
  });

  it('sends the draw writes and the audit head advance together, the head last', async () => {
    // FOR UPDATE on the company blocks the draw insert's foreign-key check (KEY SHARE on the company).
    const during = await blockedSubmission(`select 1 from companies where id = '${r.companyId}' for update`);
    expect(during).toEqual([
      'begin',
      'lock mineral',
      'read submission',
      'insert draw',
      'set reserved',
      'advance head',
    ]);
  });

  it('leaves a consistent hold and chain after the blocked submissions', async () => {
    // Three submissions of 1 (the warm-up and the two blocked ones), each holding its quantity.
    const [mineral] = await other`select reserved = 3 as held from minerals where code = ${r.mineralCode}`;
    expect(mineral!.held).toBe(true);
    const verify = await t.api.get('/v1/audit-events/verify').set({ authorization: `Bearer ${t.auditor}` });
    expect(verify.status).toBe(200);
    expect(verify.body.valid).toBe(true);
  });
});
