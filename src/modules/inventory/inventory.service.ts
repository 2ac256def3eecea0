import { decodeCursor, type Page, toPage } from '../../db/pagination.js';
import type { Deps } from '../../deps.js';
import { normalize, sum } from '../../domain/decimal.js';
import { notFound } from '../../domain/errors.js';
import { activeDisruptions } from '../disruptions/disruptions.repository.js';
import { onHandByOrigin } from '../lots/lots.repository.js';
import { findMineral, listMinerals } from '../minerals/minerals.repository.js';
import { share } from '../valuation/valuation.rules.js';
import { type InventoryPosition, type OriginBreakdown, positionView } from './inventory.schemas.js';

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
