import { summarizeProfile } from './lib/cpuprofile.js';

/** `npx tsx bench/profile-summary.ts <file.cpuprofile> [top]`: self-time summary of a V8 CPU profile. */
const [file, top] = process.argv.slice(2);
if (!file) {
  process.stderr.write('usage: tsx bench/profile-summary.ts <file.cpuprofile> [top]\n');
  process.exit(2);
}
const summary = summarizeProfile(file, Number(top ?? 25));
const line = (x: { name: string; where: string; ms: number; share: number }) =>
  `${(x.share * 100).toFixed(1).padStart(5)}%  ${x.ms.toFixed(0).padStart(7)} ms  ${x.name}  ${x.where}`;
process.stdout.write(
  `total sampled ${summary.totalMs.toFixed(0)} ms\n\nby package / category (self time):\n`,
);
for (const p of summary.packages) process.stdout.write(`${line(p)}\n`);
process.stdout.write('\ntop functions (self time):\n');
for (const f of summary.functions) process.stdout.write(`${line(f)}\n`);
