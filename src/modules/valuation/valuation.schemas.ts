import { z } from 'zod';
import { DecimalOut, TimestampOut } from '../../http/schemas.js';

const MoneyOut = DecimalOut.meta({ description: 'USD, exactly 2 decimals', example: '1250.00' });

export const MineralValuation = z
  .object({
    mineralCode: z.string(),
    unit: z.enum(['kg', 't']),
    onHand: DecimalOut,
    bookValue: MoneyOut.meta({ description: 'Σ quantityOnHand × unitCost over lots with a unit cost' }),
    unvaluedQuantity: DecimalOut.meta({ description: 'Σ quantityOnHand of lots without a unit cost' }),
    marketPrice: DecimalOut.nullable(),
    marketValue: MoneyOut.nullable().meta({
      description: 'onHand × marketPrice; null without a market price',
    }),
    unrealizedGain: MoneyOut.nullable().meta({
      description:
        'Σ over lots with a unit cost of quantityOnHand × (marketPrice − unitCost); null without a market price',
    }),
    floorPrice: DecimalOut.nullable(),
    floorGap: DecimalOut.nullable().meta({
      description: 'max(0, floorPrice − marketPrice) per unit; null without either',
    }),
    floorSupportCost: MoneyOut.nullable().meta({
      description: 'floorGap × coverageGap; null without a market price, a floor or a daily consumption',
    }),
  })
  .meta({ id: 'MineralValuation' });

export const Valuation = z
  .object({
    asOf: TimestampOut,
    currency: z.literal('USD'),
    minerals: z.array(MineralValuation),
    totals: z.object({
      bookValue: MoneyOut,
      marketValue: MoneyOut,
      unrealizedGain: MoneyOut,
      floorSupportCost: MoneyOut,
      unpricedMineralCodes: z.array(z.string()),
    }),
  })
  .meta({ id: 'Valuation' });
export type Valuation = z.infer<typeof Valuation>;
