import { decodeCursor, encodeCursor, type Page } from '../../db/pagination.js';
import { inTransaction } from '../../db/transaction.js';
import type { Deps } from '../../deps.js';
import type { Ctx } from '../../domain/actor.js';
import { notFound, validation } from '../../domain/errors.js';
import { newId } from '../../domain/ids.js';
import { appendEvents } from '../audit/audit.repository.js';
import { findMineral } from '../minerals/minerals.repository.js';
import { findPrice, insertPrice, listPrices, type PriceCursor } from './prices.repository.js';
import { type MarketPrice, type PriceListQuery, type PriceRecord, priceView } from './prices.schemas.js';

/** The list's cursor is the opaque creation cursor with (asOf, seq) in it. */
function decodePriceCursor(cursor: string | undefined): PriceCursor | undefined {
  const decoded = decodeCursor(cursor);
  if (!decoded) return undefined;
  if (!/^\d{1,18}$/.test(decoded.id)) {
    throw validation('cursor', 'is malformed; pass back a nextCursor exactly as received');
  }
  return { asOf: decoded.createdAt, seq: Number(decoded.id) };
}

export function createPriceService({ db, clock }: Deps) {
  async function existingMineral(code: string): Promise<void> {
    if (!(await findMineral(db, code))) throw notFound('Mineral', code);
  }

  return {
    /**
     * Appends a market price observation. Prices are never edited (the table rejects UPDATE and
     * DELETE): a correction is a newer record, and "the market price at T" picks the latest asOf ≤ T,
     * ties to the one recorded last. A price observed in the future is refused.
     */
    record: (ctx: Ctx, code: string, input: PriceRecord): Promise<MarketPrice> =>
      inTransaction(db, async (tx) => {
        const now = clock.now();
        const asOf = input.asOf ? new Date(input.asOf) : now;
        if (asOf.getTime() > now.getTime()) throw validation('asOf', 'must not be in the future');
        if (!(await findMineral(tx, code))) throw notFound('Mineral', code);
        const row = await insertPrice(tx, {
          id: newId(),
          mineralCode: code,
          price: input.price,
          asOf,
          source: input.source,
          createdAt: now,
        });
        const view = priceView(row);
        await appendEvents(tx, ctx, now, [
          { action: 'price.recorded', entityType: 'price', entityId: row.id, data: view },
        ]);
        return view;
      }),

    async get(code: string, id: string): Promise<MarketPrice> {
      const row = await findPrice(db, code, id);
      if (!row) {
        await existingMineral(code);
        throw notFound('Price', id);
      }
      return priceView(row);
    },

    /** A mineral's price history, ascending asOf (ties in recording order), from inclusive, to exclusive. */
    async list(code: string, query: PriceListQuery): Promise<Page<MarketPrice>> {
      await existingMineral(code);
      const rows = await listPrices(
        db,
        code,
        {
          from: query.from ? new Date(query.from) : undefined,
          to: query.to ? new Date(query.to) : undefined,
        },
        decodePriceCursor(query.cursor),
        query.limit,
      );
      const hasMore = rows.length > query.limit;
      const pageRows = hasMore ? rows.slice(0, query.limit) : rows;
      const last = pageRows[pageRows.length - 1];
      return {
        data: pageRows.map(priceView),
        nextCursor: hasMore && last ? encodeCursor({ createdAt: last.asOf, id: String(last.seq) }) : null,
      };
    },
  };
}
