import { mkdirSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { BENCH_SECRET, type Plan, POOL_MAX, READ_CONNECTIONS, RESULTS_DIR } from '../lib/config.js';
import { summarizeProfile } from '../lib/cpuprofile.js';
import { type Measurement, measure, rateOf } from '../lib/load.js';
import { withBenchDatabase } from '../lib/pg.js';
import { startServer } from '../lib/processes.js';
import { drift, type Section, section } from '../lib/report.js';
import { READ_SET, seedDataset } from '../lib/seed.js';
import { httpDraws } from './draws.js';

export type ProfileTarget = 'draws' | keyof typeof READ_PATHS;

/** The reads `--profile=<name>` can profile (`reads` is the draws page); `:id` is a seeded draw. */
export const READ_PATHS = {
  reads: '/v1/draws?limit=50',
  inventory: '/v1/inventory',
  draw: '/v1/draws/:id',
} as const;

/** One read under READ_CONNECTIONS connections, on a server started with `nodeArgs`. */
async function readLoad(plan: Plan, path: string, nodeArgs: string[]): Promise<Measurement> {
  return withBenchDatabase('profile_reads', async (db) => {
    const api = await startServer(
      'src/server.ts',
      { DATABASE_URL: db.url, AUTH_JWT_SECRET: BENCH_SECRET, DB_POOL_MAX: String(POOL_MAX) },
      nodeArgs,
    );
    try {
      const data = await seedDataset(api.url, READ_SET);
      const headers = { authorization: `Bearer ${data.admin}` };
      if (path.includes(':id')) {
        const page = (await (await fetch(`${api.url}/v1/draws?limit=1`, { headers })).json()) as {
          data: { id: string }[];
        };
        path = path.replace(':id', page.data[0]?.id ?? '');
      }
      return await measure(
        [
          {
            url: api.url,
            connections: READ_CONNECTIONS,
            requests: [{ method: 'GET', path, headers }],
          },
        ],
        plan,
      );
    } finally {
      await api.stop();
    }
  });
}

/**
 * `npm run bench -- --profile[=draws|reads]`: the contended draw scenario (one hot mineral) or the
 * draws page read, with the API process under `node --cpu-prof`, then a self-time summary of the
 * profile. Not part of the default run (the profiler itself costs throughput).
 */
export async function profileScenario(plan: Plan, target: ProfileTarget = 'draws'): Promise<Section> {
  const s = section(
    `CPU profile of the API process: ${target === 'draws' ? 'contended draws (one hot mineral)' : `GET ${READ_PATHS[target]}`}`,
  );
  const dir = join(RESULTS_DIR, 'profiles');
  mkdirSync(dir, { recursive: true });
  const started = Date.now();
  const nodeArgs = ['--cpu-prof', `--cpu-prof-dir=${dir}`];
  if (target === 'draws') {
    const run = await httpDraws(plan, 'hot', { nodeArgs, label: 'profile' });
    s.notes.push(
      `throughput under the profiler: ${drift(run.measurement, (w) => rateOf(w, '201'), 'draws/s')}`,
    );
  } else {
    s.notes.push(
      `throughput under the profiler: ${drift(await readLoad(plan, READ_PATHS[target], nodeArgs))}`,
    );
  }
  // tsx's loader runs in a worker thread that writes a profile of its own; the main thread's (thread
  // id 0 in the file name) is the server.
  const file = readdirSync(dir)
    .filter((f) => /\.0\.\d+\.cpuprofile$/.test(f))
    .map((f) => join(dir, f))
    .filter((f) => statSync(f).mtimeMs >= started)
    .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs)[0];
  if (!file) {
    s.notes.push('no .cpuprofile was written (did the server exit cleanly?)');
    return s;
  }
  const summary = summarizeProfile(file, 25);
  s.notes.push(`profile: ${file} (${(summary.totalMs / 1000).toFixed(1)} s sampled)`);
  s.notes.push('self time by package / category:');
  for (const p of summary.packages.slice(0, 12))
    s.notes.push(`  ${(p.share * 100).toFixed(1).padStart(5)}%  ${p.name}`);
  s.notes.push('top functions by self time:');
  for (const f of summary.functions) {
    s.notes.push(`  ${(f.share * 100).toFixed(1).padStart(5)}%  ${f.name}  ${f.where}`);
  }
  s.data = { file, summary };
  return s;
}
