import fc from 'fast-check';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type Decimal, dec, max, normalize } from '../../src/domain/decimal.js';
import { bearer, createTestApp, type TestApp } from '../helpers/app.js';
import { describeDb } from '../helpers/database.js';
import { inventoryOf, ledgerSum, newCompany, setupReserve, slug } from '../helpers/factories.js';

/**
 * TigerBeetle-style model test: random sequences of operations go through the API and through a tiny
 * model of the contract's rules; after every step the API's inventory and obligations must match the
 * model, and every refusal must be the one the model predicts. Failures print a seed that replays them.
 */
type Op =
  | { kind: 'submit'; company: number; q: number }
  | { kind: 'approve' | 'reject' | 'cancel' | 'fulfil'; draw: number }
  | { kind: 'receive'; q: number }
  | { kind: 'deliver'; obligation: number; q: number };

const qty = fc.integer({ min: 1, max: 40_000 }); // thousandths: 0.001 … 40
const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('submit' as const), company: fc.nat(1), q: qty }) },
  ...(['approve', 'reject', 'cancel', 'fulfil'] as const).map((kind) => ({
    weight: 2,
    arbitrary: fc.record({ kind: fc.constant(kind), draw: fc.nat(3) }),
  })),
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('receive' as const), q: qty }) },
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constant('deliver' as const), obligation: fc.nat(3), q: qty }),
  },
);

const FLOOR = '10';
const MAX_OUTSTANDING = '60';
const PREMIUM = '3.75';
const toQ = (thousandths: number) => dec(String(thousandths)).dividedBy(1000).toFixed();

describeDb('draws against a model of the rules (fast-check)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t?.close());

  it('matches the model after every operation', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 8, maxLength: 24 }), async (ops) => {
        const r = await setupReserve(t, {
          minimumReserve: FLOOR,
          lots: [{ quantity: '100' }],
          maxOutstanding: MAX_OUTSTANDING,
          premiumPercent: PREMIUM,
        });
        const secondId = await newCompany(t);
        await t.api.post(`/v1/companies/${secondId}/agreements`).set(bearer(t.admin)).send({
          mineralCode: r.mineralCode,
          unitPrice: '1',
          maxOutstanding: MAX_OUTSTANDING,
          replenishmentDays: 90,
          premiumPercent: PREMIUM,
        });
        const companies = [
          { id: r.companyId, token: r.company },
          { id: secondId, token: await t.token('company', secondId, `model-${secondId}`) },
        ];
        const admin = bearer(t.admin);

        // The model.
        let onHand = dec('100');
        let reserved = dec('0');
        const draws: { id: string; company: number; q: Decimal; status: string }[] = [];
        const obligations: { id: string; company: number; outstanding: Decimal }[] = [];
        const outstandingOf = (c: number) =>
          obligations.filter((o) => o.company === c).reduce((s, o) => s.plus(o.outstanding), dec('0'));
        const heldBy = (c: number) =>
          draws
            .filter((d) => d.company === c && (d.status === 'pending' || d.status === 'approved'))
            .reduce((s, d) => s.plus(d.q), dec('0'));

        for (const o of ops) {
          let expected: string; // 'ok' or a problem slug
          let res: { status: number; body: Record<string, unknown> & { type?: string } };
          if (o.kind === 'submit') {
            const q = dec(toQ(o.q));
            const drawable = max(dec('0'), onHand.minus(reserved).minus(FLOOR));
            expected = heldBy(o.company).plus(outstandingOf(o.company)).plus(q).gt(MAX_OUTSTANDING)
              ? 'entitlement-exceeded'
              : q.gt(drawable)
                ? 'insufficient-stock'
                : 'ok';
            res = await t.api
              .post('/v1/draws')
              .set(bearer(companies[o.company]!.token))
              .send({ mineralCode: r.mineralCode, quantity: q.toFixed() });
            if (expected === 'ok') {
              draws.push({ id: res.body.id as string, company: o.company, q, status: 'pending' });
              reserved = reserved.plus(q);
            }
          } else if (o.kind === 'receive') {
            expected = 'ok';
            res = await t.api
              .post('/v1/lots')
              .set(admin)
              .send({
                mineralCode: r.mineralCode,
                depotId: r.otherDepotId,
                quantity: toQ(o.q),
                originCountry: 'CA',
              });
            onHand = onHand.plus(toQ(o.q));
          } else if (o.kind === 'deliver') {
            // Recent obligations and draws are the interesting ones: index from the end.
            const ob = obligations[obligations.length - 1 - (o.obligation % Math.max(1, obligations.length))];
            if (!ob) continue;
            const q = dec(toQ(o.q));
            expected = ob.outstanding.isZero()
              ? 'invalid-state-transition'
              : q.gt(ob.outstanding)
                ? 'exceeds-outstanding'
                : 'ok';
            res = await t.api
              .post(`/v1/obligations/${ob.id}/deliveries`)
              .set(admin)
              .send({ quantity: q.toFixed(), depotId: r.depotId, originCountry: 'AU' });
            if (expected === 'ok') {
              ob.outstanding = ob.outstanding.minus(q);
              onHand = onHand.plus(q);
            }
          } else {
            const d = draws[draws.length - 1 - (o.draw % Math.max(1, draws.length))];
            if (!d) continue;
            const allowed: Record<string, string[]> = {
              approve: ['pending'],
              reject: ['pending'],
              cancel: ['pending', 'approved'],
              fulfil: ['approved'],
            };
            expected = allowed[o.kind]!.includes(d.status) ? 'ok' : 'invalid-state-transition';
            const body = o.kind === 'reject' ? { reason: 'model' } : undefined;
            res = await t.api.post(`/v1/draws/${d.id}/${o.kind}`).set(admin).send(body);
            if (expected === 'ok') {
              const was = d.status;
              d.status = {
                approve: 'approved',
                reject: 'rejected',
                cancel: 'cancelled',
                fulfil: 'fulfilled',
              }[o.kind];
              if (o.kind !== 'approve') reserved = reserved.minus(d.q);
              if (o.kind === 'fulfil' && was === 'approved') {
                onHand = onHand.minus(d.q);
                const due = d.q.times(dec('1').plus(dec(PREMIUM).dividedBy(100))).toDecimalPlaces(3, 0);
                obligations.push({
                  id: res.body.obligationId as string,
                  company: d.company,
                  outstanding: due,
                });
              }
            }
          }
          const outcome = res.status < 300 ? 'ok' : slug(res.body);
          expect(outcome, `${JSON.stringify(o)} → ${JSON.stringify(res.body)}`).toBe(expected);
          const position = await inventoryOf(t, r.mineralCode);
          expect(position).toMatchObject({
            onHand: normalize(onHand),
            reserved: normalize(reserved),
            drawable: normalize(max(dec('0'), onHand.minus(reserved).minus(FLOOR))),
          });
        }
        expect(dec(await ledgerSum(t, r.mineralCode)).eq(onHand)).toBe(true);
        for (const [i, c] of companies.entries()) {
          const list = await t.api.get(`/v1/obligations?limit=200`).set(bearer(c.token));
          const apiOutstanding = list.body.data.reduce(
            (s: Decimal, o: { quantityOutstanding: string; mineralCode: string }) =>
              o.mineralCode === r.mineralCode ? s.plus(o.quantityOutstanding) : s,
            dec('0'),
          );
          expect(normalize(apiOutstanding)).toBe(normalize(outstandingOf(i)));
        }
      }),
      { numRuns: 15, seed: Number(process.env.FC_SEED ?? 20261121) },
    );
  }, 120_000);
});
