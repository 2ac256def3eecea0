import { afterEach, describe, expect, it, vi } from 'vitest';
import { createTokenVerifier, signToken } from '../../src/http/auth.js';

const SECRET = 'unit-test-secret-0123456789abcdef-0123456789';
const auth = { issuer: 'reserve-dev', audience: 'reserve-api', jwtSecret: SECRET, jwksUrl: null };
const status = (promise: Promise<unknown>) =>
  promise.then(
    () => 'accepted',
    (error: { kind?: string }) => error.kind,
  );

/**
 * The verifier remembers tokens it verified (a read's throughput halved on verification alone), so
 * these pin down what remembering may not change: nothing past `exp` (plus jose's 30 s tolerance),
 * nothing that failed, nothing but the exact token text.
 */
describe('token verifier', () => {
  afterEach(() => vi.useRealTimers());

  it('remembers a verified token: the same token gives the same frozen actor', async () => {
    const verify = createTokenVerifier(auth, SECRET);
    const token = await signToken(auth, SECRET, { role: 'admin', sub: 'cache-admin' });
    const first = await verify(token);
    expect(first).toEqual({ sub: 'cache-admin', role: 'admin', companyId: null });
    expect(await verify(token)).toBe(first);
    expect(Object.isFrozen(first)).toBe(true);
  });

  it('verifies again after a minute, and refuses a token past its exp and the tolerance', async () => {
    vi.useFakeTimers({ toFake: ['Date', 'performance'] });
    const verify = createTokenVerifier(auth, SECRET);
    const long = await signToken(auth, SECRET, { role: 'auditor', sub: 'long', ttlSeconds: 600 });
    const short = await signToken(auth, SECRET, { role: 'auditor', sub: 'short', ttlSeconds: 10 });
    const [longActor, shortActor] = [await verify(long), await verify(short)];
    vi.advanceTimersByTime(11_000);
    // Past its exp the short token is verified afresh (jose still accepts it within 30 s)…
    expect(await verify(short)).not.toBe(shortActor);
    expect(await verify(long)).toBe(longActor);
    vi.advanceTimersByTime(50_000);
    // …a minute on, the long one is too; and past exp + 30 s the short one is refused.
    expect(await verify(long)).not.toBe(longActor);
    expect(await status(verify(short))).toBe('unauthorized');
  });

  it('never remembers a failure, and a remembered token vouches for no other text', async () => {
    const verify = createTokenVerifier(auth, SECRET);
    const token = await signToken(auth, SECRET, { role: 'admin', sub: 'exact' });
    const forged = await signToken(auth, 'another-secret-0123456789abcdef-0123456789', {
      role: 'admin',
      sub: 'exact',
    });
    expect(await status(verify(forged))).toBe('unauthorized');
    await verify(token);
    expect(await status(verify(forged))).toBe('unauthorized');
    expect(await status(verify(`${token}x`))).toBe('unauthorized');
    expect(await status(verify(token.replace(/\.[^.]+$/, '.AAAA')))).toBe('unauthorized');
  });
});
