import { decodeCursor, type Page, toPage } from '../../db/pagination.js';
import { inTransaction } from '../../db/transaction.js';
import type { Deps } from '../../deps.js';
import type { Ctx } from '../../domain/actor.js';
import { normalize } from '../../domain/decimal.js';
import { DomainError, notFound } from '../../domain/errors.js';
import { appendEvents } from '../audit/audit.repository.js';
import {
  findMineralWithMarket,
  insertMineral,
  listMineralsWithMarket,
  lockMineral,
  updateMineral,
} from './minerals.repository.js';
import { type Mineral, type MineralCreate, type MineralPatch, mineralView } from './minerals.schemas.js';
import type { MineralRow } from './minerals.table.js';

const nullableDecimal = (value: string | null) => (value === null ? null : normalize(value));

/** The `{ from, to }` of every field a PATCH changed, as the `mineral.updated` event records it. */
function changesOf(before: MineralRow, after: MineralRow, patch: MineralPatch): Record<string, unknown> {
  const changes: Record<string, unknown> = {};
  if (patch.name !== undefined) changes.name = { from: before.name, to: after.name };
  if (patch.minimumReserve !== undefined) {
    changes.minimumReserve = { from: normalize(before.minimumReserve), to: normalize(after.minimumReserve) };
  }
  if (patch.floorPrice !== undefined) {
    changes.floorPrice = { from: nullableDecimal(before.floorPrice), to: nullableDecimal(after.floorPrice) };
  }
  if (patch.dailyConsumption !== undefined) {
    changes.dailyConsumption = {
      from: nullableDecimal(before.dailyConsumption),
      to: nullableDecimal(after.dailyConsumption),
    };
  }
  if (patch.targetCoverageDays !== undefined) {
    changes.targetCoverageDays = { from: before.targetCoverageDays, to: after.targetCoverageDays };
  }
  return changes;
}

export function createMineralService({ db, clock }: Deps) {
  return {
    /** Adds a mineral; its code is unique (→ conflict). A new mineral has no market price yet. */
    create: (ctx: Ctx, input: MineralCreate): Promise<Mineral> =>
      inTransaction(db, async (tx) => {
        const now = clock.now();
        const row = await insertMineral(tx, {
          code: input.code,
          name: input.name,
          unit: input.unit,
          minimumReserve: input.minimumReserve ?? '0',
          floorPrice: input.floorPrice ?? null,
          dailyConsumption: input.dailyConsumption ?? null,
          targetCoverageDays: input.targetCoverageDays ?? 60,
          createdAt: now,
          updatedAt: now,
        });
        if (!row) throw new DomainError('conflict', `A mineral with code ${input.code} already exists.`);
        const view = mineralView({ mineral: row, marketPrice: null, marketPriceAsOf: null });
        await appendEvents(tx, ctx, now, [
          { action: 'mineral.created', entityType: 'mineral', entityId: row.code, data: view },
        ]);
        return view;
      }),

    /**
     * Renames a mineral, moves its strategic floor or changes its market settings (price floor, daily
     * consumption, coverage target); locked so no draw checks against a stale floor.
     */
    update: (ctx: Ctx, code: string, patch: MineralPatch): Promise<Mineral> =>
      inTransaction(db, async (tx) => {
        const current = await lockMineral(tx, code);
        if (!current) throw notFound('Mineral', code);
        const now = clock.now();
        const row = await updateMineral(tx, code, { ...patch, updatedAt: now });
        await appendEvents(tx, ctx, now, [
          {
            action: 'mineral.updated',
            entityType: 'mineral',
            entityId: code,
            data: { changes: changesOf(current, row, patch) },
          },
        ]);
        const withMarket = await findMineralWithMarket(tx, code, now);
        return mineralView(withMarket!);
      }),

    async get(code: string): Promise<Mineral> {
      const row = await findMineralWithMarket(db, code, clock.now());
      if (!row) throw notFound('Mineral', code);
      return mineralView(row);
    },

    async list(query: { limit: number; cursor?: string }): Promise<Page<Mineral>> {
      const rows = await listMineralsWithMarket(db, decodeCursor(query.cursor), query.limit, clock.now());
      // The code is the mineral's id, so it is the cursor's tie-break.
      return toPage(
        rows.map((r) => ({ ...r, createdAt: r.mineral.createdAt, id: r.mineral.code })),
        query.limit,
        mineralView,
      );
    },
  };
}
