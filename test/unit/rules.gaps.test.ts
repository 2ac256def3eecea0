import { describe, expect, it } from 'vitest';
import { dec } from '../../src/domain/decimal.js';
import {
  allocateFifo,
  checkDraw,
  type DrawCheckInput,
  drawAmount,
  drawable,
  dueAt,
  HOLDING,
  nextStatus,
  quantityDue,
} from '../../src/modules/draws/draws.rules.js';
import {
  isOverdue,
  quantityOutstanding,
  statusAfterDelivery,
  UNSETTLED,
} from '../../src/modules/obligations/obligations.rules.js';

/**
 * The gaps mutation testing found in the rule tests (issue 13, item 10): details a client reads,
 * tie-breaks, boundaries. Each case names the mutant it kills.
 */
const base: DrawCheckInput = {
  companyStatus: 'active',
  hasOverdueObligation: false,
  agreement: { maxOutstanding: '100', routineLimitPercent: '100' },
  held: '30',
  queued: '0',
  outstanding: '50',
  quantity: '10',
  position: { onHand: '40', reserved: '25', minimumReserve: '7.5' },
  level: 'none',
  queue: false,
};

describe('refusal details', () => {
  it('says how much more may be drawn within the entitlement', () => {
    expect(checkDraw({ ...base, quantity: '20.001' })).toEqual({
      kind: 'entitlement-exceeded',
      detail: 'The draw would exceed the routine cap 100; at most 20 more may be drawn now.',
      fields: {
        cap: '100',
        held: '30',
        queued: '0',
        outstanding: '50',
        requested: '20.001',
        remaining: '20',
      },
    });
  });
  it('says zero more, never a negative room, when the company is already over', () => {
    const refusal = checkDraw({ ...base, held: '80', outstanding: '40', quantity: '1' });
    expect(refusal?.detail).toMatch(/at most 0 more may be drawn now\.$/);
    expect(refusal?.fields).toMatchObject({ cap: '100', remaining: '0' });
  });
  it('allows the draw that fills the entitlement exactly', () => {
    expect(checkDraw({ ...base, quantity: '20', position: { ...base.position, onHand: '1000' } })).toBeNull();
  });
  it('says how much is drawable', () => {
    expect(checkDraw({ ...base, quantity: '7.6' })).toEqual({
      kind: 'insufficient-stock',
      detail: 'Only 7.5 is drawable (on hand minus holds minus the strategic floor).',
      fields: { requested: '7.6', drawable: '7.5' },
    });
    expect(checkDraw({ ...base, quantity: '7.5' })).toBeNull();
  });
  it('names each earlier refusal with its own detail', () => {
    expect(checkDraw({ ...base, companyStatus: 'suspended' })).toEqual({
      kind: 'company-inactive',
      detail: 'The company is suspended and may not draw.',
      fields: {},
    });
    expect(checkDraw({ ...base, hasOverdueObligation: true })).toEqual({
      kind: 'obligations-overdue',
      detail: 'The company has an overdue replenishment obligation.',
      fields: {},
    });
    expect(checkDraw({ ...base, agreement: null })).toEqual({
      kind: 'no-agreement',
      detail: 'The company has no active agreement for this mineral.',
      fields: {},
    });
  });
});

describe('drawable', () => {
  it('is never negative', () => {
    expect(drawable({ onHand: '10', reserved: '8', minimumReserve: '5' }).toFixed()).toBe('0');
    expect(drawable({ onHand: '10', reserved: '2', minimumReserve: '5' }).toFixed()).toBe('3');
  });
});

describe('FIFO allocation', () => {
  const at = new Date('2026-01-01T00:00:00Z');
  it('breaks a tie in receivedAt by lot id', () => {
    const lots = [
      { id: 'lot-b', depotId: 'd1', quantityOnHand: '10', receivedAt: at },
      { id: 'lot-a', depotId: 'd1', quantityOnHand: '10', receivedAt: at },
      { id: 'lot-c', depotId: 'd1', quantityOnHand: '10', receivedAt: at },
    ];
    const allocation = allocateFifo(lots, '15', 'd1');
    expect(allocation?.map((a) => [a.lotId, a.quantity.toFixed()])).toEqual([
      ['lot-a', '10'],
      ['lot-b', '5'],
    ]);
    expect(allocateFifo([...lots].reverse(), '15', 'd1')).toEqual(allocation);
  });
  it('gives an empty lot before the covering one no allocation at all', () => {
    const lots = [
      { id: 'empty', depotId: 'd1', quantityOnHand: '0', receivedAt: at },
      { id: 'full', depotId: 'd1', quantityOnHand: '10', receivedAt: new Date(at.getTime() + 1) },
    ];
    expect(allocateFifo(lots, '4', 'd1')?.map((a) => [a.lotId, a.quantity.toFixed()])).toEqual([
      ['full', '4'],
    ]);
  });
  it('stops at the lot that covers the rest', () => {
    const lots = [
      { id: 'a', depotId: 'd1', quantityOnHand: '4', receivedAt: at },
      { id: 'b', depotId: 'd1', quantityOnHand: '4', receivedAt: new Date(at.getTime() + 1) },
      { id: 'c', depotId: 'd1', quantityOnHand: '4', receivedAt: new Date(at.getTime() + 2) },
    ];
    expect(allocateFifo(lots, '8', 'd1')?.map((a) => a.lotId)).toEqual(['a', 'b']);
  });
  it('takes the other depots oldest first, after the draw depot, and with no preference plain FIFO', () => {
    const lots = [
      { id: 'x2', depotId: 'd2', quantityOnHand: '5', receivedAt: new Date(at.getTime() + 5) },
      { id: 'x1', depotId: 'd2', quantityOnHand: '5', receivedAt: at },
      { id: 'own', depotId: 'd1', quantityOnHand: '5', receivedAt: new Date(at.getTime() + 9) },
    ];
    expect(allocateFifo(lots, '12', 'd1')?.map((a) => a.lotId)).toEqual(['own', 'x1', 'x2']);
    expect(allocateFifo(lots, '12', null)?.map((a) => a.lotId)).toEqual(['x1', 'x2', 'own']);
  });
  it('returns null when the lots fall short, and nothing for nothing', () => {
    expect(
      allocateFifo([{ id: 'a', depotId: 'd1', quantityOnHand: '5', receivedAt: at }], '5.001', null),
    ).toBeNull();
    expect(allocateFifo([], '1', null)).toBeNull();
    expect(
      allocateFifo([{ id: 'a', depotId: 'd1', quantityOnHand: '5', receivedAt: at }], '0', null),
    ).toEqual([]);
  });
});

describe('amounts, dates and transitions', () => {
  it('keeps more than 20 significant digits before rounding the amount', () => {
    // 956686333.345 × 46097.8571 = 44101189884060.7749995 exactly: rounded to 20 digits first it would
    // become …060.775000 and round half-even to .78.
    expect(drawAmount('956686333.345', '46097.8571').toFixed(2)).toBe('44101189884060.77');
  });
  it('rounds the quantity due up, not half-way', () => {
    expect(quantityDue('1', '0.0001').toFixed()).toBe('1.001');
  });
  it('is due exactly replenishmentDays days after fulfilment', () => {
    const fulfilled = new Date('2026-03-01T10:00:00.123Z');
    expect(dueAt(fulfilled, 30).toISOString()).toBe('2026-03-31T10:00:00.123Z');
    expect(dueAt(fulfilled, 0).toISOString()).toBe(fulfilled.toISOString());
  });
  it('lets a company cancel only a pending draw, and an admin an approved one too', () => {
    expect(nextStatus('pending', 'cancel', true)).toBe('cancelled');
    expect(nextStatus('approved', 'cancel', true)).toBeNull();
    expect(nextStatus('approved', 'cancel')).toBe('cancelled');
    expect(nextStatus('fulfilled', 'cancel')).toBeNull();
    expect(nextStatus('approved', 'approve', true)).toBeNull();
    expect(nextStatus('pending', 'fulfil')).toBeNull();
    expect(nextStatus('approved', 'fulfil')).toBe('fulfilled');
    expect(nextStatus('pending', 'reject')).toBe('rejected');
    // Only cancel is narrower for a company; the table alone decides every other transition.
    expect(nextStatus('approved', 'fulfil', true)).toBe('fulfilled');
    expect(nextStatus('pending', 'approve', true)).toBe('approved');
  });
  it('holds pending and approved draws only', () => {
    expect([...HOLDING].sort()).toEqual(['approved', 'pending']);
  });
});

describe('obligations', () => {
  const open = { status: 'open' as const, quantityDue: '10', quantityDelivered: '4' };
  const now = new Date('2026-06-01T12:00:00.000Z');
  it('is not overdue at the very instant it falls due, and is one millisecond later', () => {
    expect(isOverdue({ ...open, dueAt: now }, now)).toBe(false);
    expect(isOverdue({ ...open, dueAt: new Date(now.getTime() - 1) }, now)).toBe(true);
  });
  it('is never overdue once settled or delivered in full', () => {
    const past = new Date(now.getTime() - 1);
    expect(isOverdue({ ...open, status: 'settled', dueAt: past }, now)).toBe(false);
    expect(isOverdue({ ...open, status: 'fulfilled', quantityDelivered: '10', dueAt: past }, now)).toBe(
      false,
    );
    expect(isOverdue({ ...open, status: 'partially_fulfilled', dueAt: past }, now)).toBe(true);
    expect(isOverdue({ ...open, quantityDelivered: '10', dueAt: past }, now)).toBe(false);
  });
  it('counts open and partially fulfilled obligations as unsettled', () => {
    expect([...UNSETTLED].sort()).toEqual(['open', 'partially_fulfilled']);
  });
  it('follows deliveries', () => {
    expect(quantityOutstanding('10.5', '4.25').toFixed()).toBe('6.25');
    expect(statusAfterDelivery('10', '0')).toBe('open');
    expect(statusAfterDelivery('10', '0.001')).toBe('partially_fulfilled');
    expect(statusAfterDelivery('10', '10')).toBe('fulfilled');
    expect(statusAfterDelivery('10', '12')).toBe('fulfilled');
    expect(dec(quantityOutstanding('10', '12')).isNegative()).toBe(true);
  });
});
