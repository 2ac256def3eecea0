import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * The README, BENCHMARKS.md and docs/ are read by someone who has cloned this repository and nothing else: they
 * explain in their own words and never send the reader to a file outside it.
 */
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const files = [
  'README.md',
  'BENCHMARKS.md',
  ...readdirSync(join(ROOT, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
];

describe.each(files)('%s', (file) => {
  const text = readFileSync(join(ROOT, file), 'utf8');

  it('names no file outside the repository and leans on no outside "contract"', () => {
    expect(text).not.toMatch(/\.\.\/shared|api-contract\.md|domain-notes\.md|engineering\.md/);
    expect(text).not.toMatch(/\bthe contract\b|\bcontract's\b/i);
  });

  it('links only to files that exist in the repository', () => {
    for (const [, target] of text.matchAll(/\]\(([^)#\s]+)(?:#[^)]*)?\)/g)) {
      if (/^[a-z]+:/i.test(target!)) continue; // URLs
      const path = resolve(dirname(join(ROOT, file)), target!);
      expect(path.startsWith(ROOT), `${target} leaves the repository`).toBe(true);
      expect(existsSync(path), `${target} does not exist`).toBe(true);
    }
  });
});
