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
}

/** An NDJSON download the database rendered: newline-terminated text, chunk by chunk. */
export interface LineExport {
  /** As `RowExport.name`. */
  name: string;
  chunks: AsyncIterable<string | Uint8Array>;
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
  batches: AsyncIterable<T[]>,
  format: ExportFormat,
  columns: readonly CsvColumn<T>[],
): AsyncGenerator<string> {
  // The header goes out with the first batch, so nothing is sent before the first query succeeded.
  let header = format === 'csv' ? stringify([columns.map((c) => c.header)], CSV_OPTIONS) : '';
  for await (const batch of batches) {
    const rows =
      format === 'csv'
        ? stringify(
            batch.map((row) => columns.map((c) => c.cell(row))),
            CSV_OPTIONS,
          )
        : batch.map((row) => `${JSON.stringify(row)}\n`).join('');
    const chunk = header + rows;
    header = '';
    if (chunk) yield chunk;
  }
  if (header) yield header;
}

/** Lets a generator's first step run now, then replays it: see `sendStream`. */
async function* replay<T>(first: IteratorResult<T>, rest: AsyncIterator<T>): AsyncGenerator<T> {
  for (let step = first; !step.done; step = await rest.next()) yield step.value;
}

/** Sends rows as a download: NDJSON (`JSON.stringify` per row) or CSV, one chunk per batch. */
export function sendExport<T>(
  reply: FastifyReply,
  format: ExportFormat,
  rows: RowExport<T>,
  columns: readonly CsvColumn<T>[],
): Promise<FastifyReply> {
  return sendStream(reply, format, rows.name, encode(rows.batches, format, columns));
}

/** Sends NDJSON the database already rendered. */
export function sendLines(reply: FastifyReply, lines: LineExport): Promise<FastifyReply> {
  return sendStream(reply, 'ndjson', lines.name, lines.chunks);
}

/**
 * Sends a download as a stream. Backpressure: the socket pulls from the stream, the stream (byte mode,
 * and a chunk is larger than its high-water mark) pulls the next chunk only once the previous one has
 * drained, and only then is the database asked for more. So about one chunk is in memory, whatever
 * the export's size.
 */
async function sendStream(
  reply: FastifyReply,
  format: ExportFormat,
  name: string,
  chunks: AsyncIterable<string | Uint8Array>,
): Promise<FastifyReply> {
  const source = chunks[Symbol.asyncIterator]();
  // The first chunk is read before answering, so a failing query is still a problem response; after
  // the headers are out, a failure can only abort the transfer (which clients see as truncated).
  const first = await source.next();
  const body = Readable.from(replay(first, source), { objectMode: false });
  // A generator that never started ignores return(), so the source (a cursor holding a connection)
  // is closed here, however the stream ends: finished, failed, or dropped by the client.
  body.once('close', () => {
    Promise.resolve(source.return?.()).catch((err) => reply.log.warn({ err }, 'closing an export failed'));
  });
  return reply
    .code(200)
    .type(CONTENT_TYPES[format])
    .header('content-disposition', `attachment; filename="${name}.${format}"`)
    .header('cache-control', 'no-store')
    .send(body);
}
