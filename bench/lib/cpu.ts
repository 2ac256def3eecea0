import { readdirSync, readFileSync } from 'node:fs';
import { cpus } from 'node:os';

/**
 * Where the CPU went during a measurement, from /proc: the API processes, every PostgreSQL process, this
 * process (the load generator), and everything else on the machine (other users of the same cores). In
 * cores: 1.0 = one core busy for the whole measurement.
 */
const TICKS_PER_SECOND = 100;

interface Snapshot {
  at: number;
  machineBusy: number;
  api: number;
  postgres: number;
  self: number;
}

export interface CpuUse {
  api: number;
  postgres: number;
  loadGenerator: number;
  other: number;
  idle: number;
}

export function processTicks(pid: string | number): { comm: string; ticks: number } | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const close = stat.lastIndexOf(')');
    const comm = stat.slice(stat.indexOf('(') + 1, close);
    const fields = stat.slice(close + 2).split(' ');
    // After the comm: state is field 3 of stat(5), utime 14 and stime 15, i.e. indexes 11 and 12 here.
    return { comm, ticks: Number(fields[11]) + Number(fields[12]) };
  } catch {
    return null;
  }
}

function snapshot(apiPids: number[]): Snapshot {
  const cpuLine = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const idle = (cpuLine[3] ?? 0) + (cpuLine[4] ?? 0);
  const total = cpuLine.reduce((a, b) => a + b, 0);
  let postgres = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const p = processTicks(entry);
    if (p?.comm.startsWith('postgres')) postgres += p.ticks;
  }
  const api = apiPids.reduce((n, pid) => n + (processTicks(pid)?.ticks ?? 0), 0);
  const self = process.cpuUsage();
  return {
    at: performance.now(),
    machineBusy: total - idle,
    api,
    postgres,
    self: ((self.user + self.system) / 1e6) * TICKS_PER_SECOND,
  };
}

export function cpuMeter(apiPids: number[]) {
  const start = snapshot(apiPids);
  return {
    stop(): CpuUse {
      const end = snapshot(apiPids);
      const seconds = (end.at - start.at) / 1000;
      const cores = (ticks: number) => ticks / TICKS_PER_SECOND / seconds;
      const api = cores(end.api - start.api);
      const postgres = cores(end.postgres - start.postgres);
      const loadGenerator = cores(end.self - start.self);
      const busy = cores(end.machineBusy - start.machineBusy);
      return {
        api,
        postgres,
        loadGenerator,
        other: Math.max(0, busy - api - postgres - loadGenerator),
        idle: Math.max(0, cpus().length - busy),
      };
    },
  };
}

export const describeCpu = (u: CpuUse) =>
  `CPU (cores of ${cpus().length}): API ${u.api.toFixed(2)}, PostgreSQL ${u.postgres.toFixed(2)}, load generator ${u.loadGenerator.toFixed(2)}, other ${u.other.toFixed(2)}, idle ${u.idle.toFixed(2)}`;

/** Cores busy on the whole machine over `ms` (before a scenario: what else is running). */
export async function machineBusy(ms = 1000): Promise<number> {
  const read = () => {
    const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
    const total = f.reduce((a, b) => a + b, 0);
    return { busy: total - (f[3] ?? 0) - (f[4] ?? 0), at: performance.now() };
  };
  const a = read();
  await new Promise((resolve) => setTimeout(resolve, ms));
  const b = read();
  return (b.busy - a.busy) / TICKS_PER_SECOND / ((b.at - a.at) / 1000);
}

/**
 * Waits, at most `maxSeconds`, until the machine is quiet (under `threshold` cores busy over a second)
 * and returns the last reading: benchmarks on a machine shared with test runs measure the neighbours.
 */
export async function waitForQuiet(maxSeconds: number, threshold = 0.3): Promise<number> {
  const deadline = performance.now() + maxSeconds * 1000;
  let busy = await machineBusy();
  while (busy > threshold && performance.now() < deadline) busy = await machineBusy(2000);
  return busy;
}
