import { Readable } from 'node:stream';
import { stringify } from 'csv-stringify/sync';
import type { FastifyReply } from 'fastify';
import { z } from 'zod';

export const ExportFormat = z.enum(['ndjson', 'csv']).default('ndjson').meta({
  description: '`ndjson` (one JSON object per line) or `csv` (header row, RFC 4180)',
});
export type ExportFormat = z.infer<typeof ExportFormat>;

/** What a service hands over for a download: a file name and the rows, read lazily in batches. */
export interface RowExport<T> {
  /** File name without extension, e.g. `audit-events-1-42`: ASCII letters, digits, `-`, `_`, `.`. */
  name: string;
  batches: AsyncIterable<T[]>;
  /** An NDJSON line for a row, when the database already rendered it (default: `JSON.stringify`). */
  ndjsonLine?: (row: T) => string;
}

/** One CSV column: its header and the text of a row's cell (nested values as JSON text). */
export interface CsvColumn<T> {
  header: string;
  cell(row: T): string | number | null;
}

const CONTENT_TYPES: Record<ExportFormat, string> = {
  ndjson: 'application/x-ndjson',
  csv: 'text/csv; charset=utf-8; header=present',
};

// RFC 4180: CRLF between records, and any field holding a comma, a double quote, CR or LF is quoted.
// csv-stringify quotes only fields that contain the whole record delimiter, so a lone CR or LF inside
// a value needs `quoted_match` or it would split the record for most readers.
const CSV_OPTIONS = { record_delimiter: 'windows', quoted_match: /[\r\n]/ } as const;

/** The OpenAPI description of a 200 download: the same data as NDJSON or CSV. */
export function exportResponse(rowSchemaName: string) {
  return {
    description: `A download (Content-Disposition: attachment): one ${rowSchemaName} per NDJSON line, or one per CSV record after the header row`,
    content: {
      'application/x-ndjson': {
        schema: z.string().meta({ description: `One ${rowSchemaName} JSON object per line` }),
      },
      'text/csv': {
        schema: z
          .string()
          .meta({ description: 'Header row, then one record per row; nested values as JSON text' }),
      },
    },
  };
}

async function* encode<T>(
  first: IteratorResult<T[]>,
  rest: AsyncIterator<T[]>,
  format: ExportFormat,
  columns: readonly CsvColumn<T>[],
  ndjsonLine: (row: T) => string,
): AsyncGenerator<string> {
  if (format === 'csv') yield stringify([columns.map((c) => c.header)], CSV_OPTIONS);
  for (let step = first; !step.done; step = await rest.next()) {
    const chunk =
      format === 'csv'
        ? stringify(
            step.value.map((row) => columns.map((c) => c.cell(row))),
            CSV_OPTIONS,
          )
        : step.value.map((row) => `${ndjsonLine(row)}\n`).join('');
    if (chunk) yield chunk;
  }
}

/**
 * Sends a download as a stream, one chunk per batch. Backpressure: the socket pulls from the stream,
 * the stream (byte mode, and one batch's chunk is larger than its high-water mark) pulls the next
 * chunk from the generator only once the previous one has drained, and only then does the generator
 * ask the database for the next batch. So about one batch is in memory, whatever the export's size.
 */
export async function sendExport<T>(
  reply: FastifyReply,
  format: ExportFormat,
  rows: RowExport<T>,
  columns: readonly CsvColumn<T>[],
): Promise<FastifyReply> {
  const source = rows.batches[Symbol.asyncIterator]();
  // The first batch is read before answering, so a failing query is still a problem response; after
  // the headers are out, a failure can only abort the transfer (which clients see as truncated).
  const first = await source.next();
  const body = Readable.from(encode(first, source, format, columns, rows.ndjsonLine ?? JSON.stringify), {
    objectMode: false,
  });
  // A generator that never started ignores return(), so the source (a cursor holding a connection)
  // is closed here, however the stream ends: finished, failed, or dropped by the client.
  body.once('close', () => {
    Promise.resolve(source.return?.()).catch((err) => reply.log.warn({ err }, 'closing an export failed'));
  });
  return reply
    .code(200)
    .type(CONTENT_TYPES[format])
    .header('content-disposition', `attachment; filename="${rows.name}.${format}"`)
    .header('cache-control', 'no-store')
    .send(body);
}
