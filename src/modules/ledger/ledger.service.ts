import type { Download } from '../../db/export.js';
import type { Deps } from '../../deps.js';
import { lastMovementSeq, movementsInSeqOrder } from './ledger.repository.js';
import { LEDGER_CSV_COLUMNS, type LedgerExportQuery } from './ledger.schemas.js';

/** `2026-02-04T19:34:32.000Z` → `20260204T193432Z`: a timestamp that is a valid file name everywhere. */
const fileStamp = (iso: string) =>
  new Date(iso)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.000Z$/, 'Z');

/** The ledger's reads, on the read side (a streaming replica when configured): see `db/replica.ts`. */
export function createLedgerService({ reads: { db, exporter } }: Deps) {
  return {
    /**
     * Every stock movement matching the filter, streamed in seq order, capped at the ledger as it stands
     * when the export starts (so a busy reserve cannot make an export endless).
     */
    async exportMovements(query: LedgerExportQuery): Promise<Download> {
      const toSeq = await lastMovementSeq(db);
      const name = [
        'ledger',
        query.mineral ?? 'all',
        query.from ? fileStamp(query.from) : 'start',
        query.to ? fileStamp(query.to) : 'end',
      ].join('-');
      const filter = {
        toSeq,
        mineralCode: query.mineral,
        from: query.from ? new Date(query.from) : undefined,
        to: query.to ? new Date(query.to) : undefined,
      };
      return exporter.rows(name, query.format, movementsInSeqOrder(filter), LEDGER_CSV_COLUMNS);
    },
  };
}
