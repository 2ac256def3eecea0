import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { type Mode, planFor, RESULTS_DIR } from './lib/config.js';
import { waitForQuiet } from './lib/cpu.js';
import { dropAllBenchDatabases, serverInfo } from './lib/pg.js';
import { printSection, type Section } from './lib/report.js';
import { auditScenario } from './scenarios/audit.js';
import { drawScenario } from './scenarios/draws.js';
import { driverScenario } from './scenarios/driver.js';
import { embeddedScenario } from './scenarios/embedded.js';
import { marketScenario } from './scenarios/markets.js';
import { type ProfileTarget, profileScenario, READ_PATHS } from './scenarios/profile.js';
import { readScenario } from './scenarios/reads.js';
import { roundsScenario } from './scenarios/rounds.js';
import { scaleOutScenario } from './scenarios/scaleout.js';

/**
 * `npm run bench` (quick: ~15–20 s per HTTP measurement) or `npm run bench -- --full` (60 s per HTTP
 * measurement, 1,000,000 audit events). `--only=driver,reads,markets,draws-hot,draws-spread,audit,
 * embedded,scale-out,rounds` runs a subset; `--profile` (not part of the default run) profiles the server during the
 * contended draw scenario. See BENCHMARKS.md.
 */
const SCENARIOS = [
  'driver',
  'reads',
  'markets',
  'draws-hot',
  'draws-spread',
  'audit',
  'embedded',
  'scale-out',
  'rounds',
] as const;
type Scenario = (typeof SCENARIOS)[number] | 'profile';

function parseArgs(argv: string[]): {
  mode: Mode;
  only: Scenario[];
  quietSeconds: number;
  profileTarget: ProfileTarget;
} {
  let mode: Mode = 'quick';
  let profileTarget: ProfileTarget = 'draws';
  let quietSeconds = 0;
  let only: Scenario[] = [...SCENARIOS];
  for (const arg of argv) {
    if (arg === '--full') mode = 'full';
    else if (arg === '--quick') mode = 'quick';
    else if (arg === '--profile' || arg.startsWith('--profile=')) {
      only = ['profile'];
      const target = arg.slice('--profile='.length);
      profileTarget = target in READ_PATHS ? (target as ProfileTarget) : 'draws';
    } else if (arg.startsWith('--wait-quiet=')) quietSeconds = Number(arg.slice('--wait-quiet='.length));
    else if (arg.startsWith('--only=')) {
      const names = arg.slice('--only='.length).split(',');
      for (const name of names) {
        if (!(SCENARIOS as readonly string[]).includes(name) && name !== 'profile') {
          throw new Error(`unknown scenario ${name}; one of ${SCENARIOS.join(', ')}, profile`);
        }
      }
      only = names as Scenario[];
    } else
      throw new Error(`unknown argument ${arg} (use --full, --only=a,b, --profile or --wait-quiet=SECONDS)`);
  }
  return { mode, only, quietSeconds, profileTarget };
}

async function main(): Promise<void> {
  const { mode, only, quietSeconds, profileTarget } = parseArgs(process.argv.slice(2));
  const plan = planFor(mode);
  const started = Date.now();
  const out = (line: string) => process.stdout.write(`${line}\n`);
  const pg = await serverInfo();
  const cpu = cpus();
  out(`Strategic Mineral Reserve API benchmarks — ${mode} mode (${only.join(', ')})`);
  out(
    `machine: ${cpu.length} × ${cpu[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB; node ${process.version}; ${pg.version?.split(',')[0]}`,
  );
  out(
    'load generator (autocannon) runs in this process on the same 2 cores as the server and PostgreSQL: ' +
      'every figure is a whole-machine figure',
  );
  const sections: Section[] = [];
  // The PostgreSQL HTTP draw rates, shared with the embedded scenario (which measures them if missing).
  const postgresRates: Partial<Record<'hot' | 'spread', number>> = {};
  const draws = async (placement: 'hot' | 'spread') => {
    const s = await drawScenario(plan, placement);
    postgresRates[placement] = (s.data.http as { statusRate: Record<string, number> }).statusRate['201'] ?? 0;
    return [s];
  };
  const runners: Record<Scenario, () => Promise<Section[]>> = {
    driver: async () => [await driverScenario(plan)],
    reads: async () => [await readScenario(plan)],
    markets: async () => [await marketScenario(plan)],
    'draws-hot': () => draws('hot'),
    'draws-spread': () => draws('spread'),
    audit: async () => [await auditScenario(plan)],
    embedded: async () => [await embeddedScenario(plan, postgresRates)],
    'scale-out': async () => [await scaleOutScenario(plan)],
    rounds: async () => [await roundsScenario(plan)],
    profile: async () => [await profileScenario(plan, profileTarget)],
  };
  const failed: string[] = [];
  for (const name of only) {
    const t0 = Date.now();
    // Other processes on these 2 cores skew every figure: say how busy the machine was before each run.
    const busy = await waitForQuiet(quietSeconds);
    out(
      `\n[${name}] running… (machine busy before start: ${busy.toFixed(2)} cores${busy > 0.3 ? ' — NOT QUIET, figures are skewed' : ''})`,
    );
    try {
      for (const s of await runners[name]()) {
        s.data.elapsedSeconds = (Date.now() - t0) / 1000;
        s.data.machineBusyBefore = busy;
        sections.push(s);
        printSection(s, out);
      }
      out(`[${name}] ${((Date.now() - t0) / 1000).toFixed(0)} s`);
    } catch (error) {
      // One failing scenario (e.g. a server that cannot start) must not throw away the others' figures.
      failed.push(name);
      out(
        `[${name}] FAILED after ${((Date.now() - t0) / 1000).toFixed(0)} s: ${error instanceof Error ? error.message : String(error)}`,
      );
      await dropAllBenchDatabases();
    }
  }
  const elapsed = (Date.now() - started) / 1000;
  out(`\ntotal ${elapsed.toFixed(0)} s`);
  mkdirSync(RESULTS_DIR, { recursive: true });
  const file = join(RESULTS_DIR, `${new Date().toISOString().replace(/[:.]/g, '-')}-${mode}.json`);
  writeFileSync(
    file,
    JSON.stringify({ mode, plan, postgres: pg, node: process.version, elapsed, sections }, null, 2),
  );
  out(`results: ${file}`);
  if (failed.length > 0) {
    out(`FAILED scenarios: ${failed.join(', ')}`);
    process.exitCode = 1;
  }
}

let interrupted = false;
process.on('SIGINT', () => {
  if (interrupted) process.exit(130);
  interrupted = true;
  process.stderr.write('\ninterrupted: dropping benchmark databases…\n');
  dropAllBenchDatabases().finally(() => process.exit(130));
});

main().then(
  () => dropAllBenchDatabases(),
  async (error) => {
    process.stderr.write(
      `benchmark failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    await dropAllBenchDatabases();
    process.exitCode = 1;
  },
);
