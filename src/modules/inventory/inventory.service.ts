import { decodeCursor, type Page, toPage } from '../../db/pagination.js';
import type { Deps } from '../../deps.js';
import { notFound } from '../../domain/errors.js';
import { findMineral, listMinerals } from '../minerals/minerals.repository.js';
import { type InventoryPosition, positionView } from './inventory.schemas.js';

export type InventoryService = ReturnType<typeof createInventoryService>;

/** Stock positions are kept on the mineral rows by every stock change, so reading them is one query. */
export function createInventoryService({ db }: Deps) {
  return {
    async get(code: string): Promise<InventoryPosition> {
      const row = await findMineral(db, code);
      if (!row) throw notFound('Mineral', code);
      return positionView(row);
    },
    async list(query: { limit: number; cursor?: string }): Promise<Page<InventoryPosition>> {
      const rows = await listMinerals(db, decodeCursor(query.cursor), query.limit);
      return toPage(
        rows.map((r) => ({ ...r, id: r.code })),
        query.limit,
        positionView,
      );
    },
  };
}
