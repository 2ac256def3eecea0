import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import postgres from 'postgres';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ROOT } from '../../bench/lib/config.js';
import { dec } from '../../src/domain/decimal.js';
import { signToken } from '../../src/http/auth.js';
import { TEST_SECRET } from '../helpers/app.js';
import { type Cluster, childrenOf, clusterAvailable, createCluster } from '../helpers/cluster.js';
import { type ApiProcess, call, startApiProcess } from '../helpers/processes.js';

/**
 * Fault injection: two API processes on a PostgreSQL cluster of our own, concurrent clients drawing,
 * approving, fulfilling and delivering with Idempotency-Keys, while we kill -9 an API process (and
 * restart it), restart the database with `-m immediate`, and stall export readers. Then every
 * unanswered request is retried with its key, and the books must hold: no process died unexpectedly,
 * every acknowledged write is there, no key had two effects, inventory and ledger agree, the audit
 * chain verifies. Seeded (FAULT_SEED), printing what it injected.
 *
 * Then focused injections, each at the one moment a fix is about: kill -9 while a keyed change records
 * its response (exactly once), a database that hangs (readiness's deadline), SIGTERM to `npm start`,
 * and SIGTERM while an export is in flight (drain 503s, clean exit). Each fails when its fix is reverted.
 */
const SEED = Number(process.env.FAULT_SEED ?? 20261130);
const CLIENTS = 10;
const WORKLOAD_MS = 36_000;
const RETRY_MS = 45_000;
const auth = { issuer: 'reserve-dev', audience: 'reserve-api', jwtSecret: TEST_SECRET, jwksUrl: null };

/** mulberry32: a tiny seeded generator, so a failing run can be replayed with its seed. */
function rng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const started = Date.now();
const log = (message: string) =>
  process.stdout.write(`[faults +${((Date.now() - started) / 1000).toFixed(1)}s] ${message}\n`);

type Kind = 'submit' | 'approve' | 'fulfil' | 'deliver';
interface Op {
  kind: Kind;
  key: string;
  path: string;
  body: unknown;
  token: string;
  /** The final answer, once there is one (not a 5xx, not "in progress", not a dropped connection). */
  answer?: { status: number; body: Record<string, unknown> };
  attempts: number;
}

interface Reply {
  status: number;
  body: Record<string, unknown>;
  text: string;
  headers: Headers;
}

async function send(url: string, op: Op): Promise<Reply | null> {
  try {
    const res = await fetch(`${url}${op.path}`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${op.token}`,
        'content-type': 'application/json',
        'idempotency-key': op.key,
      },
      body: JSON.stringify(op.body),
      signal: AbortSignal.timeout(15_000),
    });
    const text = await res.text();
    let body: Record<string, unknown> = {};
    try {
      body = text ? (JSON.parse(text) as Record<string, unknown>) : {};
    } catch {
      body = { unparsable: text };
    }
    return { status: res.status, body, text, headers: res.headers };
  } catch {
    return null; // connection refused/reset, process killed, timeout: unanswered
  }
}

(clusterAvailable() ? describeFaults : describeSkipped)();

function describeSkipped() {
  it.skip('fault injection needs PostgreSQL server binaries (initdb, pg_ctl)', () => {});
}

function describeFaults() {
  let cluster: Cluster;
  const apis: ApiProcess[] = [];
  const unexpectedExits: string[] = [];
  let sql: postgres.Sql;
  let admin: string;
  let auditor: string;
  const env = () => ({ DATABASE_URL: cluster.url, AUTH_JWT_SECRET: TEST_SECRET, DB_POOL_MAX: '6' });

  const watch = (api: ApiProcess, name: string) => {
    api.child.once('exit', (code, signal) => {
      if ((api as { expectedExit?: boolean }).expectedExit) return;
      unexpectedExits.push(`${name} exited (${code ?? signal}):\n${api.output().slice(-3000)}`);
    });
  };

  beforeAll(async () => {
    cluster = await createCluster();
    log(`PostgreSQL cluster on port ${cluster.port}; seed ${SEED}`);
    const [a, b] = await Promise.all([startApiProcess(env()), startApiProcess(env())]);
    apis.push(a!, b!);
    watch(a!, 'api-0');
    watch(b!, 'api-1');
    sql = postgres(cluster.url, { max: 2, onnotice: () => {} });
    admin = await signToken(auth, TEST_SECRET, { role: 'admin', sub: 'fault-admin' });
    auditor = await signToken(auth, TEST_SECRET, { role: 'auditor', sub: 'fault-auditor' });
  }, 120_000);

  afterAll(async () => {
    for (const api of apis) (api as { expectedExit?: boolean }).expectedExit = true;
    await Promise.all(apis.map((api) => api.stop()));
    await sql?.end({ timeout: 2 }).catch(() => {});
    cluster?.stop();
  });

  it('keeps every acknowledged write exactly once through crashes, a database restart and stalled exports', async () => {
    const random = rng(SEED);
    const pick = <T>(xs: T[]) => xs[Math.floor(random() * xs.length)]!;
    const post = async (path: string, body: unknown) => {
      const res = await fetch(`${apis[0]!.url}${path}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      const json = (await res.json()) as Record<string, unknown>;
      expect(res.status, JSON.stringify(json)).toBe(201);
      return json;
    };

    // Reference data: three minerals with stock, a depot, four member companies with agreements.
    const depot = await post('/v1/depots', { code: 'FAULT_D', name: 'Fault depot', country: 'US' });
    const minerals = ['FGA', 'FGE', 'FCO'];
    for (const code of minerals) {
      await post('/v1/minerals', { code, name: code, unit: 'kg', minimumReserve: '0' });
      await post('/v1/lots', {
        mineralCode: code,
        depotId: depot.id,
        quantity: '1000000',
        originCountry: 'AU',
      });
    }
    const companies: { id: string; token: string }[] = [];
    for (let i = 0; i < 4; i++) {
      const company = await post('/v1/companies', { name: `Member ${i}`, country: 'US' });
      for (const code of minerals) {
        await post(`/v1/companies/${company.id}/agreements`, {
          mineralCode: code,
          unitPrice: '12.5',
          maxOutstanding: '1000000',
          replenishmentDays: 30,
          premiumPercent: '2.5',
        });
      }
      const id = company.id as string;
      companies.push({
        id,
        token: await signToken(auth, TEST_SECRET, { role: 'company', companyId: id, sub: `m-${i}` }),
      });
    }

    const ops: Op[] = [];
    const pending: string[] = [];
    const approved: string[] = [];
    const obligations: string[] = [];
    const fiveHundreds: Reply[] = [];
    const unavailable: Reply[] = [];
    let answered = 0;

    const settle = (op: Op, reply: Reply | null) => {
      op.attempts++;
      if (!reply) return;
      if (reply.status >= 500) {
        (reply.status === 503 ? unavailable : fiveHundreds).push(reply);
        return;
      }
      if (reply.status === 409 && String(reply.body.type).endsWith('/idempotency-key-in-progress')) return;
      if (op.answer) return;
      op.answer = { status: reply.status, body: reply.body };
      answered++;
      if (op.kind === 'submit' && reply.status === 201) pending.push(reply.body.id as string);
      if (op.kind === 'approve' && reply.status === 200) approved.push(reply.body.id as string);
      if (op.kind === 'fulfil' && reply.status === 200) obligations.push(reply.body.obligationId as string);
    };

    const nextOp = (): Op => {
      const roll = random();
      const key = `fault-${SEED}-${randomBytes(6).toString('hex')}`;
      if (roll < 0.25 && pending.length > 0) {
        const id = pending.splice(Math.floor(random() * pending.length), 1)[0]!;
        return { kind: 'approve', key, path: `/v1/draws/${id}/approve`, body: {}, token: admin, attempts: 0 };
      }
      if (roll < 0.45 && approved.length > 0) {
        const id = approved.splice(Math.floor(random() * approved.length), 1)[0]!;
        return { kind: 'fulfil', key, path: `/v1/draws/${id}/fulfil`, body: {}, token: admin, attempts: 0 };
      }
      if (roll < 0.6 && obligations.length > 0) {
        const id = pick(obligations);
        return {
          kind: 'deliver',
          key,
          path: `/v1/obligations/${id}/deliveries`,
          body: { quantity: '0.125', depotId: depot.id, originCountry: 'JP' },
          token: admin,
          attempts: 0,
        };
      }
      const company = pick(companies);
      return {
        kind: 'submit',
        key,
        path: '/v1/draws',
        body: { mineralCode: pick(minerals), quantity: pick(['1', '2.5', '0.75', '10']) },
        token: company.token,
        attempts: 0,
      };
    };

    // The workload: CLIENTS concurrent clients until the deadline, each request to either process.
    const deadline = Date.now() + WORKLOAD_MS;
    const clients = Array.from({ length: CLIENTS }, async () => {
      while (Date.now() < deadline) {
        const op = nextOp();
        ops.push(op);
        settle(op, await send(pick(apis).url, op));
      }
    });

    // The injections, on a fixed schedule.
    const injections = (async () => {
      await sleep(6_000);
      const victim = apis[1]!;
      (victim as { expectedExit?: boolean }).expectedExit = true;
      victim.child.kill('SIGKILL');
      log(`injected: kill -9 api-1 (pid ${victim.pid}) with ${ops.length} requests sent so far`);
      const restarting = startApiProcess(env()).then((restarted) => {
        apis[1] = restarted;
        watch(restarted, 'api-1 (restarted)');
        log(`api-1 restarted (pid ${restarted.pid})`);
      });

      await sleep(Math.max(0, deadline - WORKLOAD_MS + 16_000 - Date.now()));
      log('injected: pg_ctl restart -m immediate');
      const probes = (async () => {
        const timings: number[] = [];
        for (let i = 0; i < 6; i++) {
          // The surviving process (the other one may still be restarting from its kill).
          for (const api of [apis[0]!]) {
            const t0 = Date.now();
            const res = await fetch(`${api.url}/health/ready`, { signal: AbortSignal.timeout(5_000) }).catch(
              () => null,
            );
            timings.push(Date.now() - t0);
            if (!res) await sleep(200); // let an exiting process report itself
            expect(res, `readiness answers during the outage ${unexpectedExits.join('\n')}`).not.toBeNull();
          }
          await sleep(150);
        }
        return timings;
      })();
      const restartAt = Date.now();
      await cluster.restartImmediate();
      log(`database back after ${Date.now() - restartAt} ms`);
      const timings = await probes;
      log(`readiness probes during the restart answered in ≤ ${Math.max(...timings)} ms`);
      expect(Math.max(...timings)).toBeLessThan(1_000);
      // Recovery by itself within seconds.
      const recoverFrom = Date.now();
      await restarting;
      for (const api of apis) {
        for (;;) {
          const res = await fetch(`${api.url}/health/ready`).catch(() => null);
          if (res?.status === 200) break;
          expect(Date.now() - recoverFrom, 'recovers within 15 s').toBeLessThan(15_000);
          await sleep(200);
        }
      }
      log(`both processes ready ${Date.now() - recoverFrom} ms after the database returned`);

      await sleep(Math.max(0, deadline - WORKLOAD_MS + 24_000 - Date.now()));
      const stalled: Socket[] = [];
      for (const format of ['ndjson', 'csv', 'ndjson', 'csv', 'ndjson', 'csv']) {
        const socket = connect(Number(new URL(apis[0]!.url).port), '127.0.0.1');
        socket.on('error', () => {});
        socket.write(
          `GET /v1/audit-events/export?format=${format} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${auditor}\r\n\r\n`,
        );
        socket.pause(); // a reader that never reads
        stalled.push(socket);
      }
      log(`injected: ${stalled.length} stalled export readers on api-0`);
      await sleep(8_000);
      for (const socket of stalled) socket.destroy();
      log('stalled export readers released');
    })();

    await Promise.all([...clients, injections]);
    const unansweredAfterRun = ops.filter((op) => !op.answer).length;
    log(`workload done: ${ops.length} requests, ${answered} answered, ${unansweredAfterRun} to retry`);

    // Retry every unanswered request with its key until it has a final answer.
    const retryUntil = Date.now() + RETRY_MS;
    for (let round = 0; ops.some((op) => !op.answer); round++) {
      expect(Date.now(), `unanswered after retries: ${ops.filter((op) => !op.answer).length}`).toBeLessThan(
        retryUntil,
      );
      await Promise.all(
        ops
          .filter((op) => !op.answer)
          .map(async (op, i) => settle(op, await send(apis[(round + i) % 2]!.url, op))),
      );
      if (ops.some((op) => !op.answer)) await sleep(1_000);
    }
    log(`every request answered; ${unavailable.length} × 503 and ${fiveHundreds.length} × other 5xx seen`);

    // No process died unexpectedly.
    expect(unexpectedExits).toEqual([]);
    // Server errors: problem documents, no SQL; the outage shows as 503 with Retry-After.
    for (const reply of [...unavailable, ...fiveHundreds]) {
      expect(reply.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(reply.text).not.toMatch(/idempotency_keys|select |insert |update |delete /i);
    }
    for (const reply of unavailable) expect(Number(reply.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(fiveHundreds.map((r) => r.text)).toEqual([]);

    // Every acknowledged write is there, and no key had two effects (one event per success).
    const succeeded = (kind: Kind, status: number) =>
      ops.filter((op) => op.kind === kind && op.answer?.status === status);
    const submitted = succeeded('submit', 201).map((op) => op.answer!.body.id as string);
    const draws = await sql`select id, status from draws`;
    expect(new Set(draws.map((d) => d.id as string))).toEqual(new Set(submitted));
    const status = new Map(draws.map((d) => [d.id as string, d.status as string]));
    for (const op of succeeded('approve', 200)) {
      expect(['approved', 'fulfilled']).toContain(status.get(op.answer!.body.id as string));
    }
    for (const op of succeeded('fulfil', 200))
      expect(status.get(op.answer!.body.id as string)).toBe('fulfilled');
    const events = await sql`select action, count(*)::int as n from audit_events group by action`;
    const count = (action: string) => events.find((e) => e.action === action)?.n ?? 0;
    expect(count('draw.submitted')).toBe(submitted.length);
    expect(count('draw.approved')).toBe(succeeded('approve', 200).length);
    expect(count('draw.fulfilled')).toBe(succeeded('fulfil', 200).length);
    expect(count('obligation.delivery_recorded')).toBe(succeeded('deliver', 201).length);
    log(
      `effects: ${submitted.length} draws, ${succeeded('approve', 200).length} approvals, ` +
        `${succeeded('fulfil', 200).length} fulfilments, ${succeeded('deliver', 201).length} deliveries`,
    );

    // Inventory and ledger agree; reserved = open holds.
    for (const code of minerals) {
      const [m] = await sql`select on_hand::text, reserved::text from minerals where code = ${code}`;
      const [lots] =
        await sql`select coalesce(sum(quantity_on_hand), 0)::text as total from lots where mineral_code = ${code}`;
      const [ledger] =
        await sql`select coalesce(sum(quantity), 0)::text as total from stock_movements where mineral_code = ${code}`;
      const [holds] =
        await sql`select coalesce(sum(quantity), 0)::text as total from draws where mineral_code = ${code} and status in ('pending', 'approved')`;
      expect(dec(lots!.total).eq(m!.on_hand), `${code} lots = on hand`).toBe(true);
      expect(dec(ledger!.total).eq(m!.on_hand), `${code} ledger = on hand`).toBe(true);
      expect(dec(holds!.total).eq(m!.reserved), `${code} holds = reserved`).toBe(true);
    }

    // The audit chain verifies.
    const verify = await fetch(`${apis[0]!.url}/v1/audit-events/verify`, {
      headers: { authorization: `Bearer ${auditor}` },
    });
    const report = (await verify.json()) as { valid: boolean; eventsChecked: number };
    expect(report.valid).toBe(true);
    log(`audit chain valid (${report.eventsChecked} events)`);
  }, 170_000);

  it('a process killed before its keyed change commits with its recorded response leaves no change: the retry runs it once', async () => {
    // The window between a change and the record of its response, held open by a trigger that sleeps
    // when the key is completed: the process is killed right there. Exactly once means the change and
    // the record commit together, so the kill leaves neither and the retry (same key) runs the change
    // once. Were the record written after the change committed, the kill would leave a change whose
    // key is still running, and the retry would run it a second time.
    // Its own database, so the main test's books stay as they are. client_connection_check_interval:
    // the server notices its client died during the sleep (it would anyway at its next write to it).
    await sql`create database crash_window`;
    await sql`alter database crash_window set client_connection_check_interval = '100ms'`;
    const url = cluster.url.replace(/\/postgres$/, '/crash_window');
    const crashEnv = { ...env(), DATABASE_URL: url };
    const db = postgres(url, { max: 1, onnotice: () => {} });
    const started: ApiProcess[] = [];
    try {
      const first = await startApiProcess(crashEnv);
      started.push(first);
      const post = async (path: string, body: unknown) => {
        const res = await call(first.url, 'POST', path, admin, body);
        expect(res.status, JSON.stringify(res.body)).toBe(201);
        return res.body;
      };
      const depot = await post('/v1/depots', { code: 'CRASH_D', name: 'Crash depot', country: 'US' });
      await post('/v1/minerals', { code: 'CWG', name: 'Crash gallium', unit: 'kg', minimumReserve: '0' });
      await post('/v1/lots', {
        mineralCode: 'CWG',
        depotId: depot.id,
        quantity: '1000',
        originCountry: 'AU',
      });
      const company = await post('/v1/companies', { name: 'Crash member', country: 'US' });
      await post(`/v1/companies/${company.id}/agreements`, {
        mineralCode: 'CWG',
        unitPrice: '12.5',
        maxOutstanding: '1000',
        replenishmentDays: 30,
        premiumPercent: '2.5',
      });
      const token = await signToken(auth, TEST_SECRET, {
        role: 'company',
        companyId: company.id as string,
        sub: 'crash-window',
      });
      // Installed by the test on its own database: every key named crash-window-* stalls for a minute
      // when its response is recorded (the migrations made the table when the process started).
      await db.unsafe(`
        create function crash_window_stall() returns trigger language plpgsql as $$
        begin perform pg_sleep(60); return new; end $$;
        create trigger crash_window_stall before update on idempotency_keys for each row
          when (old.state = 'running' and new.state = 'completed' and new.key like 'crash-window-%')
          execute function crash_window_stall();`);

      const op: Op = {
        kind: 'submit',
        key: `crash-window-${SEED}`,
        path: '/v1/draws',
        body: { mineralCode: 'CWG', quantity: '7.5' },
        token,
        attempts: 0,
      };
      const inFlight = send(first.url, op);
      const stalledBackend = async () =>
        (
          await db`select pid, query from pg_stat_activity
                   where datname = 'crash_window' and wait_event = 'PgSleep'`
        )[0];
      let sleeping = await stalledBackend();
      for (
        const until = Date.now() + 15_000;
        !sleeping && Date.now() < until;
        sleeping = await stalledBackend()
      ) {
        await sleep(50);
      }
      expect(sleeping?.query, 'the response is being recorded (stalled by the trigger)').toMatch(
        /update "idempotency_keys"/i,
      );
      const exited = new Promise<void>((resolve) => first.child.once('exit', () => resolve()));
      first.child.kill('SIGKILL');
      await exited;
      log(`injected: kill -9 (pid ${first.pid}) while its keyed draw was recording its response`);
      expect(await inFlight, 'no answer from a killed process').toBeNull();
      for (const until = Date.now() + 10_000; await stalledBackend(); ) {
        expect(Date.now(), 'the server ends the dead client’s backend').toBeLessThan(until);
        await sleep(50);
      }
      await db`drop trigger crash_window_stall on idempotency_keys`; // one injection, not one per attempt

      // Right after the kill: the change and its record committed together or not at all.
      const [after] = await db`
        select (select count(*)::int from draws) as draws,
               (select state from idempotency_keys where key = ${op.key}) as state`;
      log(`after the kill: ${after!.draws} draw(s), key ${after!.state ?? 'absent'}`);
      expect(
        after!.draws === 0 || after!.state === 'completed',
        'a change without its recorded response',
      ).toBe(true);

      // A restarted process; the client retries with the same key until it gets a final answer: 409
      // while the dead request's key is running (taken over after 15 s), then one fresh execution.
      const second = await startApiProcess(crashEnv);
      started.push(second);
      const seen: number[] = [];
      let final: Reply | null = null;
      for (const until = Date.now() + 40_000; !final; ) {
        expect(Date.now(), `a final answer to the retry (seen ${seen.join(', ')})`).toBeLessThan(until);
        const reply = await send(second.url, op);
        seen.push(reply?.status ?? 0);
        const inProgress =
          reply?.status === 409 && String(reply.body.type).endsWith('/idempotency-key-in-progress');
        if (reply && reply.status < 500 && !inProgress) final = reply;
        else await sleep(1_000);
      }
      log(`retry answered ${final.status} after ${seen.length} attempt(s) (${seen.join(', ')})`);
      expect(final.status, final.text).toBe(201);
      const replay = await send(second.url, op);
      expect(replay?.status).toBe(201);
      expect(replay?.headers.get('idempotent-replayed')).toBe('true');
      expect(replay?.body.id).toBe(final.body.id);

      // Exactly one effect: one draw (the answered one), one event, one hold.
      const draws = await db`select id from draws`;
      expect(draws.map((d) => d.id)).toEqual([final.body.id]);
      const [events] = await db`select count(*)::int as n from audit_events where action = 'draw.submitted'`;
      expect(events!.n).toBe(1);
      const [mineral] = await db`select reserved::text from minerals where code = 'CWG'`;
      expect(dec(mineral!.reserved).eq('7.5'), `reserved ${mineral!.reserved}`).toBe(true);
    } finally {
      for (const api of started) await api.stop();
      await db.end({ timeout: 2 }).catch(() => {});
    }
  }, 90_000);

  it('answers readiness within a second while the database hangs, and is ready again when it runs', async () => {
    // Refused connections (the restart above) fail fast by themselves; a database that accepts and then
    // never answers is what needs readiness's own deadline.
    const api = apis[0]!;
    const resume = cluster.freeze();
    log('injected: SIGSTOP to every process of the database cluster');
    const timings: number[] = [];
    try {
      for (let i = 0; i < 3; i++) {
        const t0 = Date.now();
        const res = await fetch(`${api.url}/health/ready`, { signal: AbortSignal.timeout(5_000) }).catch(
          () => null,
        );
        timings.push(Date.now() - t0);
        expect(res?.status, 'readiness answers while the database hangs').toBe(503);
        expect(res?.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      }
    } finally {
      resume();
    }
    log(`readiness while the database hung: 503 in ≤ ${Math.max(...timings)} ms; resumed`);
    // The server's deadline is 800 ms (1 s promised); the margin is for a loaded CI machine. Without a
    // deadline, readiness hangs as long as the database does.
    expect(Math.max(...timings)).toBeLessThan(1_500);
    const resumedAt = Date.now();
    for (;;) {
      const res = await fetch(`${api.url}/health/ready`, { signal: AbortSignal.timeout(5_000) }).catch(
        () => null,
      );
      if (res?.status === 200) break;
      expect(Date.now() - resumedAt, 'ready again within 10 s').toBeLessThan(10_000);
      await sleep(200);
    }
    expect(unexpectedExits).toEqual([]);
  }, 60_000);

  it('npm start: a SIGTERM to npm stops the server (npm signals its shell, which must be the server)', async () => {
    const npm = spawn('npm', ['start'], {
      cwd: ROOT,
      env: { ...process.env, ...env(), HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'warn', SEED_DEMO: 'false' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    npm.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    npm.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    const npmExited = new Promise<void>((resolve) => npm.once('exit', () => resolve()));
    const tree: number[] = [];
    try {
      let url: string | undefined;
      for (const until = Date.now() + 60_000; !url; ) {
        url = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(output)?.[1];
        expect(Date.now(), `npm start listens:\n${output}`).toBeLessThan(until);
        await sleep(100);
      }
      // Everything npm started, to clean up after a failure by pid.
      for (let i = 0, next = [npm.pid!]; next.length > 0 && i < 5; i++) {
        next = next.flatMap(childrenOf);
        tree.push(...next);
      }
      npm.kill('SIGTERM');
      await npmExited;
      const stoppedAt = Date.now();
      for (;;) {
        const res = await fetch(`${url}/health/live`, { signal: AbortSignal.timeout(2_000) }).catch(
          () => null,
        );
        if (!res) break;
        expect(Date.now() - stoppedAt, 'the server stops with npm').toBeLessThan(10_000);
        await sleep(200);
      }
      log(`npm start: SIGTERM to npm stopped the server (${tree.length} processes under npm)`);
    } finally {
      if (npm.exitCode === null) npm.kill('SIGKILL');
      // A server left running (the failure this test is about): ours if it still runs our entry point.
      for (const pid of tree) {
        try {
          if (readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('src/server.ts'))
            process.kill(pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    }
  }, 90_000);

  it('stops cleanly (exit 0) on SIGTERM during an export stalled by its reader and by the database, answering 503 problems meanwhile', async () => {
    const api = await startApiProcess(env());
    // The database side: the export waits for a lock the test holds, so its request stays in flight
    // however few events there are to send (a handful would fit in the socket buffers and finish).
    let release: () => void = () => {};
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    let locked: () => void = () => {};
    const lockTaken = new Promise<void>((resolve) => {
      locked = resolve;
    });
    const holder = sql
      .begin(async (tx) => {
        await tx`lock table audit_events in access exclusive mode`;
        locked();
        await released;
      })
      .catch(() => {});
    await lockTaken;
    const socket = connect(Number(new URL(api.url).port), '127.0.0.1');
    socket.on('error', () => {});
    const late = connect(Number(new URL(api.url).port), '127.0.0.1');
    late.on('error', () => {});
    try {
      socket.write(
        `GET /v1/audit-events/export?format=ndjson HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${auditor}\r\n\r\n`,
      );
      socket.pause(); // a reader that never reads
      for (const until = Date.now() + 10_000; ; ) {
        const [waiting] = await sql`select count(*)::int as n from pg_stat_activity
                                    where wait_event_type = 'Lock' and query ilike '%audit_events%'`;
        if (waiting!.n > 0) break;
        expect(Date.now(), 'the export waits in the database').toBeLessThan(until);
        await sleep(50);
      }
      // A request on its way when the signal comes (headers half sent: its connection is not idle, so
      // the drain does not close it) must be answered with a 503 problem, not served nor dropped.
      late.write('GET /v1/minerals HTTP/1.1\r\nHost: x\r\n');
      const lateAnswer = new Promise<string>((resolve) => {
        let data = '';
        late.on('data', (chunk) => {
          data += chunk.toString();
        });
        late.on('close', () => resolve(data));
        setTimeout(() => resolve(data), 4_000).unref();
      });
      const exited = new Promise<number | null>((resolve) => api.child.once('exit', (code) => resolve(code)));
      const t0 = Date.now();
      api.child.kill('SIGTERM');
      await sleep(300);
      late.write(`Authorization: Bearer ${auditor}\r\n\r\n`);
      const [head = ''] = (await lateAnswer).split('\r\n\r\n');
      log(`a request during the drain: ${head.split('\r\n')[0] || 'no answer'}`);
      expect(head).toMatch(/^HTTP\/1\.1 503/);
      expect(head.toLowerCase()).toContain('content-type: application/problem+json');
      expect(head.toLowerCase()).toMatch(/\r\nretry-after: [1-9]/);
      const code = await exited;
      log(`SIGTERM during a stalled export: exit ${code} after ${Date.now() - t0} ms`);
      expect(code).toBe(0);
    } finally {
      late.destroy();
      socket.destroy();
      release();
      await holder;
      await api.stop();
    }
  }, 60_000);
}
