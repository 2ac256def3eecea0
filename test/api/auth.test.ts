import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type CryptoKey, exportJWK, generateKeyPair, type JWTPayload, SignJWT } from 'jose';
import type { Response } from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, createTestApp, TEST_SECRET, type TestApp } from '../helpers/app.js';
import { describeDb } from '../helpers/database.js';
import { auditCount, expectProblem } from '../helpers/factories.js';

const ISSUER = 'reserve-dev';
const AUDIENCE = 'reserve-api';
const secretKey = new TextEncoder().encode(TEST_SECRET);
const nowSeconds = () => Math.floor(Date.now() / 1000);
const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

interface TokenOptions {
  claims?: Record<string, unknown>;
  iss?: string;
  aud?: string;
  sub?: string | null;
  /** Seconds from now; null leaves the claim out. */
  exp?: number | null;
  nbf?: number;
}

/** Signs an HS256 token by hand (not with the app's helper) so every claim can be bent. */
async function hs256(options: TokenOptions = {}, key: Uint8Array = secretKey, alg = 'HS256') {
  const jwt = new SignJWT({ role: 'admin', ...options.claims })
    .setProtectedHeader({ alg, typ: 'JWT' })
    .setIssuer(options.iss ?? ISSUER)
    .setAudience(options.aud ?? AUDIENCE)
    .setIssuedAt();
  if (options.sub !== null) jwt.setSubject(options.sub ?? 'auth-test');
  if (options.exp !== null) jwt.setExpirationTime(nowSeconds() + (options.exp ?? 600));
  if (options.nbf !== undefined) jwt.setNotBefore(nowSeconds() + options.nbf);
  return jwt.sign(key);
}

/** A 401 problem, with the challenge header the contract requires. */
function expectUnauthorized(res: Response) {
  expectProblem(res, 401, 'unauthorized');
  expect(res.headers['www-authenticate']).toMatch(/^Bearer\b/);
}

describeDb('authentication', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t?.close());

  const getMinerals = (authorization?: string) => {
    const req = t.api.get('/v1/minerals');
    return authorization === undefined ? req : req.set('authorization', authorization);
  };

  it('accepts a well-formed token (the baseline every rejection below departs from)', async () => {
    const res = await getMinerals(`Bearer ${await hs256()}`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ data: [], nextCursor: null });
  });

  it('rejects a request without an Authorization header', async () => {
    expectUnauthorized(await getMinerals());
  });

  it.each([
    ['a Basic scheme', 'Basic YWRtaW46YWRtaW4='],
    ['"Bearer" alone', 'Bearer'],
    ['"Bearer " with nothing after it', 'Bearer '],
    ['garbage', 'garbage'],
    ['a bearer token that is not a JWT', 'Bearer not-a-jwt'],
    ['a JWT with a lowercase scheme and two spaces', 'bearer  a.b.c'],
  ])('rejects a malformed header: %s', async (_name, header) => {
    expectUnauthorized(await getMinerals(header));
  });

  it('rejects a token that is valid except that the scheme is missing', async () => {
    expectUnauthorized(await getMinerals(await hs256()));
  });

  it('rejects alg "none" (an unsigned token crafted by hand)', async () => {
    const payload = {
      sub: 'mallory',
      role: 'admin',
      iss: ISSUER,
      aud: AUDIENCE,
      iat: nowSeconds(),
      exp: nowSeconds() + 600,
    };
    const unsigned = `${b64url({ alg: 'none', typ: 'JWT' })}.${b64url(payload)}.`;
    expectUnauthorized(await getMinerals(`Bearer ${unsigned}`));
  });

  it('rejects an HS256 token signed with the wrong secret', async () => {
    const wrong = new TextEncoder().encode('another-secret-that-is-long-enough-9876543210');
    expectUnauthorized(await getMinerals(`Bearer ${await hs256({}, wrong)}`));
  });

  it('rejects a token whose signature was tampered with (payload swapped after signing)', async () => {
    const [header, , signature] = (await hs256({ claims: { role: 'auditor' } })).split('.');
    const forged = b64url({
      sub: 'auth-test',
      role: 'admin',
      iss: ISSUER,
      aud: AUDIENCE,
      exp: nowSeconds() + 600,
    });
    expectUnauthorized(await getMinerals(`Bearer ${header}.${forged}.${signature}`));
  });

  it('rejects HS512 even when signed with the right secret (only HS256 is pinned)', async () => {
    expectUnauthorized(await getMinerals(`Bearer ${await hs256({}, secretKey, 'HS512')}`));
  });

  it.each([
    'RS256',
    'ES256',
  ] as const)('rejects an %s token when the configured key is HS256', async (alg) => {
    const { privateKey } = await generateKeyPair(alg);
    const token = await new SignJWT({ role: 'admin' })
      .setProtectedHeader({ alg })
      .setSubject('auth-test')
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setIssuedAt()
      .setExpirationTime('10m')
      .sign(privateKey);
    expectUnauthorized(await getMinerals(`Bearer ${token}`));
  });

  it.each([
    ['three segments of garbage', 'Bearer a.b.c'],
    ['a header that is not JSON', `Bearer ${Buffer.from('{nope').toString('base64url')}.${b64url({})}.sig`],
    [
      'a payload that is not JSON',
      `Bearer ${b64url({ alg: 'HS256' })}.${Buffer.from('[1,').toString('base64url')}.x`,
    ],
  ])('rejects a structurally broken JWT: %s', async (_name, header) => {
    expectUnauthorized(await getMinerals(header));
  });

  it('rejects a token that expired beyond the 30 s leeway', async () => {
    expectUnauthorized(await getMinerals(`Bearer ${await hs256({ exp: -60 })}`));
  });

  it('accepts a token that expired within the 30 s leeway', async () => {
    const res = await getMinerals(`Bearer ${await hs256({ exp: -10 })}`);
    expect(res.status).toBe(200);
  });

  it('rejects a token without exp', async () => {
    expectUnauthorized(await getMinerals(`Bearer ${await hs256({ exp: null })}`));
  });

  it('rejects a token without sub', async () => {
    expectUnauthorized(await getMinerals(`Bearer ${await hs256({ sub: null })}`));
  });

  it('rejects a token whose nbf is in the future beyond the 30 s leeway', async () => {
    expectUnauthorized(await getMinerals(`Bearer ${await hs256({ nbf: 120 })}`));
  });

  it('accepts a token whose nbf is in the future within the 30 s leeway', async () => {
    const res = await getMinerals(`Bearer ${await hs256({ nbf: 10 })}`);
    expect(res.status).toBe(200);
  });

  it('rejects a wrong issuer', async () => {
    expectUnauthorized(await getMinerals(`Bearer ${await hs256({ iss: 'someone-else' })}`));
  });

  it('rejects a wrong audience', async () => {
    expectUnauthorized(await getMinerals(`Bearer ${await hs256({ aud: 'another-api' })}`));
  });

  it.each([
    ['an unknown role', { role: 'superuser' }],
    ['no role at all', { role: undefined }],
    ['role company without companyId', { role: 'company' }],
    ['role company with a companyId that is not a UUID', { role: 'company', companyId: 'acme' }],
  ])('rejects %s', async (_name, claims: JWTPayload) => {
    expectUnauthorized(await getMinerals(`Bearer ${await hs256({ claims })}`));
  });

  it('accepts a company token with a UUID companyId', async () => {
    const token = await hs256({ claims: { role: 'company', companyId: randomUUID() } });
    expect((await getMinerals(`Bearer ${token}`)).status).toBe(200);
  });

  it('authenticates before validating: a bad token with a bad body is a 401 and changes nothing', async () => {
    const before = await auditCount(t);
    const badBody = await t.api
      .post('/v1/minerals')
      .set('authorization', 'Bearer not.a.token')
      .send({ code: 'x', unit: 'lb', surprise: true });
    expectUnauthorized(badBody);
    const badJson = await t.api
      .post('/v1/minerals')
      .set('authorization', `Bearer ${await hs256({ exp: -3600 })}`)
      .set('content-type', 'application/json')
      .send('{"code": "GA",');
    expectUnauthorized(badJson);
    const noToken = await t.api.post('/v1/minerals').send({ code: 'GA', name: 'Gallium', unit: 'kg' });
    expectUnauthorized(noToken);
    expect(await auditCount(t)).toBe(before);
    expect((await t.api.get('/v1/minerals/GA').set(bearer(t.admin))).status).toBe(404);
  });

  it('never echoes the token or a library message in the problem', async () => {
    const token = await hs256({ aud: 'another-api' });
    const res = await getMinerals(`Bearer ${token}`);
    expectUnauthorized(res);
    const text = JSON.stringify(res.body);
    expect(text).not.toContain(token);
    expect(text).not.toMatch(/JWT|jose|claim check failed|\s{4}at /i);
  });
});

describeDb('authentication against a JWKS', () => {
  let t: TestApp;
  let server: Server;
  let signingKey: CryptoKey;
  let jwksRequests = 0;

  beforeAll(async () => {
    const pair = await generateKeyPair('ES256');
    signingKey = pair.privateKey;
    const jwk = { ...(await exportJWK(pair.publicKey)), kid: 'test-es256', alg: 'ES256', use: 'sig' };
    server = createServer((req, res) => {
      jwksRequests++;
      if (req.url !== '/.well-known/jwks.json') {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [jwk] }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    t = await createTestApp({
      AUTH_JWKS_URL: `http://127.0.0.1:${port}/.well-known/jwks.json`,
      AUTH_JWT_SECRET: '',
    });
  });
  afterAll(async () => {
    await t?.close();
    await new Promise((resolve) => server?.close(resolve));
  });

  const es256 = (key: CryptoKey, claims: Record<string, unknown> = { role: 'auditor' }, kid = 'test-es256') =>
    new SignJWT(claims)
      .setProtectedHeader({ alg: 'ES256', kid })
      .setSubject('jwks-user')
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setIssuedAt()
      .setExpirationTime('10m')
      .sign(key);

  it('accepts an ES256 token signed by a key the JWKS publishes', async () => {
    const res = await t.api.get('/v1/audit-events/verify').set(bearer(await es256(signingKey)));
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ valid: true, eventsChecked: 0 });
    expect(jwksRequests).toBeGreaterThan(0);
  });

  it('still enforces the role claims on JWKS tokens', async () => {
    const res = await t.api.get('/v1/minerals').set(bearer(await es256(signingKey, { role: 'company' })));
    expectUnauthorized(res);
  });

  it('rejects an HS256 token, even one signed with the old shared secret', async () => {
    expectUnauthorized(await t.api.get('/v1/minerals').set(bearer(await hs256())));
    expectUnauthorized(await t.api.get('/v1/minerals').set(bearer(t.admin)));
  });

  it('rejects an ES256 token signed by a key the JWKS does not publish', async () => {
    const stranger = await generateKeyPair('ES256');
    expectUnauthorized(await t.api.get('/v1/minerals').set(bearer(await es256(stranger.privateKey))));
    expectUnauthorized(
      await t.api
        .get('/v1/minerals')
        .set(bearer(await es256(stranger.privateKey, { role: 'admin' }, 'other'))),
    );
  });
});

describe('token helpers used above', () => {
  it('build the claims they are asked for', async () => {
    const token = await hs256({ exp: null, nbf: 5, sub: null, claims: { role: 'company' } });
    const payload = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8'));
    expect(payload).not.toHaveProperty('exp');
    expect(payload).not.toHaveProperty('sub');
    expect(payload.nbf).toBeGreaterThan(nowSeconds());
    expect(payload).toMatchObject({ role: 'company', iss: ISSUER, aud: AUDIENCE });
  });
});
