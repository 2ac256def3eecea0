import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.js';

/** The headers every response carries whatever the transport (helmet's, minus the two that need TLS). */
function expectBaseHeaders(headers: Record<string, string>) {
  expect(headers['x-content-type-options']).toBe('nosniff');
  expect(headers['x-frame-options']).toBe('SAMEORIGIN');
  expect(headers['referrer-policy']).toBe('no-referrer');
  expect(headers['cross-origin-opener-policy']).toBe('same-origin');
  expect(headers['cross-origin-resource-policy']).toBe('same-origin');
  const csp = headers['content-security-policy'];
  expect(csp).toContain("default-src 'self'");
  expect(csp).toContain("script-src 'self'");
  expect(csp).toContain("object-src 'none'");
  expect(csp).toContain("frame-ancestors 'self'");
  // Over plain HTTP under a non-localhost name it would send /docs' scripts to https and blank the page.
  expect(csp).not.toContain('upgrade-insecure-requests');
}

describe('security headers fit the transport', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  it('API responses over plain HTTP: helmet headers, no upgrade-insecure-requests, no HSTS', async () => {
    const res = await t.api.get('/health/live').set('host', 'reserve.example');
    expect(res.status).toBe(200);
    expectBaseHeaders(res.headers);
    expect(res.headers['strict-transport-security']).toBeUndefined();
  });

  it('/docs and its assets carry the same policy (not a docs-only one that upgrades requests)', async () => {
    for (const path of ['/docs', '/docs/static/index.html', '/docs/static/swagger-ui-bundle.js']) {
      const res = await t.api.get(path).set('host', 'api:3000');
      expect(res.status, path).toBeLessThan(400);
      expectBaseHeaders(res.headers);
      expect(res.headers['strict-transport-security'], path).toBeUndefined();
    }
  });

  it('an X-Forwarded-Proto from an untrusted peer does not turn HSTS on', async () => {
    const res = await t.api.get('/health/live').set('x-forwarded-proto', 'https');
    expect(res.headers['strict-transport-security']).toBeUndefined();
  });
});

describe('behind a trusted TLS-terminating proxy (TRUST_PROXY)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ TRUST_PROXY: '127.0.0.1,::1,::ffff:127.0.0.1' });
  });
  afterAll(() => t.close());

  it('sends HSTS to requests that came over TLS, not to those that did not', async () => {
    const tls = await t.api.get('/health/live').set('x-forwarded-proto', 'https');
    expect(tls.headers['strict-transport-security']).toBe('max-age=31536000; includeSubDomains');
    expectBaseHeaders(tls.headers);
    const plain = await t.api.get('/health/live').set('x-forwarded-proto', 'http');
    expect(plain.headers['strict-transport-security']).toBeUndefined();
    const docs = await t.api.get('/docs').set('x-forwarded-proto', 'https');
    expect(docs.headers['strict-transport-security']).toBe('max-age=31536000; includeSubDomains');
  });
});
