import { decodeCursor, type Page, toPage } from '../../db/pagination.js';
import { inTransaction } from '../../db/transaction.js';
import type { Db } from '../../db/types.js';
import type { Deps } from '../../deps.js';
import { type Actor, type Ctx, companyScope } from '../../domain/actor.js';
import { dec, normalize, sum } from '../../domain/decimal.js';
import { DomainError, invalidTransition, notFound, validation } from '../../domain/errors.js';
import { newId } from '../../domain/ids.js';
import { appendEvents } from '../audit/audit.repository.js';
import { lockStockedLots, recordMovements, setLotOnHand } from '../lots/lots.repository.js';
import { lockMineral, setQueued, setReserved, updateMineral } from '../minerals/minerals.repository.js';
import { insertObligation } from '../obligations/obligations.repository.js';
import { obligationView } from '../obligations/obligations.schemas.js';
import { hedgeValue } from '../valuation/valuation.rules.js';
import {
  allocationsOf,
  findDraw,
  insertAllocations,
  insertDraw,
  listDraws,
  lockDraw,
  readSubmission,
  updateDraw,
} from './draws.repository.js';
import {
  type Allocation,
  allocateFifo,
  checkDraw,
  drawAmount,
  dueAt,
  type Level,
  nextStatus,
  quantityDue,
  queues,
} from './draws.rules.js';
import {
  type Draw,
  type DrawFulfil,
  type DrawListQuery,
  type DrawSubmit,
  drawView,
} from './draws.schemas.js';
import type { DrawRow } from './draws.table.js';

const ownedBy = (actor: Actor, draw: DrawRow) =>
  actor.role !== 'company' || draw.companyId === actor.companyId;

export function createDrawService({ db, clock }: Deps) {
  /** Reads a draw the actor may see (another company's draw is "not found"). */
  async function visibleDraw(tx: Db, actor: Actor, id: string): Promise<DrawRow> {
    const draw = await findDraw(tx, id);
    if (!draw || !ownedBy(actor, draw)) throw notFound('Draw', id);
    return draw;
  }

  async function withAllocations(tx: Db, draw: DrawRow): Promise<Draw> {
    return drawView(draw, (await allocationsOf(tx, [draw.id])).get(draw.id) ?? []);
  }

  /**
   * Ends a hold without shipping (reject, cancel): mineral row first, then the draw (lock order), so
   * the release and the status change are one atomic step against concurrent submissions.
   */
  async function releaseHold(
    ctx: Ctx,
    id: string,
    transition: 'reject' | 'cancel',
    reason: string | null,
  ): Promise<Draw> {
    return inTransaction(db, async (tx) => {
      const known = await visibleDraw(tx, ctx.actor, id);
      const mineral = await lockMineral(tx, known.mineralCode);
      const draw = await lockDraw(tx, id);
      if (!mineral || !draw) throw notFound('Draw', id);
      const to = nextStatus(draw.status, transition, ctx.actor.role === 'company');
      const verb = transition === 'reject' ? 'rejected' : 'cancelled';
      if (!to) throw invalidTransition('Draw', id, draw.status, verb);
      const now = clock.now();
      // A queued draw holds nothing: it leaves the mineral's queue instead of its reserved quantity.
      const wasQueued = draw.status === 'queued';
      if (wasQueued) await setQueued(tx, mineral.code, dec(mineral.queued).minus(draw.quantity).toFixed());
      else await setReserved(tx, mineral.code, dec(mineral.reserved).minus(draw.quantity).toFixed());
      const updated = await updateDraw(tx, id, { status: to, reason, updatedAt: now, decidedAt: now });
      await appendEvents(tx, ctx, now, [
        {
          action: `draw.${verb}`,
          entityType: 'draw',
          entityId: id,
          data: {
            from: draw.status,
            to,
            reason,
            quantityReleased: wasQueued ? '0' : normalize(draw.quantity),
            ...(wasQueued ? { quantityDequeued: normalize(draw.quantity) } : {}),
          },
        },
      ]);
      return drawView(updated, []);
    });
  }

  return {
    /**
     * Submits a draw at the agreement's fixed price and holds the quantity. All checks (contract order:
     * company active, nothing overdue, agreement, entitlement, drawable stock) run under the mineral's
     * row lock, which every hold, release and stock change of that mineral also takes: no interleaving
     * of concurrent submissions can over-commit the stock or an entitlement.
     */
    submit: (ctx: Ctx, input: DrawSubmit): Promise<Draw> =>
      inTransaction(db, async (tx) => {
        const companyId = ctx.actor.companyId!;
        // Lock first, then read: everything the checks read (the level and disruption, the terms and
        // class, the holds and the queue) is read by a statement that starts only once this
        // transaction holds the mineral's row lock, so under READ COMMITTED it sees every hold, queued
        // draw, cancellation, round and level change committed before the lock was granted. The lock
        // is the point in time a draw is judged at.
        const mineral = await lockMineral(tx, input.mineralCode);
        if (!mineral) throw notFound('Mineral', input.mineralCode);
        // "Overdue" is judged as of the request; the draw is stamped once the lock is granted (below).
        const submission = await readSubmission(tx, companyId, input.mineralCode, input.depotId, clock.now());
        if (input.depotId && !submission?.depotId) throw notFound('Depot', input.depotId);
        if (!submission) throw notFound('Company', companyId);
        const { agreement } = submission;
        const level: Level = submission.disruptionLevel ?? 'none';
        const queue = queues(level, mineral.queued);
        const refusal = checkDraw({
          ...submission,
          quantity: input.quantity,
          position: mineral,
          level,
          queue,
        });
        if (refusal) throw new DomainError(refusal.kind, refusal.detail);
        const now = clock.now();
        const terms = agreement!;
        const draw: DrawRow = {
          id: newId(),
          companyId,
          mineralCode: mineral.code,
          agreementId: terms.id,
          quantity: input.quantity,
          requestedQuantity: input.quantity,
          unitPrice: terms.unitPrice,
          currency: terms.currency,
          amount: drawAmount(input.quantity, terms.unitPrice).toFixed(2),
          replenishmentDays: terms.replenishmentDays,
          premiumPercent: terms.premiumPercent,
          status: queue ? 'queued' : 'pending',
          priorityClass: terms.priorityClass,
          disruptionId: submission.disruptionId,
          allocationRoundId: null,
          depotId: submission.depotId,
          note: input.note ?? null,
          reason: null,
          obligationId: null,
          createdAt: now,
          updatedAt: now,
          decidedAt: null,
          fulfilledAt: null,
          // Read in the submission's check statement, which runs once the mineral lock is held.
          marketPrice: submission.marketPrice,
          hedgeValue: hedgeValue(submission.marketPrice, terms.unitPrice, input.quantity),
        };
        // The draw and the mineral's new reserved (or queued) figure: one round trip, in either order
        // (the mineral row is already locked, and the insert's foreign-key checks do not touch the
        // audit head). Then the audit append, once both are done: the head is the last lock taken.
        await Promise.all([
          insertDraw(tx, draw),
          queue
            ? setQueued(tx, mineral.code, dec(mineral.queued).plus(input.quantity).toFixed())
            : setReserved(tx, mineral.code, dec(mineral.reserved).plus(input.quantity).toFixed()),
        ]);
        // Every value is known before the insert (the depot id as stored, decimals normalised by the
        // view), so the event is built from the same values the response is.
        const view = drawView(draw, []);
        await appendEvents(tx, ctx, now, [
          { action: 'draw.submitted', entityType: 'draw', entityId: draw.id, data: view },
        ]);
        return view;
      }),

    /** pending → approved; the hold stays in place until fulfilment or cancellation. */
    approve: (ctx: Ctx, id: string): Promise<Draw> =>
      inTransaction(db, async (tx) => {
        const draw = await lockDraw(tx, id);
        if (!draw) throw notFound('Draw', id);
        const to = nextStatus(draw.status, 'approve');
        if (!to) throw invalidTransition('Draw', id, draw.status, 'approved');
        const now = clock.now();
        const updated = await updateDraw(tx, id, { status: to, updatedAt: now, decidedAt: now });
        await appendEvents(tx, ctx, now, [
          { action: 'draw.approved', entityType: 'draw', entityId: id, data: { from: draw.status, to } },
        ]);
        return drawView(updated, []);
      }),

    /** pending → rejected, releasing the hold. */
    reject: (ctx: Ctx, id: string, reason: string) => releaseHold(ctx, id, 'reject', reason),

    /**
     * → cancelled, releasing the hold (or leaving the queue): the owning company while pending or
     * queued, an admin while pending, queued or approved. Under the mineral's lock, so a cancellation
     * and an allocation round of the same draw serialize: one of them finds it no longer queued.
     */
    cancel: (ctx: Ctx, id: string, reason: string | undefined) =>
      releaseHold(ctx, id, 'cancel', reason ?? null),

    /**
     * approved → fulfilled: takes the quantity out of lots (explicit allocations, or FIFO preferring
     * the draw's depot), releases the hold, writes one ledger movement per lot and creates the
     * replenishment obligation with the premium locked in at submission.
     */
    fulfil: (ctx: Ctx, id: string, input: DrawFulfil): Promise<Draw> =>
      inTransaction(db, async (tx) => {
        const known = await findDraw(tx, id);
        if (!known) throw notFound('Draw', id);
        const requested = input?.allocations;
        if (requested) {
          const total = sum(requested.map((a) => a.quantity));
          if (!total.eq(known.quantity)) {
            throw validation(
              'allocations',
              `must sum to the draw's quantity ${normalize(known.quantity)} (they sum to ${total.toFixed()})`,
            );
          }
          if (new Set(requested.map((a) => a.lotId)).size !== requested.length) {
            throw validation('allocations', 'must name each lot at most once');
          }
        }
        const mineral = await lockMineral(tx, known.mineralCode);
        const draw = await lockDraw(tx, id);
        if (!mineral || !draw) throw notFound('Draw', id);
        if (!nextStatus(draw.status, 'fulfil')) throw invalidTransition('Draw', id, draw.status, 'fulfilled');
        const lots = await lockStockedLots(tx, mineral.code);
        let allocations: Allocation[] | null;
        if (requested) {
          const byId = new Map(lots.map((l) => [l.id, l]));
          for (const a of requested) {
            const lot = byId.get(a.lotId);
            if (!lot || dec(lot.quantityOnHand).lt(a.quantity)) {
              throw new DomainError(
                'insufficient-stock',
                `Lot ${a.lotId} does not hold ${a.quantity} of ${mineral.code}.`,
              );
            }
          }
          allocations = requested.map((a) => ({ lotId: a.lotId, quantity: dec(a.quantity) }));
        } else {
          allocations = allocateFifo(lots, draw.quantity, draw.depotId);
        }
        // on_hand ≥ reserved ≥ this hold, so FIFO always covers it; the check guards the invariant anyway.
        if (!allocations)
          throw new DomainError('insufficient-stock', `Lots of ${mineral.code} cannot cover the draw.`);

        const now = clock.now();
        let onHand = dec(mineral.onHand);
        const lotsById = new Map(lots.map((l) => [l.id, l]));
        const movements = [];
        for (const a of allocations) {
          const lot = lotsById.get(a.lotId)!;
          await setLotOnHand(tx, lot.id, dec(lot.quantityOnHand).minus(a.quantity).toFixed());
          onHand = onHand.minus(a.quantity);
          movements.push({
            at: now,
            mineralCode: mineral.code,
            depotId: lot.depotId,
            lotId: lot.id,
            kind: 'draw' as const,
            quantity: a.quantity.negated().toFixed(),
            balanceAfter: onHand.toFixed(),
            reference: draw.id,
          });
        }
        await recordMovements(tx, movements);
        await updateMineral(tx, mineral.code, {
          onHand: onHand.toFixed(),
          reserved: dec(mineral.reserved).minus(draw.quantity).toFixed(),
        });
        const allocationRows = allocations.map((a) => ({
          drawId: id,
          lotId: a.lotId,
          quantity: a.quantity.toFixed(),
        }));
        await insertAllocations(tx, allocationRows);
        const obligation = await insertObligation(tx, {
          id: newId(),
          companyId: draw.companyId,
          drawId: id,
          mineralCode: mineral.code,
          quantityDue: quantityDue(draw.quantity, draw.premiumPercent).toFixed(),
          quantityDelivered: '0',
          dueAt: dueAt(now, draw.replenishmentDays),
          status: 'open',
          settlementAmount: null,
          settlementReason: null,
          createdAt: now,
          updatedAt: now,
        });
        const updated = await updateDraw(tx, id, {
          status: 'fulfilled',
          updatedAt: now,
          fulfilledAt: now,
          obligationId: obligation.id,
        });
        const view = drawView(updated, allocationRows);
        await appendEvents(tx, ctx, now, [
          {
            action: 'draw.fulfilled',
            entityType: 'draw',
            entityId: id,
            data: { allocations: view.allocations, obligationId: obligation.id },
          },
          {
            action: 'obligation.created',
            entityType: 'obligation',
            entityId: obligation.id,
            data: obligationView(obligation, [], now),
          },
        ]);
        return view;
      }),

    async get(actor: Actor, id: string): Promise<Draw> {
      return withAllocations(db, await visibleDraw(db, actor, id));
    },

    async list(actor: Actor, query: DrawListQuery): Promise<Page<Draw>> {
      const companyId = companyScope(actor, query.companyId);
      if (companyId === null) return { data: [], nextCursor: null };
      const rows = await listDraws(
        db,
        {
          companyId,
          mineralCode: query.mineral,
          status: query.status,
          allocationRoundId: query.allocationRoundId,
        },
        decodeCursor(query.cursor),
        query.limit,
      );
      const allocations = await allocationsOf(
        db,
        rows.slice(0, query.limit).map((r) => r.id),
      );
      return toPage(rows, query.limit, (r) => drawView(r, allocations.get(r.id) ?? []));
    },
  };
}
