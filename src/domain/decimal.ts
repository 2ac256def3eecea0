import { Decimal as DecimalJs } from 'decimal.js';

/**
 * The one decimal type of the service. Quantities and money never touch `Number`: they arrive as
 * strings, are computed here with decimal.js (50 significant digits, far above numeric(22,4)), and
 * leave as normalised strings (no exponent, no leading `+`, no trailing zeros).
 */
export const Decimal = DecimalJs.clone({
  precision: 50,
  rounding: DecimalJs.ROUND_HALF_EVEN,
  toExpNeg: -100,
  toExpPos: 100,
});
export type Decimal = InstanceType<typeof Decimal>;
export type DecimalInput = string | Decimal;

export const dec = (value: DecimalInput): Decimal => new Decimal(value);

export const ZERO = new Decimal(0);

/**
 * Normalised text of a quantity or unit price: `"10.500"` → `"10.5"`, `"0.000"` and `"-0.000"` → `"0"`
 * (decimal.js prints a negative zero without its sign; test/unit/decimal.test.ts holds it to that).
 */
export const normalize = (value: DecimalInput): string =>
  typeof value === 'string' && PLAIN.test(value) ? trimPlain(value) : new Decimal(value).toFixed();

/** Money is always printed with exactly 2 fractional digits, rounded half-even. */
export const toMoney = (value: DecimalInput): string =>
  typeof value === 'string' && PLAIN_MONEY.test(value)
    ? value
    : new Decimal(value).toDecimalPlaces(2, Decimal.ROUND_HALF_EVEN).toFixed(2);

// Most values reaching `normalize` and `toMoney` are PostgreSQL's text of a numeric column: plain
// notation that only needs its trailing fractional zeros trimmed (or, for money, nothing at all).
// decimal.js parsing and printing each one was a tenth of a draws page's CPU (BENCHMARKS.md,
// issue 12); test/unit/decimal.test.ts holds these shortcuts equal to decimal.js on any such text.
const PLAIN = /^-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?$/;
const PLAIN_MONEY = /^(?:0|-?[1-9][0-9]*|-?0(?=\.[0-9]*[1-9]))\.[0-9]{2}$/;

function trimPlain(text: string): string {
  const dot = text.indexOf('.');
  let end = text.length;
  if (dot !== -1) {
    while (text.charCodeAt(end - 1) === 48 /* 0 */) end--;
    if (end === dot + 1) end = dot;
  }
  const trimmed = end === text.length ? text : text.slice(0, end);
  return trimmed === '-0' ? '0' : trimmed;
}

export const sum = (values: Iterable<DecimalInput>): Decimal => {
  let total = ZERO;
  for (const v of values) total = total.plus(v);
  return total;
};

export const max = (a: Decimal, b: Decimal): Decimal => (a.gte(b) ? a : b);
export const min = (a: Decimal, b: Decimal): Decimal => (a.lte(b) ? a : b);
