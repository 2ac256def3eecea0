import { once } from 'node:events';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { sql } from 'drizzle-orm';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { openReadReplica, READ_REPLICA_APPLICATION_NAME } from '../../src/db/replica.js';
import { bearer, createTestApp, TEST_SECRET, type TestApp } from '../helpers/app.js';
import { expectIntactChain } from '../helpers/chain.js';
import {
  type Cluster,
  clusterAvailable,
  createCluster,
  createStandby,
  type Standby,
} from '../helpers/cluster.js';
import { appendBulkEvents, download, ndjsonLines } from '../helpers/exports.js';
import {
  type AuditEventOut,
  createDepot,
  createLot,
  expectProblem,
  type Reserve,
  setupReserve,
} from '../helpers/factories.js';

/**
 * Issue 12, item 4: with DATABASE_READ_URL the auditors' reads (audit list, exports, verify, ledger
 * export) run on a streaming replica, and every write stays on the primary. A real hot standby: a
 * cluster of our own (the machine's server admits no replication connections) copied with
 * `pg_basebackup -R` and started on a free port. Needs the PostgreSQL server binaries, not a running
 * server.
 */
const available = clusterAvailable();
if (!available) {
  process.stdout.write(
    '\n[replica] no PostgreSQL server binaries (pg_ctl, pg_basebackup; set PG_BIN): read-replica tests are SKIPPED\n\n',
  );
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe.skipIf(!available)('auditors on a read replica (PostgreSQL streaming replication)', () => {
  let primary: Cluster;
  let standby: Standby;
  let t: TestApp;
  let onPrimary: postgres.Sql;
  let onReplica: postgres.Sql;
  let reserve: Reserve;

  /** Waits until the replica has replayed everything the primary has written so far. */
  async function caughtUp(seconds = 45): Promise<void> {
    const [written] = await onPrimary<{ lsn: string }[]>`select pg_current_wal_lsn()::text as lsn`;
    // Generous: on a loaded machine replay of a 25 MB bulk load can trail by seconds, and a read
    // still open on the replica from an earlier test may hold replay back (max_standby_streaming_delay
    // is 30 s until the cut-download test lowers it).
    const deadline = Date.now() + seconds * 1000;
    for (;;) {
      const [state] = await onReplica<{ done: boolean }[]>`
        select pg_wal_lsn_diff(pg_last_wal_replay_lsn(), ${written!.lsn}::pg_lsn) >= 0 as done`;
      if (state!.done) return;
      if (Date.now() > deadline)
        throw new Error(`replica did not replay up to ${written!.lsn} in ${seconds} s`);
      await sleep(20);
    }
  }

  const headOnPrimary = async () => {
    const [head] = await onPrimary<
      { seq: number; hash: string }[]
    >`select seq::int as seq, hash from audit_head`;
    return head!;
  };

  const verify = async () => {
    const res = await t.api.get('/v1/audit-events/verify').set(bearer(t.auditor));
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    return res.body as {
      valid: boolean;
      eventsChecked: number;
      headSeq: number | null;
      headHash: string | null;
    };
  };

  const exportedEvents = async () => {
    const res = await download(t, '/v1/audit-events/export?format=ndjson', t.auditor);
    expect(res.status, res.text).toBe(200);
    return ndjsonLines(res.text) as AuditEventOut[];
  };

  const ledgerRows = async () => {
    const res = await download(t, '/v1/ledger/export?format=ndjson', t.auditor);
    expect(res.status, res.text).toBe(200);
    return ndjsonLines(res.text) as { seq: number }[];
  };

  /** Sessions of the API's read pool on a server. */
  const readSessions = async (on: postgres.Sql) => {
    const [row] = await on<{ n: number }[]>`
      select count(*)::int as n from pg_stat_activity where application_name = ${READ_REPLICA_APPLICATION_NAME}`;
    return row!.n;
  };

  beforeAll(async () => {
    primary = await createCluster();
    standby = await createStandby(primary);
    onPrimary = postgres(primary.url, { max: 1, onnotice: () => {} });
    onReplica = postgres(standby.url, { max: 1, onnotice: () => {} });
    // Migrations run on the primary; the replica receives the schema with the WAL.
    t = await createTestApp({ DATABASE_URL: primary.url, DATABASE_READ_URL: standby.url });
    // A draw through its whole lifecycle: audit events and ledger movements, every write via the API.
    reserve = await setupReserve(t, {
      lots: [{ quantity: '500' }, { quantity: '300' }],
      maxOutstanding: '5000',
    });
    const draw = await t.api
      .post('/v1/draws')
      .set(bearer(reserve.company))
      .send({ mineralCode: reserve.mineralCode, quantity: '650' });
    expect(draw.status, JSON.stringify(draw.body)).toBe(201);
    for (const action of ['approve', 'fulfil']) {
      const res = await t.api.post(`/v1/draws/${draw.body.id}/${action}`).set(bearer(t.admin));
      expect(res.status, JSON.stringify(res.body)).toBe(200);
    }
    await caughtUp();
  }, 60_000);

  afterAll(async () => {
    await t?.close();
    await Promise.all([onPrimary?.end({ timeout: 1 }), onReplica?.end({ timeout: 1 })]);
    standby?.stop();
    primary?.stop();
  });

  it('is a hot standby: in recovery and refusing writes', async () => {
    const [state] = await onReplica<{ recovering: boolean }[]>`select pg_is_in_recovery() as recovering`;
    expect(state!.recovering).toBe(true);
    await expect(onReplica`create table written_on_replica (x int)`).rejects.toMatchObject({ code: '25006' });
  });

  it('exports and verifies the whole chain from the replica once it caught up', async () => {
    const head = await headOnPrimary();
    expect(head.seq).toBeGreaterThan(5);

    const events = await exportedEvents();
    expectIntactChain(events);
    expect(events).toHaveLength(head.seq);
    expect(events.at(-1)!.hash).toBe(head.hash);

    const csv = await download(t, '/v1/audit-events/export?format=csv', t.auditor);
    expect(csv.status).toBe(200);
    expect(csv.text.trimEnd().split('\r\n')).toHaveLength(head.seq + 1);

    expect(await verify()).toEqual({
      valid: true,
      eventsChecked: head.seq,
      headSeq: head.seq,
      headHash: head.hash,
      firstInvalidSeq: null,
    });

    const [movements] = await onPrimary<{ n: number }[]>`select count(*)::int as n from stock_movements`;
    expect(movements!.n).toBe(4); // two receipts, two lots shipped
    expect(await ledgerRows()).toHaveLength(movements!.n);

    // Those reads were served by the API's read pool, which has sessions on the replica and none on the primary.
    expect(await readSessions(onReplica)).toBeGreaterThan(0);
    expect(await readSessions(onPrimary)).toBe(0);
  }, 90_000);

  it("writes on the primary while the auditors' reads see the replica: paused replay hides them until resumed", async () => {
    const before = await headOnPrimary();
    const ledgerBefore = (await ledgerRows()).length;
    await onReplica`select pg_wal_replay_pause()`;
    try {
      for (
        let i = 0;
        (await onReplica`select pg_get_wal_replay_pause_state() as s`)[0]!.s !== 'paused';
        i++
      ) {
        if (i > 500) throw new Error('replay did not pause');
        await sleep(10);
      }
      // The replica replays nothing now, and refuses writes anyway: these succeed, so they went to the primary.
      const depot = await createDepot(t);
      await createLot(t, reserve.mineralCode, depot.id, { quantity: '42' });
      const after = await headOnPrimary();
      expect(after.seq).toBe(before.seq + 2); // depot.created, lot.received

      // Every other read stays on the primary: an admin reads what was just written.
      const read = await t.api.get(`/v1/depots/${depot.id}`).set(bearer(t.admin));
      expect(read.status).toBe(200);
      const inventory = await t.api.get(`/v1/inventory/${reserve.mineralCode}`).set(bearer(t.auditor));
      expect(inventory.body.onHand).toBe('192'); // 800 − 650 + 42

      // The auditors' reads do not see the new events yet: they run on the paused replica.
      const listed = await t.api
        .get('/v1/audit-events')
        .query({ afterSeq: before.seq })
        .set(bearer(t.auditor));
      expect(listed.status).toBe(200);
      expect(listed.body.data).toEqual([]);
      expect(await verify()).toMatchObject({ valid: true, headSeq: before.seq, headHash: before.hash });
      expect(await exportedEvents()).toHaveLength(before.seq);
      expect(await ledgerRows()).toHaveLength(ledgerBefore);
    } finally {
      await onReplica`select pg_wal_replay_resume()`;
    }

    await caughtUp();
    const head = await headOnPrimary();
    expect(await verify()).toMatchObject({ valid: true, headSeq: head.seq, headHash: head.hash });
    const events = await exportedEvents();
    expectIntactChain(events);
    expect(events.slice(-2).map((e) => e.action)).toEqual(['depot.created', 'lot.received']);
    expect(await ledgerRows()).toHaveLength(ledgerBefore + 1);
  }, 90_000);

  it('opens the read side read-only, so even a writable server named by mistake takes no write', async () => {
    const config = loadConfig({
      DATABASE_URL: primary.url,
      DATABASE_READ_URL: primary.url, // the primary itself, writable
      AUTH_JWT_SECRET: TEST_SECRET,
      DB_POOL_MAX: '1',
    });
    const reads = openReadReplica(config.readReplica!);
    try {
      const error = await reads.db.execute(sql`create table written_through_reads (x int)`).catch((e) => e);
      expect(error).toBeInstanceOf(Error);
      // 25006: read_only_sql_transaction (drizzle wraps the driver's error in `cause`).
      expect((error as { cause?: { code?: string } }).cause?.code).toBe('25006');
    } finally {
      await reads.close();
    }
  });

  it('a download cut by a conflict with replay (a hot standby cancels it) leaves the read pool serving', async () => {
    // Enough events that a download cannot fit in the socket buffers: a client that stops reading keeps
    // the replica's statement open mid-export.
    await appendBulkEvents(t);
    await caughtUp();
    // Cancel conflicting reads at once instead of after 30 s (the default).
    await onReplica`alter system set max_standby_streaming_delay = 0`;
    await onReplica`select pg_reload_conf()`;
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = t.app.server.address() as AddressInfo;
    try {
      for (const format of ['csv', 'ndjson']) {
        const req = httpRequest({
          port,
          host: '127.0.0.1',
          path: `/v1/audit-events/export?format=${format}`,
          headers: bearer(t.auditor),
        });
        req.on('error', () => {});
        req.end();
        const [res] = (await once(req, 'response')) as [IncomingMessage];
        expect(res.statusCode).toBe(200);
        res.on('error', () => {}); // "aborted": what the cut is expected to look like
        res.pause();
        const [reading] = await onReplica<{ n: number }[]>`
          select count(*)::int as n from pg_stat_activity
          where application_name = ${READ_REPLICA_APPLICATION_NAME} and state <> 'idle'`;
        expect(reading!.n, 'the stalled export holds a statement on the replica').toBeGreaterThan(0);
        // An ACCESS EXCLUSIVE lock on the primary is replayed on the standby, which must first cancel
        // every statement reading the table: the stalled export's.
        await onPrimary.begin((tx) => tx`lock table audit_events in access exclusive mode`);
        // Replay goes past the lock once the export's statement is cancelled. A backend blocked writing
        // to a client that stopped reading may not act on the cancel until it can write, which on a
        // loaded machine can outlast any wait: then the test ends it the way an operator would, and
        // what is checked below (the download is cut, not complete; the pool serves again) holds all
        // the same.
        await caughtUp(15).catch(async () => {
          await onReplica`select pg_terminate_backend(pid) from pg_stat_activity
            where application_name = ${READ_REPLICA_APPLICATION_NAME} and state <> 'idle'`;
          await caughtUp();
        });
        // Not `once(res, 'close')`: it rejects on the 'error' ("aborted") that comes first.
        const ended = new Promise((resolve) => res.once('close', resolve));
        res.resume();
        await ended;
        expect(res.complete, `${format}: a cut download must not look complete`).toBe(false);
      }
    } finally {
      await onReplica`alter system reset max_standby_streaming_delay`;
      await onReplica`select pg_reload_conf()`;
    }
    await caughtUp();
    // The read pool serves again. postgres.js 3.4.9 may hand a killed backend's last message to the next
    // query on its reconnected connection: a 503 problem, which a client retries.
    let served: { status: number; body: Record<string, unknown> } | undefined;
    for (let attempt = 0; attempt < 3 && served?.status !== 200; attempt++) {
      served = await t.api.get('/v1/audit-events/verify').set(bearer(t.auditor));
      if (served.status !== 200) expectProblem(served as never, 503, 'service-unavailable');
    }
    const head = await headOnPrimary();
    expect(served!.body).toMatchObject({ valid: true, headSeq: head.seq, headHash: head.hash });
    expect(await exportedEvents()).toHaveLength(head.seq);
  }, 120_000);

  it("a replica that is down fails the auditors' reads with 503 and nothing else", async () => {
    standby.stop();
    for (const path of [
      '/v1/audit-events/verify',
      '/v1/audit-events',
      '/v1/audit-events/export?format=ndjson',
      '/v1/audit-events/export?format=csv',
      '/v1/ledger/export?format=csv',
    ]) {
      const res = await t.api.get(path).set(bearer(t.auditor));
      expectProblem(res, 503, 'service-unavailable');
      expect(res.headers['retry-after']).toBeDefined();
    }
    expect((await t.api.get('/health/ready')).status).toBe(200);
    await createDepot(t);
    const inventory = await t.api.get(`/v1/inventory/${reserve.mineralCode}`).set(bearer(t.auditor));
    expect(inventory.status).toBe(200);
  });
});
