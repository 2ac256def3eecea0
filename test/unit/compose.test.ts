import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/** docker-compose.yml ships no signing secret: a default one would be public, so tokens could be forged. */
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const compose = readFileSync(`${ROOT}/docker-compose.yml`, 'utf8');

/** A Compose implementation on this machine (v2 plugin or v1), if any. */
function composeCommand(): string[] | null {
  for (const command of [['docker', 'compose'], ['docker-compose']]) {
    const probe = spawnSync(command[0]!, [...command.slice(1), 'version'], { encoding: 'utf8' });
    if (probe.status === 0) return command;
  }
  return null;
}

describe('docker-compose.yml', () => {
  it('takes AUTH_JWT_SECRET from the environment, with no default, or refuses to start', () => {
    const lines = compose.split('\n').filter((line) => /^\s+AUTH_JWT_SECRET:/.test(line));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^\s+AUTH_JWT_SECRET: \$\{AUTH_JWT_SECRET:\?set AUTH_JWT_SECRET [^}]+\}$/);
    expect(compose).not.toMatch(/AUTH_JWT_SECRET:-/);
  });

  it('brings the API back by itself after a crash, unless it was stopped', () => {
    const api = compose.slice(compose.indexOf('\n  api:\n'));
    expect(api).toMatch(/^\s+restart: unless-stopped$/m);
  });

  const command = composeCommand();
  it.skipIf(!command)(
    'is refused by Compose itself without the secret, with the message (needs docker compose)',
    () => {
      const [bin, ...args] = command!;
      const env = { ...process.env };
      delete env.AUTH_JWT_SECRET;
      const refused = spawnSync(bin!, [...args, 'config'], { cwd: ROOT, env, encoding: 'utf8' });
      expect(refused.status).not.toBe(0);
      expect(refused.stderr).toContain('set AUTH_JWT_SECRET to 32+ random characters');
      const secret = 'x'.repeat(48);
      const accepted = spawnSync(bin!, [...args, 'config'], {
        cwd: ROOT,
        env: { ...env, AUTH_JWT_SECRET: secret },
        encoding: 'utf8',
      });
      expect(accepted.status, accepted.stderr).toBe(0);
      expect(accepted.stdout).toContain(secret);
    },
  );
});
