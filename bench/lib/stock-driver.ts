import { cpSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/**
 * postgres.js 3.4.9's own `src/queue.js`, as published: `remove()` searches the whole backing array,
 * holes left by `shift()` included, and the array is only reset when the queue drains. The driver
 * regression runs the baseline server once on a copy of the installed package with this file put back,
 * and once on the installed (patched, see patches/postgres+3.4.9.patch) package.
 */
const STOCK_QUEUE_JS = `export default Queue

function Queue(initial = []) {
  let xs = initial.slice()
  let index = 0

  return {
    get length() {
      return xs.length - index
    },
    remove: (x) => {
      const index = xs.indexOf(x)
      return index === -1
        ? null
        : (xs.splice(index, 1), x)
    },
    push: (x) => (xs.push(x), x),
    shift: () => {
      const out = xs[index++]

      if (index === xs.length) {
        index = 0
        xs = []
      } else {
        xs[index - 1] = undefined
      }

      return out
    }
  }
}
`;

/** A marker only the patched queue has. */
const PATCH_MARKER = 'xs.indexOf(x, index)';

function installedPackageDir(): string {
  const require = createRequire(import.meta.url);
  // The CommonJS entry is cjs/src/index.js; the package root is three levels up.
  return dirname(dirname(dirname(require.resolve('postgres'))));
}

export function installedDriver(): { version: string; patched: boolean } {
  const dir = installedPackageDir();
  const version = (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version: string })
    .version;
  return { version, patched: readFileSync(join(dir, 'src', 'queue.js'), 'utf8').includes(PATCH_MARKER) };
}

/** Path of the ESM entry of an unpatched copy of the installed postgres.js (made once per machine). */
export function stockDriverEntry(): string {
  const { version } = installedDriver();
  const target = join(tmpdir(), `reserve-bench-postgres-${version}-stock`);
  const entry = join(target, 'src', 'index.js');
  if (!existsSync(entry)) {
    mkdirSync(target, { recursive: true });
    cpSync(installedPackageDir(), target, { recursive: true });
  }
  writeFileSync(join(target, 'src', 'queue.js'), STOCK_QUEUE_JS);
  return entry;
}
