import postgres from 'postgres';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { postgresExporter } from '../../src/db/export.js';
import { runMigrations } from '../../src/db/migrate.js';
import { eventLinesInSeqOrder } from '../../src/modules/audit/audit.repository.js';
import { createTestDatabase, describeDb, type TestDatabase } from '../helpers/database.js';

/**
 * The exports' COPY transport against the driver itself. postgres.js 3.4.9 pauses the socket when a
 * COPY stream's buffer is full and, if CopyDone came in the same chunk, never resumes it: the next
 * query on that connection hangs for good (porsager/postgres#499). Our patch resumes it; a slow reader
 * over many COPYs on a one-connection pool is what hit it.
 */
describeDb('COPY streams on PostgreSQL', () => {
  let database: TestDatabase;
  let sql: postgres.Sql;

  beforeAll(async () => {
    database = await createTestDatabase();
    sql = postgres(database.url, { max: 1, onnotice: () => {} });
  });
  afterAll(async () => {
    await sql?.end({ timeout: 5 });
    await database?.drop();
  });

  it('leave the connection usable after a slowly read COPY, every time', async () => {
    for (let round = 0; round < 30; round++) {
      const stream =
        await sql`copy (select repeat('x', 200) || g from generate_series(1, 3000) g) to stdout`.readable();
      let lines = 0;
      for await (const chunk of stream) {
        for (let i = (chunk as Buffer).indexOf(10); i !== -1; i = (chunk as Buffer).indexOf(10, i + 1))
          lines++;
        await new Promise((resolve) => setImmediate(resolve)); // a reader slower than the socket
      }
      expect(lines).toBe(3000);
      const [row] = await sql`select ${round}::int as round`;
      expect(row!.round).toBe(round);
    }
  });

  it('export every line of a range in order, two exports sharing one COPY slot', async () => {
    // The real table (migrations), filled without the service: the export's line query only reads columns.
    await runMigrations({ kind: 'postgres', url: database.url });
    await sql.unsafe(`
      insert into audit_events
      select g, timestamptz '2026-01-01T00:00:00Z' + g * interval '1 ms', '{"role":"admin"}', 'depot.created',
             'depot', 'd-' || g, json_build_object('n', g, 'pad', repeat('y', 300)), 'r', repeat('0', 64), repeat('1', 64)
      from generate_series(1, 23456) g`);
    // Two exports at once through one process-wide COPY slot: they take turns, each complete and in order.
    const exporter = postgresExporter(sql, 1);
    const download = async (range: { fromSeq: number; toSeq: number }) => {
      const chunks: Buffer[] = [];
      for await (const chunk of exporter.lines('slice', eventLinesInSeqOrder(range)).chunks) {
        chunks.push(Buffer.from(chunk));
      }
      const lines = Buffer.concat(chunks).toString('utf8').split('\n');
      expect(lines.pop()).toBe('');
      return lines.map((line) => (JSON.parse(line) as { seq: number }).seq);
    };
    const [whole, slice] = await Promise.all([
      download({ fromSeq: 2, toSeq: 23450 }),
      download({ fromSeq: 7000, toSeq: 17001 }),
    ]);
    expect(whole).toEqual(Array.from({ length: 23449 }, (_, i) => i + 2));
    expect(slice).toEqual(Array.from({ length: 10002 }, (_, i) => i + 7000));
    const [row] = await sql`select 1 as one`;
    expect(row!.one).toBe(1);
  });
});
