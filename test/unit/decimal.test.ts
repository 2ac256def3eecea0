import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Decimal, dec, max, min, normalize, sum, toMoney, ZERO } from '../../src/domain/decimal.js';

describe('the decimal module', () => {
  it('keeps 50 significant digits', () => {
    expect(dec('956686333.345').times('46097.8571').toFixed()).toBe('44101189884060.7749995');
    expect(dec('1').dividedBy(3).toFixed()).toBe(`0.${'3'.repeat(50)}`);
  });
  it('rounds half-even at its precision limit', () => {
    // 51 significant digits, ending in a 5: rounded to 50, half-even keeps the even neighbour.
    expect(
      dec(`1${'0'.repeat(48)}05`)
        .plus(0)
        .toFixed(),
    ).toBe(`1${'0'.repeat(50)}`);
    expect(
      dec(`1${'0'.repeat(48)}15`)
        .plus(0)
        .toFixed(),
    ).toBe(`1${'0'.repeat(48)}20`);
    expect(new Decimal('2.5').toDecimalPlaces(0).toFixed()).toBe('2');
    expect(new Decimal('3.5').toDecimalPlaces(0).toFixed()).toBe('4');
  });
  it('never prints an exponent', () => {
    expect(dec('1e21').toString()).toBe('1000000000000000000000');
    expect(dec('1e-7').toString()).toBe('0.0000001');
    expect(dec('1e-40').toString()).toBe(`0.${'0'.repeat(39)}1`);
  });
  it('normalises quantities', () => {
    expect(normalize('10.500')).toBe('10.5');
    expect(normalize('0.000')).toBe('0');
    expect(normalize('-0.000')).toBe('0');
    expect(normalize(dec('-1').times(0))).toBe('0');
    expect(normalize(dec('-0.0001').toDecimalPlaces(2))).toBe('0');
    expect(normalize('-1.50')).toBe('-1.5');
    expect(normalize('1e3')).toBe('1000');
    expect(normalize(dec('0.1').plus('0.2'))).toBe('0.3');
  });
  it('prints money with two decimals, rounded half-even', () => {
    expect(toMoney('0.125')).toBe('0.12');
    expect(toMoney('0.135')).toBe('0.14');
    expect(toMoney('7')).toBe('7.00');
  });
  it('sums, and picks the larger or smaller', () => {
    expect(sum(['1.1', dec('2.2'), '-0.3']).toFixed()).toBe('3');
    expect(sum([]).toFixed()).toBe('0');
    expect(ZERO.isZero()).toBe(true);
    expect(max(dec('2'), dec('3')).toFixed()).toBe('3');
    expect(max(dec('3'), dec('2')).toFixed()).toBe('3');
    expect(min(dec('2'), dec('3')).toFixed()).toBe('2');
    expect(min(dec('3'), dec('2')).toFixed()).toBe('2');
    const a = dec('2.0');
    expect(max(a, dec('2'))).toBe(a);
    expect(min(a, dec('2'))).toBe(a);
  });
});

describe('the shortcuts for PostgreSQL numeric text', () => {
  // Plain notation as PostgreSQL prints a numeric, and near misses that must take decimal.js's path.
  const plainText = fc
    .tuple(
      fc.boolean(),
      fc.oneof(fc.constant('0'), fc.stringMatching(/^[1-9][0-9]{0,30}$/)),
      fc.option(fc.stringMatching(/^[0-9]{1,12}$/)),
    )
    .map(
      ([negative, whole, fraction]) =>
        `${negative ? '-' : ''}${whole}${fraction === null ? '' : `.${fraction}`}`,
    );
  const anyNumberText = fc.oneof(
    plainText,
    fc.stringMatching(/^[-+]?[0-9]{0,4}(\.[0-9]{0,4})?(e[-+]?[0-9]{1,2})?$/).filter((t) => {
      try {
        new Decimal(t);
        return true;
      } catch {
        return false;
      }
    }),
  );

  it('normalize prints what decimal.js prints', () => {
    fc.assert(
      fc.property(anyNumberText, (text) => {
        expect(normalize(text)).toBe(new Decimal(text).toFixed());
      }),
      { numRuns: 5000 },
    );
  });
  it('toMoney prints what decimal.js prints', () => {
    fc.assert(
      fc.property(anyNumberText, (text) => {
        expect(toMoney(text)).toBe(new Decimal(text).toDecimalPlaces(2, Decimal.ROUND_HALF_EVEN).toFixed(2));
      }),
      { numRuns: 5000 },
    );
    for (const text of ['-0.00', '0.00', '-0.01', '-10.00', '00.10', '1.005'])
      expect(toMoney(text)).toBe(new Decimal(text).toDecimalPlaces(2, Decimal.ROUND_HALF_EVEN).toFixed(2));
  });
});
