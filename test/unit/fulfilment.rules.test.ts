import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { dec } from '../../src/domain/decimal.js';
import {
  aboveFloor,
  allocateExplicit,
  allocateFifo,
  allocationRequestError,
  checkDraw,
  type DrawCheckInput,
} from '../../src/modules/draws/draws.rules.js';
import { ledgerMovements } from '../../src/modules/ledger/ledger.rules.js';
import { replenishmentObligation } from '../../src/modules/obligations/obligations.rules.js';

/** The pure steps of a fulfilment (issue 13, item 4) and the figures a refusal carries (item 7). */

const at = new Date('2026-01-01T00:00:00Z');
const lots = [
  { id: 'lot-a', depotId: 'd1', quantityOnHand: '10.5', receivedAt: at },
  { id: 'lot-b', depotId: 'd2', quantityOnHand: '3', receivedAt: at },
];

describe('explicit allocations', () => {
  it('must sum exactly to the draw quantity', () => {
    expect(allocationRequestError('12', [{ lotId: 'lot-a', quantity: '10' }])).toBe(
      "must sum to the draw's quantity 12 (they sum to 10)",
    );
    expect(
      allocationRequestError('12.000', [
        { lotId: 'lot-a', quantity: '10' },
        { lotId: 'lot-b', quantity: '2.001' },
      ]),
    ).toBe("must sum to the draw's quantity 12 (they sum to 12.001)");
    expect(
      allocationRequestError('12', [
        { lotId: 'lot-a', quantity: '10' },
        { lotId: 'lot-b', quantity: '2' },
      ]),
    ).toBeNull();
  });
  it('must name each lot at most once, checked after the sum', () => {
    const twice = [
      { lotId: 'lot-a', quantity: '6' },
      { lotId: 'lot-a', quantity: '6' },
    ];
    expect(allocationRequestError('12', twice)).toBe('must name each lot at most once');
    expect(allocationRequestError('11', twice)).toMatch(/^must sum/);
  });
  it('are taken as given when every lot covers its share, exactly to the last thousandth', () => {
    const result = allocateExplicit(lots, [
      { lotId: 'lot-b', quantity: '3' },
      { lotId: 'lot-a', quantity: '10.5' },
    ]);
    expect('allocations' in result && result.allocations.map((a) => [a.lotId, a.quantity.toFixed()])).toEqual(
      [
        ['lot-b', '3'],
        ['lot-a', '10.5'],
      ],
    );
  });
  it('name the first lot that cannot cover its share, and what it holds', () => {
    const short = allocateExplicit(lots, [
      { lotId: 'lot-a', quantity: '1' },
      { lotId: 'lot-b', quantity: '3.001' },
      { lotId: 'lot-a', quantity: '99' },
    ]);
    expect('shortfall' in short && short.shortfall).toEqual({
      allocation: { lotId: 'lot-b', quantity: '3.001' },
      quantityOnHand: dec('3'),
    });
    // A lot that is not a stocked lot of the mineral holds none of it.
    const foreign = allocateExplicit(lots, [{ lotId: 'elsewhere', quantity: '1' }]);
    expect('shortfall' in foreign && foreign.shortfall.quantityOnHand.toFixed()).toBe('0');
  });
});

describe('FIFO allocation', () => {
  it('orders lots received at the same time by id, whatever order they arrive in (property)', () => {
    const ids = ['lot-1', 'lot-2', 'lot-3', 'lot-4', 'lot-5', 'lot-6'];
    fc.assert(
      fc.property(fc.shuffledSubarray(ids, { minLength: ids.length }), (shuffled) => {
        const lots = shuffled.map((id) => ({ id, depotId: 'd1', quantityOnHand: '2', receivedAt: at }));
        expect(allocateFifo(lots, '7', 'd1')?.map((a) => [a.lotId, a.quantity.toFixed()])).toEqual([
          ['lot-1', '2'],
          ['lot-2', '2'],
          ['lot-3', '2'],
          ['lot-4', '1'],
        ]);
      }),
    );
  });
});

describe('ledger movements', () => {
  it('carry the running on-hand after each change, in the order given', () => {
    const entry = { at, mineralCode: 'GA', kind: 'draw' as const, reference: 'draw-1' };
    const { movements, onHandAfter } = ledgerMovements(
      '100.25',
      [
        { lotId: 'lot-a', depotId: 'd1', quantity: dec('-10.5') },
        { lotId: 'lot-b', depotId: 'd2', quantity: '-0.75' },
      ],
      entry,
    );
    expect(movements).toEqual([
      { ...entry, lotId: 'lot-a', depotId: 'd1', quantity: '-10.5', balanceAfter: '89.75' },
      { ...entry, lotId: 'lot-b', depotId: 'd2', quantity: '-0.75', balanceAfter: '89' },
    ]);
    expect(onHandAfter.toFixed()).toBe('89');
    expect(ledgerMovements('5', [], entry)).toEqual({ movements: [], onHandAfter: dec('5') });
  });
});

describe('the replenishment obligation', () => {
  it('is the quantity plus the premium rounded up, due replenishmentDays after fulfilment, open', () => {
    const draw = {
      id: 'draw-1',
      companyId: 'company-1',
      mineralCode: 'GA',
      quantity: '200.5',
      premiumPercent: '2.5',
      replenishmentDays: 90,
    };
    expect(replenishmentObligation(draw, 'obligation-1', at)).toEqual({
      id: 'obligation-1',
      companyId: 'company-1',
      drawId: 'draw-1',
      mineralCode: 'GA',
      quantityDue: '205.513',
      quantityDelivered: '0',
      dueAt: new Date('2026-04-01T00:00:00Z'),
      status: 'open',
      settlementAmount: null,
      settlementReason: null,
      createdAt: at,
      updatedAt: at,
    });
  });
});

describe('refusal figures', () => {
  const input: DrawCheckInput = {
    companyStatus: 'active',
    hasOverdueObligation: false,
    agreement: { maxOutstanding: '200', routineLimitPercent: '40' },
    held: '30.000',
    queued: '12.5',
    outstanding: '20.500',
    quantity: '20',
    position: { onHand: '100', reserved: '30', minimumReserve: '60.25' },
    level: 'none',
    queue: false,
  };
  it('entitlement-exceeded: the routine cap, each part of what is committed, and the room left', () => {
    // cap = 200 × 40 % = 80; committed = 30 + 12.5 + 20.5 = 63; room 17.
    expect(checkDraw(input)?.fields).toEqual({
      cap: '80',
      held: '30',
      queued: '12.5',
      outstanding: '20.5',
      requested: '20',
      remaining: '17',
    });
  });
  it('entitlement-exceeded at emergency: the whole maxOutstanding is the cap, and the detail says so', () => {
    const refusal = checkDraw({ ...input, level: 'emergency', queue: true, quantity: '137.001' });
    expect(refusal?.fields).toMatchObject({ cap: '200', requested: '137.001', remaining: '137' });
    expect(refusal?.detail).toBe(
      "The draw would exceed the agreement's maxOutstanding 200; at most 137 more may be drawn now.",
    );
  });
  it('the stock a round hands out by default is what lies above the floor, whatever the level', () => {
    expect(aboveFloor(input.position).toFixed()).toBe('9.75');
    expect(aboveFloor({ onHand: '10', reserved: '8', minimumReserve: '5' }).toFixed()).toBe('0');
  });
  it('insufficient-stock: what was asked and what is drawable', () => {
    // drawable = 100 − 30 − 60.25 = 9.75
    expect(checkDraw({ ...input, quantity: '9.751' })?.fields).toEqual({
      requested: '9.751',
      drawable: '9.75',
    });
  });
});
