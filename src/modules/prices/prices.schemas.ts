import { z } from 'zod';
import { dec, normalize } from '../../domain/decimal.js';
import {
  DecimalOut,
  MineralCode,
  PageQuery,
  page,
  Text,
  Timestamp,
  TimestampOut,
  Uuid,
} from '../../http/schemas.js';
import type { MarketPriceRow } from './prices.table.js';

/** A unit price that must be > 0 (market prices, floors): at most 4 fractional digits. */
export const PositiveUnitPrice = z
  .string()
  .regex(/^\d{1,15}(\.\d{1,4})?$/, {
    message: 'must be a decimal string with at most 15 integer and 4 fractional digits, e.g. "812.5"',
    abort: true,
  })
  .refine((v) => dec(v).gt(0), 'must be greater than 0')
  .meta({ example: '812.5', description: 'Decimal string, > 0, at most 4 fractional digits' });

export const PriceRecord = z.strictObject({
  price: PositiveUnitPrice.meta({ description: 'USD per unit of the mineral', example: '812.5' }),
  asOf: Timestamp.optional().meta({
    description: 'When the price was observed (default: now; a time in the future is refused)',
  }),
  source: Text(100).meta({
    description: 'Where the price comes from (benchmark, assessment…)',
    example: 'Fastmarkets 4N Rotterdam',
  }),
});
export type PriceRecord = z.infer<typeof PriceRecord>;

export const MarketPrice = z
  .object({
    id: z.uuid(),
    mineralCode: z.string(),
    price: DecimalOut,
    currency: z.literal('USD'),
    asOf: TimestampOut,
    source: z.string(),
    createdAt: TimestampOut,
  })
  .meta({ id: 'MarketPrice' });
export type MarketPrice = z.infer<typeof MarketPrice>;

export const MarketPriceList = page(MarketPrice);
export const PriceListQuery = z.strictObject({
  ...PageQuery,
  from: Timestamp.optional().meta({ description: 'Only prices with asOf at or after this time' }),
  to: Timestamp.optional().meta({ description: 'Only prices with asOf before this time' }),
});
export type PriceListQuery = z.infer<typeof PriceListQuery>;
export const PriceMineralParams = z.strictObject({ code: MineralCode });
export const PriceParams = z.strictObject({ code: MineralCode, id: Uuid });

export const priceView = (row: MarketPriceRow): MarketPrice => ({
  id: row.id,
  mineralCode: row.mineralCode,
  price: normalize(row.price),
  currency: 'USD',
  asOf: row.asOf.toISOString(),
  source: row.source,
  createdAt: row.createdAt.toISOString(),
});
