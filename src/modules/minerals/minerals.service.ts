import { decodeCursor, type Page, toPage } from '../../db/pagination.js';
import { inTransaction } from '../../db/transaction.js';
import type { Deps } from '../../deps.js';
import type { Ctx } from '../../domain/actor.js';
import { normalize } from '../../domain/decimal.js';
import { DomainError, notFound } from '../../domain/errors.js';
import { appendEvents } from '../audit/audit.repository.js';
import {
  findMineral,
  insertMineral,
  listMinerals,
  lockMineral,
  updateMineral,
} from './minerals.repository.js';
import { type Mineral, type MineralCreate, type MineralPatch, mineralView } from './minerals.schemas.js';

export type MineralService = ReturnType<typeof createMineralService>;

export function createMineralService({ db, clock }: Deps) {
  return {
    /** Adds a mineral; its code is unique (→ conflict). */
    create: (ctx: Ctx, input: MineralCreate): Promise<Mineral> =>
      inTransaction(db, async (tx) => {
        const now = clock.now();
        const row = await insertMineral(tx, {
          code: input.code,
          name: input.name,
          unit: input.unit,
          minimumReserve: input.minimumReserve,
          createdAt: now,
          updatedAt: now,
        });
        if (!row) throw new DomainError('conflict', `A mineral with code ${input.code} already exists.`);
        const view = mineralView(row);
        await appendEvents(tx, ctx, now, [
          { action: 'mineral.created', entityType: 'mineral', entityId: row.code, data: view },
        ]);
        return view;
      }),

    /** Renames a mineral or moves its strategic floor; locked so no draw checks against a stale floor. */
    update: (ctx: Ctx, code: string, patch: MineralPatch): Promise<Mineral> =>
      inTransaction(db, async (tx) => {
        const current = await lockMineral(tx, code);
        if (!current) throw notFound('Mineral', code);
        const now = clock.now();
        const row = await updateMineral(tx, code, { ...patch, updatedAt: now });
        const changes: Record<string, unknown> = {};
        if (patch.name !== undefined) changes.name = { from: current.name, to: row.name };
        if (patch.minimumReserve !== undefined) {
          changes.minimumReserve = {
            from: normalize(current.minimumReserve),
            to: normalize(row.minimumReserve),
          };
        }
        await appendEvents(tx, ctx, now, [
          { action: 'mineral.updated', entityType: 'mineral', entityId: code, data: { changes } },
        ]);
        return mineralView(row);
      }),

    async get(code: string): Promise<Mineral> {
      const row = await findMineral(db, code);
      if (!row) throw notFound('Mineral', code);
      return mineralView(row);
    },

    async list(query: { limit: number; cursor?: string }): Promise<Page<Mineral>> {
      const rows = await listMinerals(db, decodeCursor(query.cursor), query.limit);
      // The code is the mineral's id, so it is the cursor's tie-break.
      return toPage(
        rows.map((r) => ({ ...r, id: r.code })),
        query.limit,
        mineralView,
      );
    },
  };
}
