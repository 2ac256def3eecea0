import { createHash } from 'node:crypto';
import type { Writable } from 'node:stream';
import { signToken } from '../../src/http/auth.js';
import {
  type AuditEventBody,
  canonicalEvent,
  chainHash,
  GENESIS_HASH,
  hashCanonical,
} from '../../src/modules/audit/audit.chain.js';
import { BENCH_AUTH, BENCH_SECRET, DATA_SEED, type Plan, POOL_MAX } from '../lib/config.js';
import { type BenchDatabase, withBenchDatabase } from '../lib/pg.js';
import { sampleRss, startServer } from '../lib/processes.js';
import { rps, type Section, section } from '../lib/report.js';
import { fmt, median, ratio, seededRandom } from '../lib/stats.js';

/**
 * Scenario 3: the audit log at scale. Bulk-loads N valid chained events with COPY (hashes computed with
 * the service's own `canonicalEvent`, the head set to the last one), then measures the NDJSON export in
 * rows/s against `COPY (SELECT …) TO STDOUT` of the same rows, the server's RSS growth while exporting,
 * and chain verification in events/s against hashing the very same bytes in a tight loop.
 */
const BASE_TIME = Date.parse('2026-01-05T08:00:00.000Z');
const MINERALS = Array.from({ length: 20 }, (_, i) => `BM${i + 1}`);
const ACTIONS = ['draw.submitted', 'draw.approved', 'draw.fulfilled', 'lot.received', 'obligation.delivery'];
const GENERATE_BATCH = 10_000;
const EXPORT_ROUNDS = 3;

const hex = (random: () => number, n: number) =>
  Array.from({ length: n }, () => Math.floor(random() * 16).toString(16)).join('');
const uuid = (random: () => number) =>
  `${hex(random, 8)}-${hex(random, 4)}-4${hex(random, 3)}-a${hex(random, 3)}-${hex(random, 12)}`;

/** Event `seq` of the synthetic log: deterministic in (DATA_SEED, seq), shaped like the service's events. */
function eventBody(seq: number): AuditEventBody {
  const random = seededRandom(DATA_SEED ^ (seq * 2654435761));
  const companyId = uuid(random);
  const at = new Date(BASE_TIME + seq * 37).toISOString();
  const quantity = (1 + Math.floor(random() * 99_999) / 1000).toFixed(3);
  return {
    seq,
    occurredAt: at,
    actor: { sub: `bench-company-${companyId}`, role: 'company', companyId },
    action: ACTIONS[seq % ACTIONS.length]!,
    entityType: 'draw',
    entityId: uuid(random),
    data: {
      id: uuid(random),
      companyId,
      mineralCode: MINERALS[Math.floor(random() * MINERALS.length)]!,
      quantity,
      unitPrice: (100 + Math.floor(random() * 9000) / 10).toFixed(1),
      currency: 'USD',
      amount: (Number(quantity) * 500).toFixed(2),
      status: 'pending',
      depotId: null,
      note: null,
      reason: null,
      createdAt: at,
      updatedAt: at,
      decidedAt: null,
      fulfilledAt: null,
      obligationId: null,
      allocations: [],
    },
    requestId: uuid(random),
  };
}

/** COPY text format: backslash, tab, newline and carriage return escaped. */
const copyText = (value: string) =>
  value.replace(/[\\\t\n\r]/g, (c) => ({ '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' })[c]!);

function write(stream: Writable, chunk: string): Promise<void> {
  return stream.write(chunk)
    ? Promise.resolve()
    : new Promise((resolve) => stream.once('drain', () => resolve()));
}

/** Loads events 1..n through COPY and points the chain head at the last; returns every hash (for the hash loop). */
async function loadChain(db: BenchDatabase, n: number): Promise<{ hashes: string[]; seconds: number }> {
  const started = performance.now();
  const hashes: string[] = new Array(n);
  const stream = await db.sql`
    copy audit_events (seq, occurred_at, actor, action, entity_type, entity_id, data, request_id, prev_hash, hash)
    from stdin`.writable();
  const finished = new Promise<void>((resolve, reject) => {
    stream.once('finish', () => resolve());
    stream.once('error', reject);
  });
  let prev = GENESIS_HASH;
  for (let from = 1; from <= n; from += GENERATE_BATCH) {
    const lines: string[] = [];
    for (let seq = from; seq < Math.min(from + GENERATE_BATCH, n + 1); seq++) {
      const body = eventBody(seq);
      // actor and data as their JCS text, exactly as the service's appender stores them.
      const canonical = canonicalEvent(body);
      const hash = hashCanonical(prev, canonical.body);
      hashes[seq - 1] = hash;
      lines.push(
        [
          String(seq),
          body.occurredAt,
          copyText(canonical.actor),
          body.action,
          body.entityType,
          body.entityId,
          copyText(canonical.data ?? 'null'),
          body.requestId,
          prev,
          hash,
        ].join('\t'),
      );
      prev = hash;
    }
    await write(stream, `${lines.join('\n')}\n`);
  }
  stream.end();
  await finished;
  await db.sql`update audit_head set seq = ${n}, hash = ${prev} where id = 1`;
  await db.sql.unsafe('vacuum analyze audit_events');
  return { hashes, seconds: (performance.now() - started) / 1000 };
}

/** Reads a response body to the end, counting bytes and lines, without keeping it. */
async function drain(body: ReadableStream<Uint8Array>): Promise<{ bytes: number; lines: number }> {
  let bytes = 0;
  let lines = 0;
  for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) {
    bytes += chunk.length;
    for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) lines++;
  }
  return { bytes, lines };
}

export async function auditScenario(plan: Plan): Promise<Section> {
  const n = plan.auditEvents;
  const label =
    n === 1_000_000 ? '1,000,000 events' : `${fmt(n)} events (scaled from 1,000,000 in quick mode)`;
  const s = section(`Audit log at scale: ${label}`);
  await withBenchDatabase('audit', async (db) => {
    const load = await loadChain(db, n);
    s.notes.push(
      `loaded ${fmt(n)} chained events with COPY in ${fmt(load.seconds, 1)} s (hashes by canonicalEvent + SHA-256 in Node)`,
    );

    const server = await startServer('src/server.ts', {
      DATABASE_URL: db.url,
      AUTH_JWT_SECRET: BENCH_SECRET,
      DB_POOL_MAX: String(POOL_MAX),
    });
    try {
      const auditor = await signToken(BENCH_AUTH, BENCH_SECRET, { role: 'auditor', sub: 'bench-auditor' });
      const headers = { authorization: `Bearer ${auditor}` };
      // Without a token an existing route answers 401 and a missing one 404, without doing any work.
      const probe = await fetch(`${server.url}/v1/audit-events/export`);
      const verifyProbe = await fetch(`${server.url}/v1/audit-events/verify`);
      await Promise.all([probe.arrayBuffer(), verifyProbe.arrayBuffer()]);
      if (probe.status === 404 || verifyProbe.status === 404) {
        s.notes.push(
          `GET /v1/audit-events/export or /verify answers 404 in this build: export/verify measurements SKIPPED (the data load above is ready for them)`,
        );
        return;
      }

      // Export through the API vs COPY … TO STDOUT of the same rows, alternating, EXPORT_ROUNDS times
      // each: one COPY alone varied by ±20% from run to run, so the ratio uses medians.
      const rss = sampleRss(server.pid);
      const exportRuns: number[] = [];
      const copyRuns: number[] = [];
      let exported = { bytes: 0, lines: 0 };
      let copyBytes = 0;
      let copyLines = 0;
      for (let round = 0; round < EXPORT_ROUNDS; round++) {
        let t0 = performance.now();
        const res = await fetch(`${server.url}/v1/audit-events/export?format=ndjson`, { headers });
        if (res.status !== 200 || !res.body) throw new Error(`export answered ${res.status}`);
        exported = await drain(res.body);
        exportRuns.push((performance.now() - t0) / 1000);
        if (exported.lines !== n)
          s.notes.push(`WARNING: export returned ${fmt(exported.lines)} lines, expected ${fmt(n)}`);

        t0 = performance.now();
        const copy = await db.sql`
          copy (select seq, occurred_at, actor, action, entity_type, entity_id, data, request_id, prev_hash, hash
                from audit_events order by seq) to stdout`.readable();
        copyBytes = 0;
        copyLines = 0;
        for await (const chunk of copy as AsyncIterable<Buffer>) {
          copyBytes += chunk.length;
          for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) copyLines++;
        }
        copyRuns.push((performance.now() - t0) / 1000);
      }
      const exportMemory = rss.stop();
      const exportSeconds = median(exportRuns);
      const copySeconds = median(copyRuns);

      // Verification through the API vs SHA-256 of the same bytes (and vs chainHash) in a tight loop.
      const verifyRss = sampleRss(server.pid);
      const t0 = performance.now();
      const verified = await fetch(`${server.url}/v1/audit-events/verify`, { headers });
      const report = (await verified.json()) as { valid?: boolean; eventsChecked?: number };
      const verifySeconds = (performance.now() - t0) / 1000;
      const verifyMemory = verifyRss.stop();
      if (report.valid !== true || report.eventsChecked !== n) {
        s.notes.push(`WARNING: verify reported ${JSON.stringify(report)}`);
      }

      let shaSeconds = 0;
      let chainSeconds = 0;
      for (let from = 1; from <= n; from += GENERATE_BATCH) {
        const bodies: AuditEventBody[] = [];
        const inputs: string[] = [];
        for (let seq = from; seq < Math.min(from + GENERATE_BATCH, n + 1); seq++) {
          const body = eventBody(seq);
          bodies.push(body);
          const prev = seq === 1 ? GENESIS_HASH : load.hashes[seq - 2]!;
          inputs.push(`${prev}\n${canonicalEvent(body).body}`);
        }
        let t = performance.now();
        for (const input of inputs) createHash('sha256').update(input, 'utf8').digest('hex');
        shaSeconds += (performance.now() - t) / 1000;
        t = performance.now();
        for (let i = 0; i < bodies.length; i++) {
          const seq = from + i;
          chainHash(seq === 1 ? GENESIS_HASH : load.hashes[seq - 2]!, bodies[i]!);
        }
        chainSeconds += (performance.now() - t) / 1000;
      }

      const exportRate = n / exportSeconds;
      const copyRate = copyLines / copySeconds;
      const verifyRate = n / verifySeconds;
      const shaRate = n / shaSeconds;
      const chainRate = n / chainSeconds;
      const mib = (kb: number) => `${fmt(kb / 1024, 1)} MiB`;
      s.rows.push({
        name: 'NDJSON export (GET /v1/audit-events/export)',
        value: rps(exportRate, 'rows/s'),
        baseline: `COPY (SELECT …) TO STDOUT ${rps(copyRate, 'rows/s')}`,
        ratio: ratio(exportRate, copyRate),
      });
      s.rows.push({
        name: 'chain verify (GET /v1/audit-events/verify)',
        value: rps(verifyRate, 'events/s'),
        baseline: `SHA-256 of the same bytes ${rps(shaRate, 'events/s')}`,
        ratio: ratio(verifyRate, shaRate),
      });
      s.rows.push({
        name: 'chain verify vs chainHash loop',
        value: rps(verifyRate, 'events/s'),
        baseline: `JCS + SHA-256 (chainHash) ${rps(chainRate, 'events/s')}`,
        ratio: ratio(verifyRate, chainRate),
      });
      s.notes.push(
        `export: ${fmt(exported.bytes / 2 ** 20)} MiB in ${exportRuns.map((x) => fmt(x, 2)).join(' / ')} s; COPY: ${fmt(copyBytes / 2 ** 20)} MiB in ${copyRuns.map((x) => fmt(x, 2)).join(' / ')} s (medians used)`,
      );
      s.notes.push(
        `server RSS during the ${EXPORT_ROUNDS} exports: ${mib(exportMemory.startKb)} → peak ${mib(exportMemory.peakKb)} (growth ${mib(exportMemory.peakKb - exportMemory.startKb)})`,
      );
      s.notes.push(
        `server RSS during verify: ${mib(verifyMemory.startKb)} → peak ${mib(verifyMemory.peakKb)} (growth ${mib(verifyMemory.peakKb - verifyMemory.startKb)}); verify took ${fmt(verifySeconds, 1)} s, valid=${report.valid}`,
      );
      s.data = {
        events: n,
        loadSeconds: load.seconds,
        export: { seconds: exportSeconds, runs: exportRuns, ...exported, memory: exportMemory },
        copy: { seconds: copySeconds, runs: copyRuns, bytes: copyBytes, lines: copyLines },
        verify: { seconds: verifySeconds, report, memory: verifyMemory },
        hashLoop: { shaSeconds, chainSeconds },
      };
    } finally {
      await server.stop();
    }
  });
  return s;
}
