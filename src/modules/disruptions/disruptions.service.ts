import { decodeCursor, type Page, toPage } from '../../db/pagination.js';
import { inTransaction } from '../../db/transaction.js';
import type { Db } from '../../db/types.js';
import type { Deps } from '../../deps.js';
import type { Ctx } from '../../domain/actor.js';
import { DomainError, invalidTransition, notFound } from '../../domain/errors.js';
import { newId } from '../../domain/ids.js';
import { appendEvents } from '../audit/audit.repository.js';
import { lockMinerals } from '../minerals/minerals.repository.js';
import {
  coveredMinerals,
  coverMinerals,
  findDisruption,
  insertDisruption,
  listDisruptions,
  lockDisruption,
  mineralCodesOf,
  uncoverMinerals,
  updateDisruption,
} from './disruptions.repository.js';
import {
  type Disruption,
  type DisruptionDeclare,
  type DisruptionListQuery,
  type DisruptionPatch,
  disruptionView,
} from './disruptions.schemas.js';
import type { DisruptionRow } from './disruptions.table.js';

const alreadyCovered = (codes: string[]) =>
  new DomainError(
    'conflict',
    `${codes.join(', ')} ${codes.length === 1 ? 'is' : 'are'} already covered by an active disruption; change or end it instead.`,
  );

export function createDisruptionService({ db, clock }: Deps) {
  async function viewOf(tx: Db, row: DisruptionRow): Promise<Disruption> {
    return disruptionView(row, (await mineralCodesOf(tx, [row.id])).get(row.id) ?? []);
  }

  /**
   * Locks the minerals a disruption covers, then the disruption (lock order), and checks it is still
   * active. A level change takes the mineral rows like a submission or a round does, so every draw is
   * judged by the level in force when it took the mineral's lock.
   */
  async function lockActive(tx: Db, id: string, verb: string): Promise<DisruptionRow> {
    const known = await findDisruption(tx, id);
    if (!known) throw notFound('Disruption', id);
    await lockMinerals(tx, (await mineralCodesOf(tx, [id])).get(id) ?? []);
    const current = await lockDisruption(tx, id);
    if (!current) throw notFound('Disruption', id);
    if (current.status !== 'active') throw invalidTransition('Disruption', id, current.status, verb);
    return current;
  }

  return {
    /**
     * Declares a disruption over minerals. At most one active disruption per mineral: the partial unique
     * index on active `disruption_minerals` rows enforces it (→ conflict); the minerals' row locks make a
     * declaration take effect between two submissions, never during one.
     */
    declare: (ctx: Ctx, input: DisruptionDeclare): Promise<Disruption> =>
      inTransaction(db, async (tx) => {
        const locked = new Set((await lockMinerals(tx, input.mineralCodes)).map((m) => m.code));
        const unknown = input.mineralCodes.find((c) => !locked.has(c));
        if (unknown) throw notFound('Mineral', unknown);
        const covered = await coveredMinerals(tx, input.mineralCodes);
        if (covered.length > 0) throw alreadyCovered(covered);
        const now = clock.now();
        const row = await insertDisruption(tx, {
          id: newId(),
          title: input.title,
          description: input.description ?? null,
          level: input.level,
          status: 'active',
          declaredAt: now,
          endedAt: null,
          endReason: null,
          createdAt: now,
          updatedAt: now,
        });
        // The database's word is final (the read above only words the usual case better).
        if ((await coverMinerals(tx, row.id, input.mineralCodes)) !== input.mineralCodes.length) {
          throw alreadyCovered(await coveredMinerals(tx, input.mineralCodes));
        }
        const view = disruptionView(row, input.mineralCodes);
        await appendEvents(tx, ctx, now, [
          { action: 'disruption.declared', entityType: 'disruption', entityId: row.id, data: view },
        ]);
        return view;
      }),

    /** Changes an active disruption's level, title or description; a level change applies from now on. */
    update: (ctx: Ctx, id: string, input: DisruptionPatch): Promise<Disruption> =>
      inTransaction(db, async (tx) => {
        const current = await lockActive(tx, id, 'updated');
        const changes = {
          ...(input.level !== undefined ? { level: input.level } : {}),
          ...(input.title !== undefined ? { title: input.title } : {}),
          ...(input.description !== undefined ? { description: input.description } : {}),
        };
        const now = clock.now();
        const row = await updateDisruption(tx, id, { ...changes, updatedAt: now });
        await appendEvents(tx, ctx, now, [
          {
            action: 'disruption.updated',
            entityType: 'disruption',
            entityId: id,
            data: { changes, from: { level: current.level } },
          },
        ]);
        return viewOf(tx, row);
      }),

    /** Ends an active disruption: its minerals return to level none. Queued draws stay queued. */
    end: (ctx: Ctx, id: string, reason: string | undefined): Promise<Disruption> =>
      inTransaction(db, async (tx) => {
        await lockActive(tx, id, 'ended');
        const now = clock.now();
        const row = await updateDisruption(tx, id, {
          status: 'ended',
          endedAt: now,
          endReason: reason ?? null,
          updatedAt: now,
        });
        await uncoverMinerals(tx, id);
        await appendEvents(tx, ctx, now, [
          {
            action: 'disruption.ended',
            entityType: 'disruption',
            entityId: id,
            data: { reason: reason ?? null },
          },
        ]);
        return viewOf(tx, row);
      }),

    async get(id: string): Promise<Disruption> {
      const row = await findDisruption(db, id);
      if (!row) throw notFound('Disruption', id);
      return viewOf(db, row);
    },

    async list(query: DisruptionListQuery): Promise<Page<Disruption>> {
      const rows = await listDisruptions(
        db,
        { status: query.status, mineralCode: query.mineral },
        decodeCursor(query.cursor),
        query.limit,
      );
      const codes = await mineralCodesOf(
        db,
        rows.slice(0, query.limit).map((r) => r.id),
      );
      return toPage(rows, query.limit, (r) => disruptionView(r, codes.get(r.id) ?? []));
    },
  };
}
