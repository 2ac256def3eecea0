import { drizzle } from 'drizzle-orm/postgres-js';
import postgres from 'postgres';
import { afterAll, beforeAll, expect, it } from 'vitest';
import * as schema from '../../src/db/schema.js';
import type { Db } from '../../src/db/types.js';
import type { Deps } from '../../src/deps.js';
import type { Ctx } from '../../src/domain/actor.js';
import { createAllocationRoundService } from '../../src/modules/allocation-rounds/allocation-rounds.service.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { declare, draw, member } from '../helpers/crisis.js';
import { createTestDatabase, describeDb, sentWhileBlocked, type TestDatabase } from '../helpers/database.js';
import { type Reserve, setupReserve } from '../helpers/factories.js';

/**
 * An allocation round's writes on the wire: the round (with its allocations), the draws' decisions,
 * the mineral's figures and the audit head's advance go out together, without waiting for each other.
 * A statement the connection has not prepared is described first, and postgres.js sends nothing behind
 * it until the answer is read: the round's writes are prepared statements so that none waits for the
 * ones before it to finish. The check holds a draw's row in another transaction, so that the round's
 * decision of the draws blocks, and looks at what the round had sent by then (no timing involved).
 */
const KINDS: [string, RegExp][] = [
  ['begin', /^begin/],
  ['lock mineral', /from "minerals" where .* for update$/],
  ['insert round', /^insert into "allocation_rounds"/],
  ['decide draws', /^with decided as \(update "draws"/],
  ['set reserved and queued', /^update "minerals" set reserved = \$\d+, queued/],
  ['advance head', /^update "audit_head" set seq/],
  ['append events', /insert into "audit_events"/],
];
const kindOf = (text: string) => KINDS.find(([, pattern]) => pattern.test(text.trim()))?.[0];

describeDb('allocation round on the wire (PostgreSQL)', () => {
  let database: TestDatabase;
  let t: TestApp;
  let r: Reserve;
  let sent: string[];
  let client: postgres.Sql;
  let other: postgres.Sql;
  let run: () => Promise<unknown>;

  /** Queued draws of the reserve's mineral from two members. */
  async function queue(): Promise<string[]> {
    const ids: string[] = [];
    for (const who of [await member(t, r.mineralCode), await member(t, r.mineralCode)]) {
      ids.push((await draw(t, who, r.mineralCode, '2')).id);
    }
    return ids;
  }

  beforeAll(async () => {
    database = await createTestDatabase();
    t = await createTestApp({ DATABASE_URL: database.url });
    r = await setupReserve(t, { lots: [{ quantity: '100' }] });
    await declare(t, [r.mineralCode], 'emergency');
    sent = [];
    // One connection: the warm-up round below prepares every statement on it.
    client = postgres(database.url, {
      max: 1,
      onnotice: () => {},
      debug: (_connection, text) => {
        const kind = kindOf(text);
        if (kind) sent.push(kind);
      },
    });
    other = postgres(database.url, { max: 1, onnotice: () => {} });
    const db = drizzle(client, { schema }) as unknown as Db;
    const service = createAllocationRoundService({ db, clock: t.clock } as unknown as Deps);
    const ctx: Ctx = { actor: { sub: 'pipeline-test', role: 'admin', companyId: null }, requestId: 'round' };
    run = () => service.run(ctx, { mineralCode: r.mineralCode });
    await queue();
    await run();
  });
  afterAll(async () => {
    await client?.end();
    await other?.end();
    await t?.close();
    await database?.drop();
  });

  it('sends the round, the decisions, the mineral figures and the head advance without waiting', async () => {
    const [held] = await queue();
    const during = await sentWhileBlocked(
      other,
      `select 1 from draws where id = '${held}' for update`,
      sent,
      run,
    );
    expect(during).toEqual([
      'begin',
      'lock mineral',
      'insert round',
      'decide draws',
      'set reserved and queued',
      'advance head',
    ]);
    // Both queued draws were decided by the blocked round, and the chain still verifies.
    const [left] = await other`select count(*)::int as n from draws
      where mineral_code = ${r.mineralCode} and status = 'queued'`;
    expect(left!.n).toBe(0);
    const verify = await t.api.get('/v1/audit-events/verify').set({ authorization: `Bearer ${t.auditor}` });
    expect(verify.body.valid).toBe(true);
  });
});
