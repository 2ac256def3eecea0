import { decodeCursor, type Page, toPage } from '../../db/pagination.js';
import { inTransaction } from '../../db/transaction.js';
import type { Db } from '../../db/types.js';
import type { Deps } from '../../deps.js';
import type { Ctx } from '../../domain/actor.js';
import { dec, normalize } from '../../domain/decimal.js';
import { DomainError, notFound } from '../../domain/errors.js';
import { newId } from '../../domain/ids.js';
import { type AuditEntry, appendEvents } from '../audit/audit.repository.js';
import { findDepot } from '../depots/depots.repository.js';
import { ledgerMovements } from '../ledger/ledger.rules.js';
import { lockMineral, updateMineral } from '../minerals/minerals.repository.js';
import type { MineralRow } from '../minerals/minerals.table.js';
import {
  findLot,
  insertAdjustment,
  insertLot,
  listLots,
  lockLot,
  recordMovements,
  setLotOnHand,
} from './lots.repository.js';
import {
  adjustmentView,
  type Lot,
  type LotAdjust,
  type LotAdjustment,
  type LotListQuery,
  type LotReceive,
  lotView,
} from './lots.schemas.js';
import type { LotRow } from './lots.table.js';

export interface IncomingStock {
  depotId: string;
  quantity: string;
  originCountry: string;
  grade?: string;
  unitCost?: string;
  receivedAt?: string;
  reference?: string;
}

/**
 * Puts new stock into a fresh lot of a mineral the caller has locked: lot row, mineral on-hand, one
 * ledger movement and the `lot.received` audit entry (returned for the caller to append last).
 */
export async function receiveStock(
  tx: Db,
  mineral: MineralRow,
  stock: IncomingStock,
  source: LotRow['source'],
  at: Date,
  movementReference: string | null,
): Promise<{ lot: LotRow; audit: AuditEntry }> {
  if (!(await findDepot(tx, stock.depotId))) throw notFound('Depot', stock.depotId);
  const lot = await insertLot(tx, {
    id: newId(),
    mineralCode: mineral.code,
    depotId: stock.depotId,
    quantityReceived: stock.quantity,
    quantityOnHand: stock.quantity,
    originCountry: stock.originCountry,
    grade: stock.grade ?? null,
    unitCost: stock.unitCost ?? null,
    source,
    reference: stock.reference ?? null,
    receivedAt: stock.receivedAt ? new Date(stock.receivedAt) : at,
    createdAt: at,
  });
  const { movements, onHandAfter } = ledgerMovements(
    mineral.onHand,
    [{ lotId: lot.id, depotId: lot.depotId, quantity: stock.quantity }],
    {
      at,
      mineralCode: mineral.code,
      kind: source === 'procurement' ? 'receipt' : 'replenishment',
      reference: movementReference,
    },
  );
  const onHand = onHandAfter.toFixed();
  await updateMineral(tx, mineral.code, { onHand });
  await recordMovements(tx, movements);
  mineral.onHand = onHand;
  return { lot, audit: { action: 'lot.received', entityType: 'lot', entityId: lot.id, data: lotView(lot) } };
}

export function createLotService({ db, clock }: Deps) {
  return {
    /** Receives procured stock into a new lot. */
    receive: (ctx: Ctx, input: LotReceive): Promise<Lot> =>
      inTransaction(db, async (tx) => {
        const mineral = await lockMineral(tx, input.mineralCode);
        if (!mineral) throw notFound('Mineral', input.mineralCode);
        const now = clock.now();
        const { lot, audit } = await receiveStock(tx, mineral, input, 'procurement', now, null);
        await appendEvents(tx, ctx, now, [audit]);
        return lotView(lot);
      }),

    /**
     * Corrects a lot's count after a stock take. Rules: a lot never goes below zero, and the mineral's
     * on-hand never goes below what is held for open draws (→ insufficient-stock).
     */
    adjust: (ctx: Ctx, lotId: string, input: LotAdjust): Promise<LotAdjustment> =>
      inTransaction(db, async (tx) => {
        const known = await findLot(tx, lotId);
        if (!known) throw notFound('Lot', lotId);
        const mineral = await lockMineral(tx, known.mineralCode);
        const lot = await lockLot(tx, lotId);
        if (!mineral || !lot) throw notFound('Lot', lotId);
        const lotAfter = dec(lot.quantityOnHand).plus(input.quantityDelta);
        if (lotAfter.lt(0)) {
          throw new DomainError(
            'insufficient-stock',
            `Lot ${lotId} holds ${normalize(lot.quantityOnHand)}; it cannot go below zero.`,
            { lotId, quantityOnHand: normalize(lot.quantityOnHand) },
          );
        }
        const now = clock.now();
        const adjustmentId = newId();
        const { movements, onHandAfter } = ledgerMovements(
          mineral.onHand,
          [{ lotId, depotId: lot.depotId, quantity: input.quantityDelta }],
          { at: now, mineralCode: mineral.code, kind: 'adjustment', reference: adjustmentId },
        );
        if (onHandAfter.lt(mineral.reserved)) {
          throw new DomainError(
            'insufficient-stock',
            `${mineral.code} on hand would fall to ${onHandAfter.toFixed()}, below the ${normalize(mineral.reserved)} held for open draws.`,
            {
              mineralCode: mineral.code,
              onHand: normalize(mineral.onHand),
              reserved: normalize(mineral.reserved),
            },
          );
        }
        await setLotOnHand(tx, lotId, lotAfter.toFixed());
        await updateMineral(tx, mineral.code, { onHand: onHandAfter.toFixed() });
        const adjustment = await insertAdjustment(tx, {
          id: adjustmentId,
          lotId,
          quantityDelta: input.quantityDelta,
          reason: input.reason,
          quantityOnHandAfter: lotAfter.toFixed(),
          createdAt: now,
        });
        await recordMovements(tx, movements);
        const view = adjustmentView(adjustment);
        await appendEvents(tx, ctx, now, [
          { action: 'lot.adjusted', entityType: 'lot', entityId: lotId, data: view },
        ]);
        return view;
      }),

    async get(id: string): Promise<Lot> {
      const row = await findLot(db, id);
      if (!row) throw notFound('Lot', id);
      return lotView(row);
    },

    async list(query: LotListQuery): Promise<Page<Lot>> {
      const rows = await listLots(
        db,
        { mineralCode: query.mineral, depotId: query.depotId },
        decodeCursor(query.cursor),
        query.limit,
      );
      return toPage(rows, query.limit, lotView);
    },
  };
}
