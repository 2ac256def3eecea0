import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { decodeJwt, jwtVerify } from 'jose';
import { expect } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command in the repository with `env` over a clean environment (no DATABASE_URL, no secret). */
export function run(command: string, args: string[], env: Record<string, string> = {}): Promise<Run> {
  const base = { ...process.env };
  for (const name of ['DATABASE_URL', 'AUTH_JWT_SECRET', 'AUTH_JWKS_URL', 'DATA_DIR']) delete base[name];
  for (const name of Object.keys(base)) if (name.startsWith('npm_')) delete base[name];
  const child = spawn(command, args, {
    cwd: ROOT,
    env: { ...base, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => {
    stdout += chunk;
  });
  child.stderr.on('data', (chunk) => {
    stderr += chunk;
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  return new Promise((resolve) =>
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    }),
  );
}

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
