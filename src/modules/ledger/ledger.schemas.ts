import { z } from 'zod';
import { type CsvColumn, ExportFormat } from '../../http/export.js';
import { DecimalOut, MineralCode, Timestamp, TimestampOut } from '../../http/schemas.js';

export const LedgerExportQuery = z
  .strictObject({
    format: ExportFormat,
    mineral: MineralCode.optional().meta({ description: 'Only this mineral' }),
    from: Timestamp.optional().meta({ description: 'Movements at or after this instant (inclusive)' }),
    to: Timestamp.optional().meta({ description: 'Movements before this instant (exclusive)' }),
  })
  .refine((q) => !q.from || !q.to || new Date(q.from) <= new Date(q.to), {
    path: ['to'],
    message: 'must not be before from',
  });
export type LedgerExportQuery = z.infer<typeof LedgerExportQuery>;

/** One stock movement; `quantity` is signed (negative for stock leaving), `balanceAfter` the mineral's on-hand after it. */
export const LedgerMovementSchema = z
  .object({
    seq: z.number().int(),
    at: TimestampOut,
    mineralCode: z.string(),
    depotId: z.string(),
    lotId: z.string(),
    kind: z.enum(['receipt', 'draw', 'replenishment', 'adjustment']),
    quantity: DecimalOut,
    balanceAfter: DecimalOut,
    reference: z.string().nullable(),
  })
  .meta({ id: 'LedgerMovement' });
export type LedgerMovement = z.infer<typeof LedgerMovementSchema>;

/** Export columns, in the NDJSON field order. */
export const LEDGER_CSV_COLUMNS: readonly CsvColumn<LedgerMovement>[] = [
  { header: 'seq', cell: (m) => m.seq },
  { header: 'at', cell: (m) => m.at },
  { header: 'mineralCode', cell: (m) => m.mineralCode },
  { header: 'depotId', cell: (m) => m.depotId },
  { header: 'lotId', cell: (m) => m.lotId },
  { header: 'kind', cell: (m) => m.kind },
  { header: 'quantity', cell: (m) => m.quantity },
  { header: 'balanceAfter', cell: (m) => m.balanceAfter },
  { header: 'reference', cell: (m) => m.reference },
];
