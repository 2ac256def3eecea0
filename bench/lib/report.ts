import type { Measurement, Window } from './load.js';
import { fmt } from './stats.js';

/** One printed line: a figure, the baseline it is measured against in the same run, and their ratio. */
export interface Row {
  name: string;
  value: string;
  baseline: string;
  ratio: number | null;
}

export interface Section {
  title: string;
  rows: Row[];
  notes: string[];
  /** Raw figures, written to bench/results/*.json. */
  data: Record<string, unknown>;
}

export const section = (title: string): Section => ({ title, rows: [], notes: [], data: {} });

export const rps = (value: number, unit = 'req/s') => `${fmt(value)} ${unit}`;
export const ms = (value: number) => `${fmt(value, value < 10 ? 2 : 1)} ms`;

/** "1,234 req/s, p50 1.2 ms, p99 9.8 ms" for a window or a measurement. */
export const describe = (w: { p50: number; p99: number }, rate: number, unit = 'req/s') =>
  `${rps(rate, unit)} (p50 ${ms(w.p50)}, p99 ${ms(w.p99)})`;

/** The drift line every HTTP measurement prints: first and last window. */
export function drift(m: Measurement, rateOf: (w: Window) => number = (w) => w.rps, unit = 'req/s'): string {
  const change = rateOf(m.first) > 0 ? (rateOf(m.last) / rateOf(m.first) - 1) * 100 : Number.NaN;
  return `first ${fmt(m.first.seconds)} s: ${describe(m.first, rateOf(m.first), unit)} → last: ${describe(m.last, rateOf(m.last), unit)} (${change >= 0 ? '+' : ''}${fmt(change, 1)}%)`;
}

export function printSection(s: Section, write: (line: string) => void): void {
  write('');
  write(`== ${s.title}`);
  if (s.rows.length > 0) {
    const nameWidth = Math.max(...s.rows.map((r) => r.name.length));
    const valueWidth = Math.max(...s.rows.map((r) => r.value.length));
    const baseWidth = Math.max(...s.rows.map((r) => r.baseline.length));
    for (const r of s.rows) {
      const ratio =
        r.ratio === null ? '' : `  ratio ${Number.isFinite(r.ratio) ? r.ratio.toFixed(2) : 'n/a'}`;
      write(
        `  ${r.name.padEnd(nameWidth)}  ${r.value.padStart(valueWidth)}  vs  ${r.baseline.padEnd(baseWidth)}${ratio}`,
      );
    }
  }
  for (const note of s.notes) write(`  - ${note}`);
}
