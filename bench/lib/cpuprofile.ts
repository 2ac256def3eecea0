import { readFileSync } from 'node:fs';

/** The parts of a V8 .cpuprofile (written by `node --cpu-prof`) needed for a self-time summary. */
interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

export interface SelfTime {
  name: string;
  where: string;
  ms: number;
  share: number;
}

/** Where a script lives, shortened: `node_modules/<package>`, `src/…`, or `node:` internals. */
function origin(url: string): string {
  if (!url) return '(native / V8)';
  const nm = /node_modules\/((?:@[^/]+\/)?[^/]+)\/(.*)$/.exec(url);
  if (nm) return `${nm[1]}/${nm[2]}`;
  const src = /\/(src|bench)\/(.*)$/.exec(url);
  if (src) return `${src[1]}/${src[2]}`;
  return url.replace(/^file:\/\//, '');
}

const packageOf = (where: string) =>
  where.startsWith('(')
    ? where
    : where.startsWith('node:')
      ? 'node internals'
      : where
          .split('/')
          .slice(0, where.startsWith('@') ? 2 : 1)
          .join('/');

/**
 * Self time per function (samples attributed to the function itself, not its callees) and per package,
 * from the sample timeline. Idle and GC are their own entries ("(idle)", "(garbage collector)").
 */
export function summarizeProfile(
  file: string,
  top = 25,
): { functions: SelfTime[]; packages: SelfTime[]; totalMs: number } {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i]!;
    selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i + 1] ?? profile.timeDeltas[i] ?? 0));
  }
  const functions = new Map<string, SelfTime>();
  const packages = new Map<string, SelfTime>();
  let totalUs = 0;
  for (const [id, us] of selfUs) {
    const node = byId.get(id)!;
    const where = `${origin(node.callFrame.url)}${node.callFrame.url ? `:${node.callFrame.lineNumber + 1}` : ''}`;
    const name = node.callFrame.functionName || '(anonymous)';
    const key = `${name} ${where}`;
    totalUs += us;
    const f = functions.get(key) ?? { name, where, ms: 0, share: 0 };
    f.ms += us / 1000;
    functions.set(key, f);
    const pkg = node.callFrame.url ? packageOf(origin(node.callFrame.url)) : name;
    const p = packages.get(pkg) ?? { name: pkg, where: '', ms: 0, share: 0 };
    p.ms += us / 1000;
    packages.set(pkg, p);
  }
  const ranked = (m: Map<string, SelfTime>) =>
    [...m.values()]
      .map((x) => ({ ...x, share: x.ms / (totalUs / 1000) }))
      .sort((a, b) => b.ms - a.ms)
      .slice(0, top);
  return { functions: ranked(functions), packages: ranked(packages), totalMs: totalUs / 1000 };
}
