import { Decimal, type DecimalInput, dec, max, ZERO } from '../../domain/decimal.js';

/**
 * The market figures, as pure functions of plain values: coverage, hedge value, floor gap, origin
 * shares and the per-mineral valuation. Every figure is computed exactly with decimal.js and rounded
 * once, at the end, by the rule its field names (half-even for money and shares, down for coverage
 * days, up for the quantity still to procure).
 */

/** Money: exact value rounded half-even to cents, printed with exactly 2 decimals (never "-0.00"). */
export const roundMoney = (value: DecimalInput): string => {
  const rounded = dec(value).toDecimalPlaces(2, Decimal.ROUND_HALF_EVEN);
  return (rounded.isZero() ? ZERO : rounded).toFixed(2);
};

/** Normalised text of a decimal that may have come out of arithmetic as "-0". */
const plain = (value: Decimal): string => (value.isZero() ? '0' : value.toFixed());

/**
 * A draw's hedge value: (marketPrice − unitPrice) × quantity, half-even to cents; negative when the
 * member pays more than the market; null when the mineral had no market price at submission.
 */
export const hedgeValue = (
  marketPrice: DecimalInput | null,
  unitPrice: DecimalInput,
  quantity: DecimalInput,
): string | null =>
  marketPrice === null ? null : roundMoney(dec(marketPrice).minus(unitPrice).times(quantity));

export interface CoverageInput {
  /** onHand − reserved. */
  available: DecimalInput;
  dailyConsumption: DecimalInput | null;
  targetCoverageDays: number;
}

/** Days of national consumption the available stock covers, rounded DOWN to 1 decimal; null without consumption. */
export const coverageDays = (c: CoverageInput): string | null => {
  if (c.dailyConsumption === null) return null;
  const available = dec(c.available);
  if (available.lte(0)) return '0';
  // ⌊available × 10 ÷ daily⌋ ÷ 10: an exact integer division, about twice as cheap as dividing to
  // 50 significant digits and then rounding down (it runs for every position of every inventory read).
  return plain(available.times(10).dividedToIntegerBy(c.dailyConsumption).dividedBy(10));
};

/**
 * The quantity still to procure to reach the target: max(0, target × daily − available), rounded UP
 * to 3 decimals (a quantity is never understated); null without consumption.
 */
export const coverageGap = (c: CoverageInput): Decimal | null => {
  if (c.dailyConsumption === null) return null;
  const gap = dec(c.dailyConsumption).times(c.targetCoverageDays).minus(c.available);
  return max(ZERO, gap).toDecimalPlaces(3, Decimal.ROUND_UP);
};

/** What the floor is above the market, per unit: max(0, floor − market); null without either. */
export const floorGap = (
  floorPrice: DecimalInput | null,
  marketPrice: DecimalInput | null,
): Decimal | null =>
  floorPrice === null || marketPrice === null ? null : max(ZERO, dec(floorPrice).minus(marketPrice));

/** A country's share of the mineral's on-hand stock, half-even to exactly 4 decimals ("0.6250"). */
export const share = (part: DecimalInput, total: DecimalInput): string =>
  dec(part).dividedBy(total).toDecimalPlaces(4, Decimal.ROUND_HALF_EVEN).toFixed(4);

/** What the valuation statement reads per mineral: exact, unrounded values. */
export interface ValuationInput {
  mineralCode: string;
  unit: 'kg' | 't';
  onHand: DecimalInput;
  reserved: DecimalInput;
  /** Σ quantityOnHand × unitCost over lots with a unit cost (exact). */
  bookValue: DecimalInput;
  /** Σ quantityOnHand of lots with a unit cost. */
  costedOnHand: DecimalInput;
  /** Σ quantityOnHand of lots without one. */
  unvaluedOnHand: DecimalInput;
  marketPrice: DecimalInput | null;
  floorPrice: DecimalInput | null;
  dailyConsumption: DecimalInput | null;
  targetCoverageDays: number;
}

export interface MineralValuation {
  mineralCode: string;
  unit: 'kg' | 't';
  onHand: string;
  bookValue: string;
  unvaluedQuantity: string;
  marketPrice: string | null;
  marketValue: string | null;
  unrealizedGain: string | null;
  floorPrice: string | null;
  floorGap: string | null;
  floorSupportCost: string | null;
}

/**
 * One mineral's valuation. Each money figure is computed exactly and rounded half-even once:
 * marketValue = onHand × market; unrealizedGain = Σ costed lots qty × (market − unitCost), which is
 * market × costedOnHand − bookValue exactly (stock received in kind is no gain); floorSupportCost =
 * floorGap × coverageGap (coverageGap already rounded up to 3 decimals, as the inventory shows it).
 */
export function valueMineral(v: ValuationInput): MineralValuation {
  const market = v.marketPrice === null ? null : dec(v.marketPrice);
  const gapPerUnit = floorGap(v.floorPrice, v.marketPrice);
  const toProcure = coverageGap({
    available: dec(v.onHand).minus(v.reserved),
    dailyConsumption: v.dailyConsumption,
    targetCoverageDays: v.targetCoverageDays,
  });
  return {
    mineralCode: v.mineralCode,
    unit: v.unit,
    onHand: plain(dec(v.onHand)),
    bookValue: roundMoney(v.bookValue),
    unvaluedQuantity: plain(dec(v.unvaluedOnHand)),
    marketPrice: market === null ? null : plain(market),
    marketValue: market === null ? null : roundMoney(market.times(v.onHand)),
    unrealizedGain: market === null ? null : roundMoney(market.times(v.costedOnHand).minus(v.bookValue)),
    floorPrice: v.floorPrice === null ? null : plain(dec(v.floorPrice)),
    floorGap: gapPerUnit === null ? null : plain(gapPerUnit),
    floorSupportCost:
      gapPerUnit === null || toProcure === null ? null : roundMoney(gapPerUnit.times(toProcure)),
  };
}

export interface ValuationTotals {
  bookValue: string;
  marketValue: string;
  unrealizedGain: string;
  floorSupportCost: string;
  unpricedMineralCodes: string[];
}

/** Totals add the minerals' rounded, non-null figures ("0.00" when there are none). */
export function valuationTotals(minerals: MineralValuation[]): ValuationTotals {
  const add = (pick: (m: MineralValuation) => string | null) => {
    let total = ZERO;
    for (const m of minerals) {
      const value = pick(m);
      if (value !== null) total = total.plus(value);
    }
    return roundMoney(total);
  };
  return {
    bookValue: add((m) => m.bookValue),
    marketValue: add((m) => m.marketValue),
    unrealizedGain: add((m) => m.unrealizedGain),
    floorSupportCost: add((m) => m.floorSupportCost),
    unpricedMineralCodes: minerals
      .filter((m) => m.marketPrice === null)
      .map((m) => m.mineralCode)
      .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)),
  };
}
