import { type Decimal, type DecimalInput, dec } from '../../domain/decimal.js';
import type { stockMovements } from '../lots/lots.table.js';

export type Movement = Omit<typeof stockMovements.$inferInsert, 'seq'>;

/** One change of a lot's stock; `quantity` is signed (negative for stock leaving the lot). */
export interface LotChange {
  lotId: string;
  depotId: string;
  quantity: DecimalInput;
}

/**
 * The ledger's rule: every movement carries the mineral's on-hand after it (`balanceAfter`), so a
 * mineral's rows in seq order replay its on-hand. Builds the rows for changes of one mineral made
 * together (in the order given) and returns them with the on-hand after the last one.
 */
export function ledgerMovements(
  onHandBefore: DecimalInput,
  changes: readonly LotChange[],
  entry: Pick<Movement, 'at' | 'mineralCode' | 'kind' | 'reference'>,
): { movements: Movement[]; onHandAfter: Decimal } {
  let onHand = dec(onHandBefore);
  const movements = changes.map((change) => {
    onHand = onHand.plus(change.quantity);
    return {
      ...entry,
      depotId: change.depotId,
      lotId: change.lotId,
      quantity: dec(change.quantity).toFixed(),
      balanceAfter: onHand.toFixed(),
    };
  });
  return { movements, onHandAfter: onHand };
}
