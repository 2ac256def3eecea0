import { Readable } from 'node:stream';
import type { FastifyReply } from 'fastify';
import { z } from 'zod';
import type { Download } from '../db/export.js';

// Where modules' CSV column lists have always imported the type from; it lives in db/export.ts.
export type { CsvColumn } from '../db/export.js';

export const ExportFormat = z.enum(['ndjson', 'csv']).default('ndjson').meta({
  description: '`ndjson` (one JSON object per line) or `csv` (header row, RFC 4180)',
});
export type ExportFormat = z.infer<typeof ExportFormat>;

const CONTENT_TYPES: Record<Download['format'], string> = {
  ndjson: 'application/x-ndjson',
  csv: 'text/csv; charset=utf-8; header=present',
};

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

/** Lets a generator's first step run now, then replays it: see `sendExport`. */
async function* replay<T>(first: IteratorResult<T>, rest: AsyncIterator<T>): AsyncGenerator<T> {
  for (let step = first; !step.done; step = await rest.next()) yield step.value;
}

/**
 * Sends a download as an attachment. Backpressure: the socket pulls from the stream, the stream (byte
 * mode, and a chunk is larger than its high-water mark) pulls the next chunk only once the previous one
 * has drained, and only then is the database asked for more. So about one chunk is in memory, whatever
 * the export's size.
 */
export async function sendExport(reply: FastifyReply, download: Download): Promise<FastifyReply> {
  const source = download.chunks[Symbol.asyncIterator]();
  // The first chunk is read before answering, so a failing query is still a problem response; after
  // the headers are out, a failure can only abort the transfer (which clients see as truncated).
  const first = await source.next();
  const body = Readable.from(replay(first, source), { objectMode: false });
  // A generator that never started ignores return(), so the source (a cursor or COPY holding a
  // connection and an export slot) is closed here, however the stream ends: finished, failed, or
  // dropped by the client.
  body.once('close', () => {
    Promise.resolve(source.return?.()).catch((err) => reply.log.warn({ err }, 'closing an export failed'));
  });
  return reply
    .code(200)
    .type(CONTENT_TYPES[download.format])
    .header('content-disposition', `attachment; filename="${download.name}.${download.format}"`)
    .header('cache-control', 'no-store')
    .send(body);
}
