import { randomBytes } from 'node:crypto';
import { sql } from 'drizzle-orm';
import type { Response } from 'supertest';
import { expect } from 'vitest';
import { bearer, type TestApp } from './app.js';

/**
 * The one set of test-data factories: every record is created through the API as an admin (so it is
 * audited like any other), with unique codes and names so tests never collide or depend on each
 * other's data. `setupReserve` builds the usual scene for draw tests out of the smaller factories.
 */

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

export type AgreementTerms = {
  mineralCode: string;
  unitPrice: string;
  maxOutstanding: string;
  replenishmentDays: number;
  premiumPercent: string;
};

export const agreementTerms = (mineralCode: string): AgreementTerms => ({
  mineralCode,
  unitPrice: '110.25',
  maxOutstanding: '500',
  replenishmentDays: 90,
  premiumPercent: '2.5',
});

export async function createAgreement(
  t: TestApp,
  companyId: string,
  mineralCode: string,
  overrides: Partial<AgreementTerms> = {},
) {
  const res = await t.api
    .post(`/v1/companies/${companyId}/agreements`)
    .set(bearer(t.admin))
    .send({ ...agreementTerms(mineralCode), ...overrides });
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

/** The problem slug of an RFC 9457 body (`…/problems/insufficient-stock` → `insufficient-stock`). */
export const slug = (body: { type?: unknown } | undefined): string | undefined =>
  typeof body?.type === 'string' ? body.type.split('/').pop() : undefined;

export async function createLot(
  t: TestApp,
  mineralCode: string,
  depotId: string,
  overrides: { quantity?: string; receivedAt?: string } = {},
) {
  const res = await t.api
    .post('/v1/lots')
    .set(bearer(t.admin))
    .send({ mineralCode, depotId, quantity: '1000', originCountry: 'AU', ...overrides });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body as { id: string; mineralCode: string; depotId: string; quantityOnHand: string };
}

export interface ReserveOptions {
  unit?: 'kg' | 't';
  minimumReserve?: string;
  lots?: { quantity: string; receivedAt?: string }[];
  unitPrice?: string;
  maxOutstanding?: string;
  replenishmentDays?: number;
  premiumPercent?: string;
}

export interface Reserve {
  mineralCode: string;
  depotId: string;
  otherDepotId: string;
  companyId: string;
  /** A token of the company. */
  company: string;
  agreementId: string;
  lotIds: string[];
}

/** A mineral with stock in lots, two depots, and one member company with an agreement for it. */
export async function setupReserve(t: TestApp, o: ReserveOptions = {}): Promise<Reserve> {
  const mineral = await createMineral(t, {
    name: 'Gallium 4N',
    unit: o.unit ?? 'kg',
    minimumReserve: o.minimumReserve ?? '0',
  });
  const depot = await createDepot(t, { name: 'Main depot', country: 'US' });
  const other = await createDepot(t, { name: 'Other depot', country: 'AU' });
  const lotIds: string[] = [];
  for (const lot of o.lots ?? [{ quantity: '1000' }]) {
    lotIds.push((await createLot(t, mineral.code, depot.id, lot)).id);
  }
  const companyId = await newCompany(t);
  const agreement = await createAgreement(t, companyId, mineral.code, {
    ...(o.unitPrice !== undefined && { unitPrice: o.unitPrice }),
    ...(o.maxOutstanding !== undefined && { maxOutstanding: o.maxOutstanding }),
    ...(o.replenishmentDays !== undefined && { replenishmentDays: o.replenishmentDays }),
    ...(o.premiumPercent !== undefined && { premiumPercent: o.premiumPercent }),
  });
  return {
    mineralCode: mineral.code,
    depotId: depot.id,
    otherDepotId: other.id,
    companyId,
    company: await t.token('company', companyId, `company-user-${companyId}`),
    agreementId: agreement.id,
    lotIds,
  };
}

/** A new member company's id. */
export async function newCompany(t: TestApp): Promise<string> {
  return (await createCompany(t, { name: `Member ${randomBytes(3).toString('hex')}`, country: 'US' })).id;
}

export async function inventoryOf(t: TestApp, mineralCode: string) {
  const res = await t.api.get(`/v1/inventory/${mineralCode}`).set(bearer(t.auditor));
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body as Record<string, unknown>;
}

/** Σ ledger quantities of a mineral, read straight from the table (independent of the API's own sums). */
export async function ledgerSum(t: TestApp, mineralCode: string): Promise<string> {
  const result = await t.database.db.execute(
    sql`select coalesce(sum(quantity), 0)::text as total from stock_movements where mineral_code = ${mineralCode}`,
  );
  const rows = (Array.isArray(result) ? result : (result as { rows: unknown[] }).rows) as { total: string }[];
  return rows[0]!.total;
}
