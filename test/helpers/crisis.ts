import { expect } from 'vitest';
import { bearer, type TestApp } from './app.js';
import { newCompany } from './factories.js';

/** Helpers for the crisis-operations tests: disruptions, members with classes, queued draws, rounds. */

export async function declare(
  t: TestApp,
  mineralCodes: string[],
  level: 'alert' | 'emergency',
  title = 'Export licensing',
) {
  const res = await t.api.post('/v1/disruptions').set(bearer(t.admin)).send({ title, mineralCodes, level });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body as { id: string; level: string; status: string; mineralCodes: string[] };
}

export async function setLevel(t: TestApp, id: string, level: 'alert' | 'emergency') {
  const res = await t.api.patch(`/v1/disruptions/${id}`).set(bearer(t.admin)).send({ level });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body;
}

export async function endDisruption(t: TestApp, id: string) {
  const res = await t.api.post(`/v1/disruptions/${id}/end`).set(bearer(t.admin));
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body;
}

export interface Member {
  companyId: string;
  token: string;
  agreementId: string;
}

/** A company with an agreement for the mineral, in a class, with a weight (maxOutstanding). */
export async function member(
  t: TestApp,
  mineralCode: string,
  terms: {
    maxOutstanding?: string;
    priorityClass?: string;
    routineLimitPercent?: string;
    unitPrice?: string;
  } = {},
): Promise<Member> {
  const companyId = await newCompany(t);
  const res = await t.api
    .post(`/v1/companies/${companyId}/agreements`)
    .set(bearer(t.admin))
    .send({
      mineralCode,
      unitPrice: terms.unitPrice ?? '100',
      maxOutstanding: terms.maxOutstanding ?? '1000',
      replenishmentDays: 30,
      premiumPercent: '0',
      ...(terms.priorityClass ? { priorityClass: terms.priorityClass } : {}),
      ...(terms.routineLimitPercent ? { routineLimitPercent: terms.routineLimitPercent } : {}),
    });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return {
    companyId,
    token: await t.token('company', companyId, `member-${companyId}`),
    agreementId: res.body.id as string,
  };
}

export async function submit(t: TestApp, who: Member, mineralCode: string, quantity: string) {
  return t.api.post('/v1/draws').set(bearer(who.token)).send({ mineralCode, quantity });
}

/** Submits and expects the given status (201 body returned). */
export async function draw(
  t: TestApp,
  who: Member,
  mineralCode: string,
  quantity: string,
  status: 'queued' | 'pending' = 'queued',
) {
  const res = await submit(t, who, mineralCode, quantity);
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  expect(res.body.status).toBe(status);
  return res.body as Record<string, unknown> & { id: string; status: string };
}

export function round(t: TestApp, body: Record<string, unknown>, token = t.admin) {
  return t.api.post('/v1/allocation-rounds').set(bearer(token)).send(body);
}

export async function getDraw(t: TestApp, id: string) {
  const res = await t.api.get(`/v1/draws/${id}`).set(bearer(t.admin));
  expect(res.status).toBe(200);
  return res.body as Record<string, unknown>;
}
