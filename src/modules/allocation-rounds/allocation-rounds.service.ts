import { decodeCursor, type Page, toPage } from '../../db/pagination.js';
import { letDriverRun, StatementPipeline } from '../../db/pipeline.js';
import { inTransaction } from '../../db/transaction.js';
import type { Db } from '../../db/types.js';
import type { Deps } from '../../deps.js';
import type { Ctx } from '../../domain/actor.js';
import { dec } from '../../domain/decimal.js';
import { DomainError, notFound } from '../../domain/errors.js';
import { newId } from '../../domain/ids.js';
import { appendPrepared, type PreparedEvent, prepareEvents } from '../audit/audit.repository.js';
import { activeDisruptions } from '../disruptions/disruptions.repository.js';
import { decideQueuedDraws, eligibleQueuedCompanies, queuedDraws } from '../draws/draws.repository.js';
import { aboveFloor, drawable, type Level } from '../draws/draws.rules.js';
import { lockMineral, setReservedAndQueued } from '../minerals/minerals.repository.js';
import {
  drawDecisions,
  drawEvents,
  rationQueue,
  roundEvent,
  roundPreview,
} from './allocation-rounds.outcome.js';
import { findRound, insertRound, listRounds } from './allocation-rounds.repository.js';
import {
  type AllocationRound,
  type AllocationRoundListQuery,
  type AllocationRoundRun,
  roundView,
} from './allocation-rounds.schemas.js';

/** Draw events per append: a batch travels as one JSON parameter and is sorted by seq in memory. */
const EVENT_BATCH = 2000;

export function createAllocationRoundService({ db, clock }: Deps) {
  /**
   * The round as the rule decides it, from the mineral's state under its lock: the checks (nothing
   * queued → nothing-to-allocate; supply 0 or beyond drawable → insufficient-stock), then `ration`.
   */
  async function decide(tx: Db, input: AllocationRoundRun) {
    const mineral = await lockMineral(tx, input.mineralCode);
    if (!mineral) throw notFound('Mineral', input.mineralCode);
    const now = clock.now();
    // Read after the lock: submissions and cancellations of this mineral wait on it, so this is the
    // whole queue, and it stays so until commit. The three reads are sent together: the database
    // answers the last two while this process decodes the queue.
    const [queue, eligible, disruptions] = await Promise.all([
      queuedDraws(tx, mineral.code),
      eligibleQueuedCompanies(tx, mineral.code, now),
      activeDisruptions(tx, [mineral.code]),
    ]);
    if (queue.length === 0) {
      throw new DomainError('nothing-to-allocate', `${mineral.code} has no queued draws to allocate.`);
    }
    const active = disruptions.get(mineral.code);
    const level: Level = active?.level ?? 'none';
    const above = aboveFloor(mineral);
    const limit = drawable(mineral, level);
    const supply = input.supply === undefined ? above : dec(input.supply);
    if (supply.isZero()) {
      throw new DomainError(
        'insufficient-stock',
        `${mineral.code} has no stock above its floor to allocate.`,
        { mineralCode: mineral.code, requested: supply.toFixed(), drawable: limit.toFixed() },
      );
    }
    if (supply.gt(limit)) {
      throw new DomainError(
        'insufficient-stock',
        `A supply of ${supply.toFixed()} exceeds what is drawable now (${limit.toFixed()}${level === 'emergency' ? ', floor released' : ''}).`,
        { mineralCode: mineral.code, requested: supply.toFixed(), drawable: limit.toFixed() },
      );
    }
    const result = rationQueue(queue, eligible, supply.toFixed());
    const view = roundPreview(result, {
      mineralCode: mineral.code,
      disruptionId: active?.disruptionId ?? null,
      level,
      supply,
      aboveFloor: above,
    });
    return { now, mineral, queue, result, view };
  }

  return {
    /**
     * Runs (or, with dryRun, previews) an allocation round over a mineral's queued draws, in one
     * transaction under the mineral's lock: submissions, cancellations and other rounds of the mineral
     * serialize with it, so every queued draw is decided exactly once. The writes are set-based: one
     * statement for the round with its allocations, one for all the draws, events in batches.
     */
    run: (ctx: Ctx, input: AllocationRoundRun): Promise<AllocationRound> =>
      inTransaction(db, async (tx) => {
        const { now, mineral, queue, result, view } = await decide(tx, input);
        if (input.dryRun) return view;
        const id = newId();
        const round = { ...view, id, createdAt: now.toISOString() };
        // The writes are sent without waiting for each other: on the transaction's one connection the
        // database runs them back to back, in the order sent (so in lock order, the audit head last),
        // while this process computes what the next ones need. All are awaited before the work returns.
        const writes = new StatementPipeline();
        writes.add(
          insertRound(tx, {
            id,
            mineralCode: mineral.code,
            disruptionId: view.disruptionId,
            level: view.level,
            supply: view.supply,
            requestedTotal: view.requestedTotal,
            allocatedTotal: view.allocatedTotal,
            floorUsed: view.floorUsed,
            createdAt: now,
            allocations: view.allocations,
          }),
        );
        await letDriverRun();
        const decisions = drawDecisions(queue, result, view.allocations);
        const decided = writes.add(decideQueuedDraws(tx, id, now, decisions));
        writes.add(
          setReservedAndQueued(tx, mineral.code, {
            reserved: dec(mineral.reserved).plus(view.allocatedTotal).toFixed(),
            queued: dec(mineral.queued).minus(view.requestedTotal).toFixed(),
          }),
        );
        await letDriverRun();
        const events = drawEvents(id, decisions, view.allocations);
        // Canonicalised before the head's lock is even asked for (only the hashing needs it), in slices
        // so that the driver keeps feeding the database meanwhile. The round's own event goes alone:
        // its data lists every allocation (about 1.6 MB of JCS for 10,000), which inside a batch's JSON
        // array would be sorted on disk with the batch (PostgreSQL's work_mem).
        const batches: PreparedEvent[][] = [prepareEvents(ctx, now, [roundEvent(round)])];
        for (let at = 0; at < events.length; at += EVENT_BATCH) {
          await letDriverRun();
          batches.push(prepareEvents(ctx, now, events.slice(at, at + EVENT_BATCH)));
        }
        writes.add(appendPrepared(tx, batches));
        await writes.settle();
        // The queue was read under the mineral's lock, which every change to it takes: a mismatch
        // would mean that rule was broken somewhere, and the round must not half-apply.
        if ((await decided) !== decisions.length) {
          throw new Error(`allocation round decided ${await decided} of ${decisions.length} queued draws`);
        }
        return round;
      }),

    async get(id: string): Promise<AllocationRound> {
      const row = await findRound(db, id);
      if (!row) throw notFound('Allocation round', id);
      return roundView(row);
    },

    async list(query: AllocationRoundListQuery): Promise<Page<AllocationRound>> {
      const rows = await listRounds(
        db,
        { mineralCode: query.mineral },
        decodeCursor(query.cursor),
        query.limit,
      );
      return toPage(rows, query.limit, roundView);
    },
  };
}
