import { decodeCursor, type Page, toPage } from '../../db/pagination.js';
import type { Deps } from '../../deps.js';
import { notFound } from '../../domain/errors.js';
import { activeDisruptions } from '../disruptions/disruptions.repository.js';
import { findMineral, listMinerals } from '../minerals/minerals.repository.js';
import { type InventoryPosition, positionView } from './inventory.schemas.js';

export type InventoryService = ReturnType<typeof createInventoryService>;

/** Stock positions are kept on the mineral rows by every stock change, so reading them is one query. */
export function createInventoryService({ db }: Deps) {
  return {
    async get(code: string): Promise<InventoryPosition> {
      const row = await findMineral(db, code);
      if (!row) throw notFound('Mineral', code);
      const active = await activeDisruptions(db, [code]);
      return positionView(row, active.get(code)?.level ?? 'none');
    },
    async list(query: { limit: number; cursor?: string }): Promise<Page<InventoryPosition>> {
      const rows = await listMinerals(db, decodeCursor(query.cursor), query.limit);
      const active = await activeDisruptions(
        db,
        rows.map((r) => r.code),
      );
      return toPage(
        rows.map((r) => ({ ...r, id: r.code })),
        query.limit,
        (r) => positionView(r, active.get(r.code)?.level ?? 'none'),
      );
    },
  };
}
