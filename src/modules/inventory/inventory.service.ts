import { decodeCursor, type Page, toPage } from '../../db/pagination.js';
import type { Deps } from '../../deps.js';
import { normalize, sum } from '../../domain/decimal.js';
import { notFound } from '../../domain/errors.js';
import { onHandByOrigin } from '../lots/lots.repository.js';
import { share } from '../valuation/valuation.rules.js';
import { findStock, listStock } from './inventory.repository.js';
import { type InventoryPosition, type OriginBreakdown, positionView } from './inventory.schemas.js';

/** Stock positions are kept on the mineral rows by every stock change, so reading them is one query. */
export function createInventoryService({ db }: Deps) {
  return {
    async get(code: string): Promise<InventoryPosition> {
      const row = await findStock(db, code);
      if (!row) throw notFound('Mineral', code);
      return positionView(row, row.disruptionLevel ?? 'none');
    },
    async list(query: { limit: number; cursor?: string }): Promise<Page<InventoryPosition>> {
      const rows = await listStock(db, decodeCursor(query.cursor), query.limit);
      return toPage(
        rows.map((r) => Object.assign(r, { id: r.code })),
        query.limit,
        (r) => positionView(r, r.disruptionLevel ?? 'none'),
      );
    },

    /** On-hand stock by lot origin with each country's share (half-even, 4 decimals), largest first. */
    async origins(code: string): Promise<OriginBreakdown> {
      const rows = await onHandByOrigin(db, code);
      if (rows.length === 0) throw notFound('Mineral', code);
      const stocked = rows.flatMap((r) =>
        r.originCountry !== null && r.onHand !== null
          ? [{ originCountry: r.originCountry, onHand: r.onHand }]
          : [],
      );
      const total = sum(stocked.map((r) => r.onHand));
      return {
        mineralCode: code,
        onHand: normalize(total),
        origins: stocked.map((r) => ({
          originCountry: r.originCountry,
          onHand: normalize(r.onHand),
          share: share(r.onHand, total),
        })),
      };
    },
  };
}
