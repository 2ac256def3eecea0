import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_SECRET } from './helpers/app.js';
import { type ApiProcess, run, startApiProcess } from './helpers/processes.js';

/** The README's curl walk-through: the bash block after `<!-- readme-walkthrough -->`, run as written. */
function walkthrough(): string {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
  const match = /<!-- readme-walkthrough -->\n```bash\n([\s\S]*?)\n```/.exec(readme);
  if (!match?.[1]) throw new Error('README.md has no walk-through block after <!-- readme-walkthrough -->');
  return match[1];
}

describe('the README curl walk-through', () => {
  // The server and `npm run token` share the secret, as `npm start` and `npm run token` share ./data.
  const env = { DATABASE_URL: 'memory:', SEED_DEMO: 'true', AUTH_JWT_SECRET: TEST_SECRET };
  let server: ApiProcess;
  beforeAll(async () => {
    server = await startApiProcess(env);
  });
  afterAll(() => server?.stop());

  it('runs line for line against a fresh server with the demo data', async () => {
    const script = walkthrough();
    const { code, stdout, stderr } = await run('bash', ['-euo', 'pipefail', '-c', script], {
      ...env,
      API: server.url,
    });
    const out = stdout + stderr;
    expect(code, out).toBe(0);
    expect(out).toContain('"status":"approved"');
    expect(out).toMatch(/"quantityDelivered":"122\.76".*"status":"fulfilled"/);
    expect(out).toMatch(/\{"valid":true,/);
  }, 180_000);
});
