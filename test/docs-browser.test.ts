import { existsSync } from 'node:fs';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiProcess, startApiProcess } from './helpers/processes.js';

/**
 * /docs in a real browser, reached over plain HTTP under a name that is not localhost — the way a LAN
 * address or a compose service name reaches it. Browsers treat localhost as secure, so a test on
 * localhost would not see a policy that upgrades the page's scripts to https.
 * Needs Debian's `chromium` (`.ci/run` installs it); skipped, saying so, outside CI when it is absent.
 */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const HOST = 'reserve.test';
// In CI (.ci/run installs Chromium) a missing browser is a failure, never a silent skip.
const skip = !existsSync(CHROMIUM) && !process.env.CI;
if (skip) {
  console.warn(
    `[docs-browser] skipped: no Chromium at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)`,
  );
}

describe.skipIf(skip)('/docs in headless Chromium over plain HTTP under a non-localhost name', () => {
  let server: ApiProcess;
  let browser: Browser; // playwright gives each launch a fresh, throw-away profile

  beforeAll(async () => {
    server = await startApiProcess({ DATABASE_URL: 'memory:', AUTH_JWT_SECRET: 'd'.repeat(40) });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        // Chromium may try https first for typed http:// navigations; the test is about plain HTTP.
        '--disable-features=HttpsUpgrades',
        `--host-resolver-rules=MAP ${HOST} 127.0.0.1`,
      ],
    });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('renders the operations with no resolver error and no blocked request', async () => {
    const port = new URL(server.url).port;
    const page = await browser.newPage();
    const problems: string[] = [];
    page.on('console', (message) => {
      // Chromium notes that it ignores COOP on an untrustworthy origin; the header still serves
      // localhost and https, and ignoring it is all a browser may do with it here.
      if (message.type() === 'error' && !message.text().includes('Cross-Origin-Opener-Policy')) {
        problems.push(`console: ${message.text()}`);
      }
    });
    page.on('requestfailed', (request) =>
      problems.push(`failed: ${request.url()} ${request.failure()?.errorText ?? ''}`),
    );
    const response = await page.goto(`http://${HOST}:${port}/docs`, { waitUntil: 'load' });
    expect(response?.status()).toBe(200);
    expect(new URL(page.url()).protocol).toBe('http:');
    expect(response?.headers()['strict-transport-security']).toBeUndefined();

    await page.waitForSelector('.opblock', { timeout: 30_000 }).catch(() => undefined);
    const operations = await page.locator('.opblock').count();
    expect(operations, `no operation rendered; ${problems.join(' | ')}`).toBeGreaterThan(10);
    expect(await page.locator('.opblock-tag').count()).toBeGreaterThan(5);
    // Expanding an operation makes swagger-ui resolve its $refs; a dangling one shows this error.
    await page.locator('.opblock-summary').first().click();
    await page.waitForSelector('.opblock-body', { timeout: 10_000 });
    await page.waitForTimeout(500);
    const text = await page.locator('#swagger-ui').innerText();
    expect(text).not.toMatch(/Could not resolve reference|Resolver error/i);
    expect(await page.locator('.errors-wrapper').count()).toBe(0);
    expect(problems).toEqual([]);
  }, 90_000);
});
