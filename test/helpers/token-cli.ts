import { decodeJwt, jwtVerify } from 'jose';
import { expect } from 'vitest';
import { type Run, run } from './processes.js';

export { type Run, run };

/** `npm run token -- …` without npm: `node --import tsx src/cli/token.ts …`. */
export const token = (args: string[], env: Record<string, string> = {}) =>
  run(process.execPath, ['--import', 'tsx', 'src/cli/token.ts', ...args], env);

/** A refusal: exit 2, nothing on stdout, one line on stderr and no stack trace. */
export function expectRefused(result: Run, pattern: RegExp) {
  expect(result.stdout, result.stderr).toBe('');
  expect(result.code, result.stderr).toBe(2);
  const lines = result.stderr.trimEnd().split('\n');
  expect(lines, result.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^token: /);
  expect(lines[0]).toMatch(pattern);
  expect(result.stderr).not.toMatch(/\n\s+at /);
}

/** Success: stdout is exactly one JWT and its newline; returns its verified claims. */
export async function expectToken(result: Run, secret: string) {
  expect(result.code, result.stderr).toBe(0);
  expect(result.stdout).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+\n$/);
  const jwt = result.stdout.trim();
  await jwtVerify(jwt, new TextEncoder().encode(secret), { issuer: 'reserve-dev', audience: 'reserve-api' });
  return decodeJwt(jwt);
}
