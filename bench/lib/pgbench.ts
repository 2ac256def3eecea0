import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { percentile } from './stats.js';

const run = promisify(execFile);
export const PGBENCH_SCRIPT = new URL('../pgbench/draw-submit.sql', import.meta.url).pathname;

export interface PgbenchResult {
  tps: number;
  transactions: number;
  failed: number;
  p50: number;
  p99: number;
  clients: number;
}

/** Whether pgbench is installed (the scenario is skipped, saying so, when it is not). */
export async function pgbenchVersion(): Promise<string | null> {
  try {
    const { stdout } = await run(process.env.PGBENCH ?? 'pgbench', ['--version']);
    return stdout.trim();
  } catch {
    return null;
  }
}

/**
 * Runs the draw script with pgbench (prepared statements, `clients` connections, 2 threads) for
 * `seconds` and reads tps from its summary and latency percentiles from its per-transaction log.
 */
export async function runPgbench(options: {
  url: string;
  clients: number;
  seconds: number;
  minerals: number;
  companies: number;
}): Promise<PgbenchResult> {
  const url = new URL(options.url);
  const logDir = mkdtempSync(join(tmpdir(), 'bench-pgbench-'));
  try {
    const args = [
      '-n',
      '-M',
      'prepared',
      '-c',
      String(options.clients),
      '-j',
      '2',
      '-T',
      String(options.seconds),
      '-D',
      `minerals=${options.minerals}`,
      '-D',
      `companies=${options.companies}`,
      '-f',
      PGBENCH_SCRIPT,
      '--log',
      `--log-prefix=${join(logDir, 'tx')}`,
      '-h',
      url.hostname,
      '-p',
      url.port || '5432',
      '-U',
      decodeURIComponent(url.username || 'postgres'),
      url.pathname.slice(1),
    ];
    const { stdout } = await run(process.env.PGBENCH ?? 'pgbench', args, {
      timeout: (options.seconds + 60) * 1000,
      maxBuffer: 4 * 1024 * 1024,
    });
    const tps = Number(/tps = ([\d.]+) \(without initial connection time\)/.exec(stdout)?.[1] ?? Number.NaN);
    const transactions = Number(/number of transactions actually processed: (\d+)/.exec(stdout)?.[1] ?? 0);
    const failed = Number(/number of failed transactions: (\d+)/.exec(stdout)?.[1] ?? 0);
    const latencies: number[] = [];
    for (const file of readdirSync(logDir)) {
      for (const line of readFileSync(join(logDir, file), 'utf8').split('\n')) {
        const fields = line.split(' ');
        if (fields.length >= 6) latencies.push(Number(fields[2]) / 1000);
      }
    }
    return {
      tps,
      transactions,
      failed,
      p50: percentile(latencies, 50),
      p99: percentile(latencies, 99),
      clients: options.clients,
    };
  } finally {
    rmSync(logDir, { recursive: true, force: true });
  }
}
