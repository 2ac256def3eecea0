import { decodeCursor, type Page, toPage } from '../../db/pagination.js';
import { inTransaction } from '../../db/transaction.js';
import type { Db } from '../../db/types.js';
import type { Deps } from '../../deps.js';
import { type Actor, type Ctx, companyScope } from '../../domain/actor.js';
import { dec, normalize } from '../../domain/decimal.js';
import { DomainError, invalidTransition, notFound, validation } from '../../domain/errors.js';
import { newId } from '../../domain/ids.js';
import { appendEvents } from '../audit/audit.repository.js';
import { ledgerMovements } from '../ledger/ledger.rules.js';
import { lockStockedLots, recordMovements, takeFromLots } from '../lots/lots.repository.js';
import type { LotRow } from '../lots/lots.table.js';
import { lockMineral, setQueued, setReserved, updateMineral } from '../minerals/minerals.repository.js';
import type { MineralRow } from '../minerals/minerals.table.js';
import { insertObligation } from '../obligations/obligations.repository.js';
import { replenishmentObligation } from '../obligations/obligations.rules.js';
import { obligationView } from '../obligations/obligations.schemas.js';
import { hedgeValue } from '../valuation/valuation.rules.js';
import {
  findDraw,
  findShownDraw,
  insertAllocations,
  insertDraw,
  listDraws,
  lockDraw,
  readSubmission,
  updateDraw,
} from './draws.repository.js';
import {
  type Allocation,
  allocateExplicit,
  allocateFifo,
  allocationRequestError,
  checkDraw,
  drawAmount,
  type Level,
  nextStatus,
  queues,
  type RequestedAllocation,
} from './draws.rules.js';
import {
  type Draw,
  type DrawFulfil,
  type DrawListQuery,
  type DrawSubmit,
  drawView,
} from './draws.schemas.js';
import type { DrawAllocationRow, DrawRow } from './draws.table.js';

const ownedBy = (actor: Actor, draw: DrawRow) =>
  actor.role !== 'company' || draw.companyId === actor.companyId;

export function createDrawService({ db, clock }: Deps) {
  /** A draw the actor may see (another company's draw is "not found"). */
  function visible<T extends DrawRow>(actor: Actor, id: string, draw: T | undefined): T {
    if (!draw || !ownedBy(actor, draw)) throw notFound('Draw', id);
    return draw;
  }

  async function visibleDraw(tx: Db, actor: Actor, id: string): Promise<DrawRow> {
    return visible(actor, id, await findDraw(tx, id));
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

  /**
   * Fulfilment, step 1 (before any lock): the draw exists, and explicit allocations sum to its quantity
   * and name each lot once (a 400 whatever the draw's state, as before it is locked).
   */
  async function drawToFulfil(
    tx: Db,
    id: string,
    requested: readonly RequestedAllocation[] | undefined,
  ): Promise<DrawRow> {
    const known = await findDraw(tx, id);
    if (!known) throw notFound('Draw', id);
    const broken = requested ? allocationRequestError(known.quantity, requested) : null;
    if (broken) throw validation('allocations', broken);
    return known;
  }

  /**
   * Step 2, in the lock order: the mineral row, then the draw (it must still be approved), then the
   * mineral's stocked lots in id order. Every row the next steps change is locked from here on.
   */
  async function lockForFulfilment(tx: Db, known: DrawRow) {
    const mineral = await lockMineral(tx, known.mineralCode);
    const draw = await lockDraw(tx, known.id);
    if (!mineral || !draw) throw notFound('Draw', known.id);
    if (!nextStatus(draw.status, 'fulfil'))
      throw invalidTransition('Draw', draw.id, draw.status, 'fulfilled');
    const lots = await lockStockedLots(tx, mineral.code);
    return { mineral, draw, lots };
  }

  /** Step 3: the admin's allocations when every lot covers its share, else FIFO (`allocateFifo`). */
  function allocationsFor(
    mineral: MineralRow,
    draw: DrawRow,
    lots: LotRow[],
    requested: readonly RequestedAllocation[] | undefined,
  ): Allocation[] {
    if (requested) {
      const explicit = allocateExplicit(lots, requested);
      if ('allocations' in explicit) return explicit.allocations;
      const { allocation, quantityOnHand } = explicit.shortfall;
      throw new DomainError(
        'insufficient-stock',
        `Lot ${allocation.lotId} does not hold ${allocation.quantity} of ${mineral.code}.`,
        {
          mineralCode: mineral.code,
          lotId: allocation.lotId,
          requested: normalize(allocation.quantity),
          quantityOnHand: quantityOnHand.toFixed(),
        },
      );
    }
    const fifo = allocateFifo(lots, draw.quantity, draw.depotId);
    // on_hand ≥ reserved ≥ this hold, so FIFO always covers it; the check guards the invariant anyway.
    if (!fifo) {
      throw new DomainError('insufficient-stock', `Lots of ${mineral.code} cannot cover the draw.`, {
        mineralCode: mineral.code,
        requested: normalize(draw.quantity),
        onHand: normalize(mineral.onHand),
      });
    }
    return fifo;
  }

  /**
   * Step 4: the stock leaves. The lots drawn from fall in one statement, their ledger movements (each
   * with the running on-hand) go in one insert, the mineral's on-hand falls by the draw and its hold is
   * released, and the allocations are recorded. Every row involved was locked in step 2 and no write
   * reads another's result, so the four statements go out together.
   */
  async function ship(
    tx: Db,
    mineral: MineralRow,
    draw: DrawRow,
    lots: LotRow[],
    allocations: Allocation[],
    now: Date,
  ): Promise<DrawAllocationRow[]> {
    const depotOf = new Map(lots.map((l) => [l.id, l.depotId]));
    const { movements, onHandAfter } = ledgerMovements(
      mineral.onHand,
      allocations.map((a) => ({
        lotId: a.lotId,
        depotId: depotOf.get(a.lotId)!,
        quantity: a.quantity.negated(),
      })),
      { at: now, mineralCode: mineral.code, kind: 'draw', reference: draw.id },
    );
    const rows = allocations.map((a) => ({
      drawId: draw.id,
      lotId: a.lotId,
      quantity: a.quantity.toFixed(),
    }));
    await Promise.all([
      takeFromLots(
        tx,
        rows.map(({ lotId, quantity }) => ({ lotId, quantity })),
      ),
      recordMovements(tx, movements),
      updateMineral(tx, mineral.code, {
        onHand: onHandAfter.toFixed(),
        reserved: dec(mineral.reserved).minus(draw.quantity).toFixed(),
      }),
      insertAllocations(tx, rows),
    ]);
    return rows;
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
        // is the point in time a draw is judged at. The read is issued right behind the lock without
        // waiting for its answer (postgres.js pipelines a transaction's queries in the order they are
        // issued, and PostgreSQL runs a connection's statements in that order), so both answers come
        // back in one round trip. It stays a statement of its own: a subquery of the locking statement
        // would read with the snapshot taken before the lock wait.
        const [mineral, submission] = await Promise.all([
          lockMineral(tx, input.mineralCode),
          // "Overdue" is judged as of the request; the draw is stamped once the lock is granted (below).
          readSubmission(tx, companyId, input.mineralCode, input.depotId, clock.now()),
        ]);
        if (!mineral) throw notFound('Mineral', input.mineralCode);
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
        if (refusal)
          throw new DomainError(refusal.kind, refusal.detail, {
            mineralCode: mineral.code,
            ...refusal.fields,
          });
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
        // Every value is known before the insert (the depot id as stored, decimals normalised by the
        // view), so the event is built from the same values the response is.
        const view = drawView(draw, []);
        // The draw, the mineral's new reserved (or queued) figure and the audit append are issued
        // together, in this order: the writes go out first, so the audit head (which the append's first
        // statement advances) is still the last lock taken, and the head's answer comes back in the
        // same round trip as the writes'. If a write fails, the statements behind it fail too and
        // the first error (the write's) is the one reported; nothing commits. What goes out while each
        // lock is held is checked on the wire by test/postgres/draw-submit-pipeline.test.ts.
        await Promise.all([
          insertDraw(tx, draw),
          queue
            ? setQueued(tx, mineral.code, dec(mineral.queued).plus(input.quantity).toFixed())
            : setReserved(tx, mineral.code, dec(mineral.reserved).plus(input.quantity).toFixed()),
          appendEvents(tx, ctx, now, [
            { action: 'draw.submitted', entityType: 'draw', entityId: draw.id, data: view },
          ]),
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
     * replenishment obligation with the premium locked in at submission. The steps below, in order.
     */
    fulfil: (ctx: Ctx, id: string, input: DrawFulfil): Promise<Draw> =>
      inTransaction(db, async (tx) => {
        const requested = input?.allocations;
        const known = await drawToFulfil(tx, id, requested);
        const { mineral, draw, lots } = await lockForFulfilment(tx, known);
        const allocations = allocationsFor(mineral, draw, lots, requested);
        const now = clock.now();
        // The obligation is built from the locked draw alone, so it goes out with the shipment; the
        // draw, which references it, is updated after.
        const [allocationRows, obligation] = await Promise.all([
          ship(tx, mineral, draw, lots, allocations, now),
          insertObligation(tx, replenishmentObligation(draw, newId(), now)),
        ]);
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
      const draw = visible(actor, id, await findShownDraw(db, id));
      return drawView(draw, draw.allocations);
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
      return toPage(rows, query.limit, (r) => drawView(r, r.allocations));
    },
  };
}
