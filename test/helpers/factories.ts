import { randomBytes } from 'node:crypto';
import type { Response } from 'supertest';
import { expect } from 'vitest';
import { bearer, type TestApp } from './app.js';

/** A fresh code for a unique column (`^[A-Z0-9_]{2,32}$`), so tests never collide on names. */
export const uniqueCode = (prefix = 'M') => `${prefix}_${randomBytes(4).toString('hex').toUpperCase()}`;

export interface MineralBody {
  code: string;
  name: string;
  unit: 'kg' | 't';
  minimumReserve?: string;
}

/** Creates a mineral through the API as admin and returns the response body. */
export async function createMineral(t: TestApp, overrides: Partial<MineralBody> = {}) {
  const body = { code: uniqueCode('MIN'), name: 'Gallium', unit: 'kg', minimumReserve: '0', ...overrides };
  const res = await t.api.post('/v1/minerals').set(bearer(t.admin)).send(body);
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body as {
    code: string;
    name: string;
    unit: string;
    minimumReserve: string;
    createdAt: string;
    updatedAt: string;
  };
}

export async function createDepot(t: TestApp, overrides: Record<string, unknown> = {}) {
  const body = { code: uniqueCode('DEP'), name: 'Depot', country: 'AU', ...overrides };
  const res = await t.api.post('/v1/depots').set(bearer(t.admin)).send(body);
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body as { id: string; code: string; name: string; country: string; createdAt: string };
}

export async function createCompany(t: TestApp, overrides: Record<string, unknown> = {}) {
  const body = { name: `Company ${randomBytes(3).toString('hex')}`, country: 'DE', ...overrides };
  const res = await t.api.post('/v1/companies').set(bearer(t.admin)).send(body);
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body as {
    id: string;
    name: string;
    country: string;
    status: string;
    createdAt: string;
    updatedAt: string;
  };
}

export const agreementTerms = (mineralCode: string) => ({
  mineralCode,
  unitPrice: '110.25',
  maxOutstanding: '500',
  replenishmentDays: 90,
  premiumPercent: '2.5',
});

export async function createAgreement(t: TestApp, companyId: string, mineralCode: string) {
  const res = await t.api
    .post(`/v1/companies/${companyId}/agreements`)
    .set(bearer(t.admin))
    .send(agreementTerms(mineralCode));
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body as { id: string; companyId: string; mineralCode: string; status: string };
}

export interface AuditEventOut {
  seq: number;
  occurredAt: string;
  actor: { sub: string; role: string; companyId: string | null };
  action: string;
  entityType: string;
  entityId: string;
  data: unknown;
  requestId: string;
  prevHash: string;
  hash: string;
}

/** Every audit event, read through the API page by page (afterSeq), in seq order. */
export async function allAuditEvents(t: TestApp): Promise<AuditEventOut[]> {
  const events: AuditEventOut[] = [];
  let afterSeq = 0;
  for (;;) {
    const res = await t.api.get('/v1/audit-events').query({ afterSeq, limit: 200 }).set(bearer(t.auditor));
    expect(res.status).toBe(200);
    const page = res.body.data as AuditEventOut[];
    events.push(...page);
    if (page.length < 200) return events;
    afterSeq = page[page.length - 1]!.seq;
  }
}

/** How many events the chain holds, per the verify endpoint (which also proves the chain intact). */
export async function auditCount(t: TestApp): Promise<number> {
  const res = await t.api.get('/v1/audit-events/verify').set(bearer(t.auditor));
  expect(res.status).toBe(200);
  expect(res.body.valid, JSON.stringify(res.body)).toBe(true);
  return res.body.eventsChecked as number;
}

/** The events appended after `seq`. */
export async function auditEventsAfter(t: TestApp, seq: number): Promise<AuditEventOut[]> {
  const res = await t.api.get('/v1/audit-events').query({ afterSeq: seq, limit: 200 }).set(bearer(t.auditor));
  expect(res.status).toBe(200);
  return res.body.data as AuditEventOut[];
}

/** Asserts an RFC 9457 problem with the given status and slug; returns its body. */
export function expectProblem(res: Response, status: number, slug: string) {
  expect(res.status, JSON.stringify(res.body)).toBe(status);
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(res.body).toMatchObject({ status, type: expect.stringMatching(new RegExp(`/problems/${slug}$`)) });
  expect(typeof res.body.title).toBe('string');
  expect(typeof res.body.detail).toBe('string');
  expect(res.body.requestId).toBe(res.headers['x-request-id']);
  return res.body as {
    type: string;
    title: string;
    status: number;
    detail: string;
    requestId: string;
    errors?: { path: string; message: string }[];
  };
}
