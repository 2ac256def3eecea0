import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { dec } from '../../src/domain/decimal.js';
import {
  allocateFifo,
  checkDraw,
  drawAmount,
  drawable,
  entitlementCap,
  type Level,
  nextStatus,
  quantityDue,
  queues,
  repriceAllocated,
} from '../../src/modules/draws/draws.rules.js';
import { isOverdue, statusAfterDelivery } from '../../src/modules/obligations/obligations.rules.js';

describe('pricing and premium', () => {
  it('rounds amount half-even to cents', () => {
    expect(drawAmount('200.5', '110.25').toFixed(2)).toBe('22105.12'); // …125 → even
    expect(drawAmount('200.5', '110.27').toFixed(2)).toBe('22109.14'); // 22109.135 → even 4
    expect(drawAmount('1', '0.0050').toFixed(2)).toBe('0.00');
    expect(drawAmount('1', '0.0150').toFixed(2)).toBe('0.02');
    expect(drawAmount('999999999.999', '9999.9999').toFixed(2)).toBe('9999999899990.00');
  });
  it('rounds quantityDue up to 3 decimals', () => {
    expect(quantityDue('200.5', '2.5').toFixed()).toBe('205.513');
    expect(quantityDue('100', '0').toFixed()).toBe('100');
    expect(quantityDue('0.001', '0.01').toFixed()).toBe('0.002');
    expect(quantityDue('10', '100').toFixed()).toBe('20');
  });
  it('never rounds quantityDue below the exact value (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 10 ** 12 }),
        fc.integer({ min: 0, max: 10_000 }),
        (thousandths, hundredthsPercent) => {
          const q = dec(String(thousandths)).dividedBy(1000);
          const p = dec(String(hundredthsPercent)).dividedBy(100);
          const exact = q.times(dec('1').plus(p.dividedBy(100)));
          const due = quantityDue(q, p);
          return due.gte(exact) && due.minus(exact).lt('0.001') && due.decimalPlaces() <= 3;
        },
      ),
    );
  });
});

describe('submission checks', () => {
  const base = {
    companyStatus: 'active' as const,
    hasOverdueObligation: false,
    agreement: { maxOutstanding: '100', routineLimitPercent: '100' },
    held: '0',
    queued: '0',
    outstanding: '0',
    quantity: '10',
    position: { onHand: '100', reserved: '0', minimumReserve: '0' },
    level: 'none' as Level,
    queue: false,
  };
  it('runs in the contract order', () => {
    const all = {
      ...base,
      companyStatus: 'suspended' as const,
      hasOverdueObligation: true,
      agreement: null,
      quantity: '1000',
    };
    expect(checkDraw(all)?.kind).toBe('company-inactive');
    expect(checkDraw({ ...all, companyStatus: 'active' })?.kind).toBe('obligations-overdue');
    expect(checkDraw({ ...all, companyStatus: 'active', hasOverdueObligation: false })?.kind).toBe(
      'no-agreement',
    );
    expect(checkDraw({ ...base, quantity: '1000' })?.kind).toBe('entitlement-exceeded');
    expect(
      checkDraw({
        ...base,
        agreement: { maxOutstanding: '10000', routineLimitPercent: '100' },
        quantity: '1000',
      })?.kind,
    ).toBe('insufficient-stock');
    expect(checkDraw(base)).toBeNull();
  });
  it('counts held and outstanding (premium included) against maxOutstanding, inclusively', () => {
    expect(checkDraw({ ...base, held: '40', outstanding: '50', quantity: '10' })).toBeNull();
    expect(checkDraw({ ...base, held: '40', outstanding: '50.001', quantity: '10' })?.kind).toBe(
      'entitlement-exceeded',
    );
  });
  it('keeps the strategic floor', () => {
    expect(drawable({ onHand: '100', reserved: '30', minimumReserve: '60' }).toFixed()).toBe('10');
    expect(drawable({ onHand: '100', reserved: '50', minimumReserve: '60' }).toFixed()).toBe('0');
    expect(drawable({ onHand: '100', reserved: '50', minimumReserve: '60' }, 'alert').toFixed()).toBe('0');
  });
  it('releases the floor at emergency: drawable = available', () => {
    expect(drawable({ onHand: '100', reserved: '30', minimumReserve: '60' }, 'emergency').toFixed()).toBe(
      '70',
    );
  });
  it('counts queued draws in the cap, inclusively', () => {
    expect(checkDraw({ ...base, held: '40', queued: '40', outstanding: '10', quantity: '10' })).toBeNull();
    expect(
      checkDraw({ ...base, held: '40', queued: '40.001', outstanding: '10', quantity: '10' })?.kind,
    ).toBe('entitlement-exceeded');
  });
  it('caps routine draws at maxOutstanding × routineLimitPercent / 100 rounded down, the whole at emergency', () => {
    const terms = { maxOutstanding: '10.001', routineLimitPercent: '33.33' };
    // 10.001 × 0.3333 = 3.3333333 → 3.333
    expect(entitlementCap(terms, 'none').toFixed()).toBe('3.333');
    expect(entitlementCap(terms, 'alert').toFixed()).toBe('3.333');
    expect(entitlementCap(terms, 'emergency').toFixed()).toBe('10.001');
    const at = (level: Level, quantity: string) =>
      checkDraw({
        ...base,
        agreement: terms,
        level,
        quantity,
        position: { ...base.position, onHand: '1000' },
      });
    expect(at('none', '3.333')).toBeNull();
    expect(at('none', '3.334')?.kind).toBe('entitlement-exceeded');
    expect(at('alert', '3.334')?.kind).toBe('entitlement-exceeded');
    expect(at('emergency', '10.001')).toBeNull();
    expect(at('emergency', '10.002')?.kind).toBe('entitlement-exceeded');
  });
  it('skips the stock check of a queued submission, but not the others', () => {
    expect(
      checkDraw({ ...base, quantity: '99', position: { ...base.position, onHand: '1' }, queue: true }),
    ).toBeNull();
    expect(checkDraw({ ...base, quantity: '101', queue: true })?.kind).toBe('entitlement-exceeded');
    expect(checkDraw({ ...base, companyStatus: 'suspended', queue: true })?.kind).toBe('company-inactive');
  });
  it('queues at emergency, and at any level while the mineral has queued draws', () => {
    expect(queues('emergency', '0')).toBe(true);
    expect(queues('none', '0')).toBe(false);
    expect(queues('alert', '0')).toBe(false);
    expect(queues('none', '0.001')).toBe(true);
    expect(queues('alert', '5')).toBe(true);
  });
  it('re-prices an allocated draw on its allocation', () => {
    expect(repriceAllocated({ unitPrice: '110.25', marketPrice: null }, '200.5')).toEqual({
      quantity: '200.5',
      amount: '22105.12',
      hedgeValue: null,
    });
    // (812.5 − 750.5) × 12.345 = 765.39, and it follows the allocation, not the request.
    expect(repriceAllocated({ unitPrice: '750.5', marketPrice: '812.5' }, '12.345')).toEqual({
      quantity: '12.345',
      amount: '9264.92',
      hedgeValue: '765.39',
    });
  });
});

describe('transitions', () => {
  it('follows the table', () => {
    expect(nextStatus('pending', 'approve')).toBe('approved');
    expect(nextStatus('approved', 'approve')).toBeNull();
    expect(nextStatus('pending', 'fulfil')).toBeNull();
    expect(nextStatus('approved', 'fulfil')).toBe('fulfilled');
    expect(nextStatus('approved', 'cancel')).toBe('cancelled');
    expect(nextStatus('approved', 'cancel', true)).toBeNull();
    expect(nextStatus('queued', 'cancel', true)).toBe('cancelled');
    expect(nextStatus('queued', 'cancel')).toBe('cancelled');
    expect(nextStatus('queued', 'approve')).toBeNull();
    expect(nextStatus('queued', 'reject')).toBeNull();
    expect(nextStatus('queued', 'fulfil')).toBeNull();
    expect(nextStatus('rejected', 'cancel')).toBeNull();
    expect(nextStatus('fulfilled', 'reject')).toBeNull();
  });
});

describe('FIFO allocation', () => {
  const lot = (id: string, depotId: string, q: string, day: number) => ({
    id,
    depotId,
    quantityOnHand: q,
    receivedAt: new Date(Date.UTC(2025, 0, day)),
  });
  it('prefers the draw depot, then the oldest', () => {
    const lots = [lot('a', 'D1', '5', 3), lot('b', 'D2', '5', 1), lot('c', 'D1', '5', 2)];
    expect(allocateFifo(lots, '12', 'D1')?.map((a) => [a.lotId, a.quantity.toFixed()])).toEqual([
      ['c', '5'],
      ['a', '5'],
      ['b', '2'],
    ]);
    expect(allocateFifo(lots, '15.001', null)).toBeNull();
  });
  it('always covers exactly the quantity when stock suffices (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 5000 }), { minLength: 1, maxLength: 12 }),
        fc.nat(),
        (qs, pick) => {
          const lots = qs.map((q, i) =>
            lot(`l${i}`, i % 2 ? 'D1' : 'D2', dec(String(q)).dividedBy(1000).toFixed(), i),
          );
          const total = qs.reduce((s, q) => s + q, 0);
          if (total === 0) return true;
          const want = dec(String((pick % total) + 1)).dividedBy(1000);
          const allocation = allocateFifo(lots, want, 'D1')!;
          const taken = allocation.reduce((s, a) => s.plus(a.quantity), dec('0'));
          return taken.eq(want) && allocation.every((a) => a.quantity.gt(0));
        },
      ),
    );
  });
});

describe('obligations', () => {
  const now = new Date('2026-06-01T00:00:00.000Z');
  it('is overdue only while something is outstanding past due and unsettled', () => {
    const o = {
      status: 'open' as const,
      quantityDue: '10',
      quantityDelivered: '2',
      dueAt: new Date('2026-05-31T00:00:00.000Z'),
    };
    expect(isOverdue(o, now)).toBe(true);
    expect(isOverdue({ ...o, status: 'settled' }, now)).toBe(false);
    expect(isOverdue({ ...o, dueAt: new Date('2026-06-02T00:00:00.000Z') }, now)).toBe(false);
    expect(statusAfterDelivery('10', '10')).toBe('fulfilled');
    expect(statusAfterDelivery('10', '9.999')).toBe('partially_fulfilled');
  });
});
