import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { sql } from 'drizzle-orm';
import type { PgliteDatabase } from 'drizzle-orm/pglite';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import { drizzle as drizzlePostgres } from 'drizzle-orm/postgres-js';
import { migrate as migratePostgres } from 'drizzle-orm/postgres-js/migrator';
import postgres from 'postgres';
import { afterAll, expect, it } from 'vitest';
import { runMigrations } from '../../src/db/migrate.js';
import type { Db } from '../../src/db/types.js';
import { createTestDatabase, describeDb, onPostgres, type TestDatabase } from '../helpers/database.js';

const rowsOf = (result: unknown) =>
  (Array.isArray(result) ? result : (result as { rows: unknown[] }).rows) as Record<string, unknown>[];

/** The migrations up to and including `lastTag`, as a folder drizzle's migrator reads. */
function migrationsUpTo(lastTag: string): string {
  const source = join(process.cwd(), 'drizzle');
  const folder = mkdtempSync(join(tmpdir(), 'migrations-'));
  mkdirSync(join(folder, 'meta'));
  const journal = JSON.parse(readFileSync(join(source, 'meta', '_journal.json'), 'utf8'));
  const last = journal.entries.findIndex((e: { tag: string }) => e.tag === lastTag);
  if (last < 0) throw new Error(`no migration ${lastTag}`);
  journal.entries = journal.entries.slice(0, last + 1);
  writeFileSync(join(folder, 'meta', '_journal.json'), JSON.stringify(journal));
  for (const entry of journal.entries)
    copyFileSync(join(source, `${entry.tag}.sql`), join(folder, `${entry.tag}.sql`));
  return folder;
}

const ROUND = '00000000-0000-4000-8000-0000000000a1';
const EMPTY_ROUND = '00000000-0000-4000-8000-0000000000a2';
const COMPANY = '00000000-0000-4000-8000-0000000000c1';
const draw = (n: number) => `00000000-0000-4000-8000-00000000000${n}`;

/** Rounds decided before 0010, when their allocations were rows of their own. */
async function seedOldRounds(db: Db): Promise<void> {
  await db.execute(sql`insert into minerals (code, name, unit, on_hand, created_at, updated_at)
    values ('GA', 'Gallium', 't', '100', now(), now())`);
  await db.execute(sql`insert into companies (id, name, country, status, created_at, updated_at)
    values (${COMPANY}, 'Member', 'US', 'active', now(), now())`);
  for (const id of [ROUND, EMPTY_ROUND]) {
    await db.execute(sql`insert into allocation_rounds
        (id, mineral_code, level, supply, requested_total, allocated_total, floor_used, created_at)
      values (${id}, 'GA', 'emergency', '4', '7.5', '4', '0', now())`);
  }
  // Inserted out of order: the document follows the positions.
  await db.execute(sql`insert into allocation_round_allocations
      (round_id, position, draw_id, company_id, priority_class, requested, allocated)
    values (${ROUND}, 2, ${draw(3)}, ${COMPANY}, 'unrated', '2.000', '0.000'),
           (${ROUND}, 0, ${draw(1)}, ${COMPANY}, 'DX', '1.500', '1.500'),
           (${ROUND}, 1, ${draw(2)}, ${COMPANY}, 'DO', '4.000', '2.500')`);
}

/**
 * Migration 0010 moves each round's allocation rows into the round's `allocations` document: in
 * position order, in the form the API returns (normalised decimal text), and then drops the table.
 */
describeDb('migration 0010: a round keeps its allocations', () => {
  const cleanup: (() => Promise<void> | void)[] = [];
  afterAll(async () => {
    for (const step of cleanup.reverse()) await step();
  });

  it('moves every round’s allocations into its document, in order, as the API shows them', async () => {
    const folder = migrationsUpTo('0009_round_audit_storage');
    cleanup.push(() => rmSync(folder, { recursive: true, force: true }));
    let db: Db;
    let migrateRest: () => Promise<void>;
    if (onPostgres) {
      const database: TestDatabase = await createTestDatabase();
      cleanup.push(() => database.drop());
      const client = postgres(database.url, { max: 1, onnotice: () => {} });
      cleanup.push(() => client.end());
      db = drizzlePostgres(client) as unknown as Db;
      await migratePostgres(drizzlePostgres(client), { migrationsFolder: folder });
      migrateRest = () => runMigrations({ kind: 'postgres', url: database.url });
    } else {
      const client = new PGlite();
      cleanup.push(() => client.close());
      db = drizzlePglite(client) as unknown as Db;
      await migratePglite(db as unknown as PgliteDatabase, { migrationsFolder: folder });
      migrateRest = () => runMigrations({ kind: 'pglite', db });
    }
    expect(readdirSync(folder)).not.toContain('0010_round_allocations_document.sql');

    await seedOldRounds(db);
    await migrateRest();

    const rounds = rowsOf(
      await db.execute(sql`select id, allocations::text as allocations from allocation_rounds order by id`),
    );
    expect(rounds.map((r) => [r.id, JSON.parse(r.allocations as string)])).toEqual([
      [
        ROUND,
        [
          { drawId: draw(1), companyId: COMPANY, priorityClass: 'DX', requested: '1.5', allocated: '1.5' },
          { drawId: draw(2), companyId: COMPANY, priorityClass: 'DO', requested: '4', allocated: '2.5' },
          { drawId: draw(3), companyId: COMPANY, priorityClass: 'unrated', requested: '2', allocated: '0' },
        ],
      ],
      [EMPTY_ROUND, []],
    ]);
    const table = rowsOf(
      await db.execute(sql`select to_regclass('allocation_round_allocations')::text as name`),
    );
    expect(table[0]!.name).toBeNull();
    // A document that is not a list is refused.
    await expect(
      db.execute(sql`update allocation_rounds set allocations = '{}'::json where id = ${EMPTY_ROUND}`),
    ).rejects.toThrow();
  });
});
