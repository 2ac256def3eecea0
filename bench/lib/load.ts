import autocannon, { type Request, type Result } from 'autocannon';
import { median } from './stats.js';

/** One autocannon instance: a server and the requests its connections send. */
export interface LoadTarget {
  url: string;
  connections: number;
  requests: Request[];
}

/** One measurement window, summed over all targets that ran in it. */
export interface Window {
  seconds: number;
  requests: number;
  /** Completed requests per second, any status. */
  rps: number;
  /** Latency percentiles in ms. With several targets: p50 weighted by requests, p99 the worst target's. */
  p50: number;
  p99: number;
  status: Record<string, number>;
  errors: number;
  timeouts: number;
}

/** The figures a measurement reports: the median window, and the first and last windows for drift. */
export interface Measurement {
  /** The warm-up window (not part of any figure; counted only when totals matter, e.g. invariants). */
  warmup: Window | null;
  windows: Window[];
  rps: number;
  p50: number;
  p99: number;
  first: Window;
  last: Window;
  /** Per-status requests per second (median over windows), e.g. { '201': 850, '409': 0 }. */
  statusRate: Record<string, number>;
  errors: number;
}

const REQUEST_TIMEOUT_SECONDS = 30;

function runOne(target: LoadTarget, seconds: number): Promise<Result> {
  return Promise.resolve(
    autocannon({
      url: target.url,
      connections: target.connections,
      duration: seconds,
      timeout: REQUEST_TIMEOUT_SECONDS,
      requests: target.requests,
    }),
  );
}

async function window(targets: LoadTarget[], seconds: number): Promise<Window> {
  const results = await Promise.all(targets.map((t) => runOne(t, seconds)));
  const status: Record<string, number> = {};
  let requests = 0;
  let weighted = 0;
  let p99 = 0;
  let errors = 0;
  let timeouts = 0;
  for (const r of results) {
    requests += r.requests.total;
    weighted += r.latency.p50 * r.requests.total;
    p99 = Math.max(p99, r.latency.p99);
    errors += r.errors;
    timeouts += r.timeouts;
    for (const [code, { count }] of Object.entries(r.statusCodeStats))
      status[code] = (status[code] ?? 0) + count;
  }
  const duration = Math.max(...results.map((r) => r.duration)) || seconds;
  return {
    seconds: duration,
    requests,
    rps: requests / duration,
    p50: requests > 0 ? weighted / requests : Number.NaN,
    p99,
    status,
    errors,
    timeouts,
  };
}

/**
 * Warm-up, then `windows` back-to-back windows of `windowSeconds` against the same servers (a new
 * autocannon run per window, so each window has its own latency histogram). Bounded: the total time is
 * warmup + windows × windowSeconds plus the drain of in-flight requests.
 */
export async function measure(
  targets: LoadTarget[],
  plan: { warmupSeconds: number; windowSeconds: number; windows: number },
): Promise<Measurement> {
  const warmup = plan.warmupSeconds > 0 ? await window(targets, plan.warmupSeconds) : null;
  const windows: Window[] = [];
  for (let i = 0; i < plan.windows; i++) windows.push(await window(targets, plan.windowSeconds));
  const codes = new Set(windows.flatMap((w) => Object.keys(w.status)));
  const statusRate: Record<string, number> = {};
  for (const code of codes) statusRate[code] = median(windows.map((w) => (w.status[code] ?? 0) / w.seconds));
  return {
    warmup,
    windows,
    rps: median(windows.map((w) => w.rps)),
    p50: median(windows.map((w) => w.p50)),
    p99: median(windows.map((w) => w.p99)),
    first: windows[0]!,
    last: windows[windows.length - 1]!,
    statusRate,
    errors: windows.reduce((n, w) => n + w.errors + w.timeouts, 0),
  };
}

/** Rate of one status class in a window (e.g. accepted draws/s). */
export const rateOf = (w: Window, code: string): number => (w.status[code] ?? 0) / w.seconds;

/** Requests with `code` over the warm-up and every window. */
export const totalOf = (m: Measurement, code: string): number =>
  [...(m.warmup ? [m.warmup] : []), ...m.windows].reduce((n, w) => n + (w.status[code] ?? 0), 0);
