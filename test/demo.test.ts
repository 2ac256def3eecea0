import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_SECRET } from './helpers/app.js';
import { type ApiProcess, run, startApiProcess } from './helpers/processes.js';

/**
 * `npm run demo` (examples/lifecycle.ts) is the README's walk-through: run it, as written, against the
 * real server entry point on a fresh embedded database with the demo data, so it cannot rot.
 */
describe('the README walk-through (npm run demo)', () => {
  const env = { DATABASE_URL: 'memory:', SEED_DEMO: 'true', AUTH_JWT_SECRET: TEST_SECRET };
  let server: ApiProcess;
  beforeAll(async () => {
    server = await startApiProcess(env);
  });
  afterAll(() => server?.stop());

  const runDemo = async () => {
    const { code, stdout, stderr } = await run(
      process.execPath,
      ['--import', 'tsx', 'examples/lifecycle.ts', '--url', server.url],
      env,
    );
    return { code, out: stdout + stderr };
  };

  it('walks inventory → draw → approve → fulfil → delivery → verify, twice in a row', async () => {
    for (let run = 0; run < 2; run++) {
      const { code, out } = await runDemo();
      expect(out, out).toMatch(/3\. draw \S+ submitted: pending, amount 90000\.00 USD/);
      expect(out).toMatch(/6\. obligation \S+: 122\.76 kg due by/);
      expect(out).toMatch(/7\. delivered 122\.76 to \S+: obligation fulfilled/);
      expect(out).toMatch(
        /8\. audit trail of the draw: #\d+ draw\.submitted, #\d+ draw\.approved, #\d+ draw\.fulfilled/,
      );
      expect(out).toMatch(/9\. audit chain valid:/);
      expect(code, out).toBe(0);
    }
  }, 120_000);
});
