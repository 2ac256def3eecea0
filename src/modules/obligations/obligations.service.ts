import { decodeCursor, type Page, toPage } from '../../db/pagination.js';
import { inTransaction } from '../../db/transaction.js';
import type { Db } from '../../db/types.js';
import type { Deps } from '../../deps.js';
import { type Actor, type Ctx, companyScope } from '../../domain/actor.js';
import { dec, normalize } from '../../domain/decimal.js';
import { DomainError, invalidTransition, notFound } from '../../domain/errors.js';
import { newId } from '../../domain/ids.js';
import { appendEvents } from '../audit/audit.repository.js';
import { receiveStock } from '../lots/lots.service.js';
import { lockMineral } from '../minerals/minerals.repository.js';
import {
  deliveriesOf,
  findObligation,
  insertDelivery,
  listObligations,
  lockObligation,
  updateObligation,
} from './obligations.repository.js';
import { quantityOutstanding, statusAfterDelivery, UNSETTLED } from './obligations.rules.js';
import {
  type DeliveryCreate,
  type Obligation,
  type ObligationListQuery,
  obligationView,
  type Settlement,
} from './obligations.schemas.js';
import type { ObligationRow } from './obligations.table.js';

export function createObligationService({ db, clock }: Deps) {
  async function view(tx: Db, row: ObligationRow): Promise<Obligation> {
    return obligationView(row, (await deliveriesOf(tx, [row.id])).get(row.id) ?? [], clock.now());
  }

  /** Locks the mineral, then the obligation (lock order), and checks it is still open for changes. */
  async function lockOpen(tx: Db, id: string, action: string) {
    const known = await findObligation(tx, id);
    if (!known) throw notFound('Obligation', id);
    const mineral = await lockMineral(tx, known.mineralCode);
    const obligation = await lockObligation(tx, id);
    if (!mineral || !obligation) throw notFound('Obligation', id);
    if (!UNSETTLED.includes(obligation.status))
      throw invalidTransition('Obligation', id, obligation.status, action);
    return { mineral, obligation };
  }

  return {
    /**
     * Records a delivery against the obligation: the material becomes a new `replenishment` lot (with
     * its provenance) and counts towards the quantity due. Never more than is outstanding.
     */
    deliver: (ctx: Ctx, id: string, input: DeliveryCreate): Promise<Obligation> =>
      inTransaction(db, async (tx) => {
        const { mineral, obligation } = await lockOpen(tx, id, 'delivered against');
        const outstanding = quantityOutstanding(obligation.quantityDue, obligation.quantityDelivered);
        if (dec(input.quantity).gt(outstanding)) {
          throw new DomainError(
            'exceeds-outstanding',
            `Only ${outstanding.toFixed()} is outstanding on obligation ${id}; ${normalize(input.quantity)} was delivered.`,
            { requested: normalize(input.quantity), outstanding: outstanding.toFixed() },
          );
        }
        const now = clock.now();
        const { lot, audit: lotReceived } = await receiveStock(
          tx,
          mineral,
          { ...input, reference: `obligation:${id}` },
          'replenishment',
          now,
          id,
        );
        const deliveryId = newId();
        await insertDelivery(tx, {
          id: deliveryId,
          obligationId: id,
          quantity: input.quantity,
          lotId: lot.id,
          receivedAt: lot.receivedAt,
          createdAt: now,
        });
        const delivered = dec(obligation.quantityDelivered).plus(input.quantity);
        const updated = await updateObligation(tx, id, {
          quantityDelivered: delivered.toFixed(),
          status: statusAfterDelivery(obligation.quantityDue, delivered),
          updatedAt: now,
        });
        await appendEvents(tx, ctx, now, [
          lotReceived,
          {
            action: 'obligation.delivery_recorded',
            entityType: 'obligation',
            entityId: id,
            data: {
              deliveryId,
              lotId: lot.id,
              quantity: normalize(input.quantity),
              quantityDelivered: normalize(updated.quantityDelivered),
              status: updated.status,
            },
          },
        ]);
        return view(tx, updated);
      }),

    /** Closes an unfulfilled obligation in cash. */
    settle: (ctx: Ctx, id: string, input: Settlement): Promise<Obligation> =>
      inTransaction(db, async (tx) => {
        const { obligation } = await lockOpen(tx, id, 'settled');
        const now = clock.now();
        const updated = await updateObligation(tx, id, {
          status: 'settled',
          settlementAmount: input.amount,
          settlementReason: input.reason,
          updatedAt: now,
        });
        await appendEvents(tx, ctx, now, [
          {
            action: 'obligation.settled',
            entityType: 'obligation',
            entityId: id,
            data: {
              amount: dec(input.amount).toFixed(2),
              reason: input.reason,
              quantityOutstanding: quantityOutstanding(
                obligation.quantityDue,
                obligation.quantityDelivered,
              ).toFixed(),
            },
          },
        ]);
        return view(tx, updated);
      }),

    async get(actor: Actor, id: string): Promise<Obligation> {
      const row = await findObligation(db, id);
      if (!row || (actor.role === 'company' && row.companyId !== actor.companyId))
        throw notFound('Obligation', id);
      return view(db, row);
    },

    async list(actor: Actor, query: ObligationListQuery): Promise<Page<Obligation>> {
      const companyId = companyScope(actor, query.companyId);
      if (companyId === null) return { data: [], nextCursor: null };
      const now = clock.now();
      const rows = await listObligations(
        db,
        {
          companyId,
          status: query.status,
          overdue: query.overdue === undefined ? undefined : query.overdue === 'true',
          now,
        },
        decodeCursor(query.cursor),
        query.limit,
      );
      const deliveries = await deliveriesOf(
        db,
        rows.slice(0, query.limit).map((r) => r.id),
      );
      return toPage(rows, query.limit, (r) => obligationView(r, deliveries.get(r.id) ?? [], now));
    },
  };
}
