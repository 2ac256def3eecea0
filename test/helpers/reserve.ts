import { randomBytes } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { expect } from 'vitest';
import { bearer, type TestApp } from './app.js';

const code = (prefix: string) => `${prefix}_${randomBytes(4).toString('hex').toUpperCase()}`;

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
  company: string;
  agreementId: string;
  lotIds: string[];
}

async function ok(res: { status: number; body: unknown }, status: number) {
  expect(res.status, JSON.stringify(res.body)).toBe(status);
  return res.body as Record<string, unknown>;
}

/** A mineral with stock in lots, two depots, and one member company with an agreement for it. */
export async function setupReserve(t: TestApp, o: ReserveOptions = {}): Promise<Reserve> {
  const admin = bearer(t.admin);
  const mineralCode = code('MIN');
  await ok(
    await t.api
      .post('/v1/minerals')
      .set(admin)
      .send({
        code: mineralCode,
        name: 'Gallium 4N',
        unit: o.unit ?? 'kg',
        minimumReserve: o.minimumReserve ?? '0',
      }),
    201,
  );
  const depot = await ok(
    await t.api
      .post('/v1/depots')
      .set(admin)
      .send({ code: code('DEP'), name: 'Main depot', country: 'US' }),
    201,
  );
  const other = await ok(
    await t.api
      .post('/v1/depots')
      .set(admin)
      .send({ code: code('DEP'), name: 'Other depot', country: 'AU' }),
    201,
  );
  const lotIds: string[] = [];
  for (const lot of o.lots ?? [{ quantity: '1000' }]) {
    const body = await ok(
      await t.api.post('/v1/lots').set(admin).send({
        mineralCode,
        depotId: depot.id,
        quantity: lot.quantity,
        originCountry: 'AU',
        receivedAt: lot.receivedAt,
      }),
      201,
    );
    lotIds.push(body.id as string);
  }
  const companyId = await newCompany(t);
  const agreement = await ok(
    await t.api
      .post(`/v1/companies/${companyId}/agreements`)
      .set(admin)
      .send({
        mineralCode,
        unitPrice: o.unitPrice ?? '110.25',
        maxOutstanding: o.maxOutstanding ?? '500',
        replenishmentDays: o.replenishmentDays ?? 90,
        premiumPercent: o.premiumPercent ?? '2.5',
      }),
    201,
  );
  return {
    mineralCode,
    depotId: depot.id as string,
    otherDepotId: other.id as string,
    companyId,
    company: await t.token('company', companyId, `company-user-${companyId}`),
    agreementId: agreement.id as string,
    lotIds,
  };
}

export async function newCompany(t: TestApp): Promise<string> {
  const res = await t.api
    .post('/v1/companies')
    .set(bearer(t.admin))
    .send({ name: `Member ${randomBytes(3).toString('hex')}`, country: 'US' });
  return (await ok(res, 201)).id as string;
}

export async function inventoryOf(t: TestApp, mineralCode: string) {
  return ok(await t.api.get(`/v1/inventory/${mineralCode}`).set(bearer(t.auditor)), 200);
}

/** Σ ledger quantities of a mineral, read straight from the table (independent of the API's own sums). */
export async function ledgerSum(t: TestApp, mineralCode: string): Promise<string> {
  const result = await t.database.db.execute(
    sql`select coalesce(sum(quantity), 0)::text as total, count(*)::int as n from stock_movements where mineral_code = ${mineralCode}`,
  );
  const rows = (Array.isArray(result) ? result : (result as { rows: unknown[] }).rows) as { total: string }[];
  return rows[0]!.total;
}

/** Re-exported so reserve tests and reference-data tests count events the same way. */
export { auditCount } from './factories.js';
