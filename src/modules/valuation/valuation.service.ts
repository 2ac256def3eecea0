import type { Deps } from '../../deps.js';
import { valuationInputs } from './valuation.repository.js';
import { valuationTotals, valueMineral } from './valuation.rules.js';
import type { Valuation } from './valuation.schemas.js';

export function createValuationService({ db, clock }: Deps) {
  return {
    /**
     * What the stock is worth now: the data in one statement, each money figure rounded half-even
     * once per mineral, totals the sum of the rounded non-null figures.
     */
    async now(): Promise<Valuation> {
      const asOf = clock.now();
      const minerals = (await valuationInputs(db, asOf)).map(valueMineral);
      return { asOf: asOf.toISOString(), currency: 'USD', minerals, totals: valuationTotals(minerals) };
    },
  };
}
