import type { Readable } from 'node:stream';
import { type ChainReport, ChainVerifier, chainHash } from './audit.chain.js';
import { AuditEventSchema } from './audit.schemas.js';

/** An export line that is not an audit event at all: the file is unusable, not merely tampered with. */
export class MalformedExportError extends Error {
  override name = 'MalformedExportError';
  constructor(
    readonly line: number,
    readonly reason: string,
  ) {
    super(`line ${line}: ${reason}`);
  }
}

export interface ExportReport extends ChainReport {
  /** The first event's seq: above 1, the file is a slice anchored on that event's `prevHash`. */
  firstSeq: number | null;
}

/**
 * The lines of a UTF-8 stream, split on LF only (a CR before it is dropped). Not `node:readline`:
 * newer Node.js releases also end a line at U+2028 and U+2029, which JCS leaves unescaped inside
 * JSON strings, so a valid event would be cut in two.
 */
async function* lines(input: Readable): AsyncGenerator<string> {
  const decoder = new TextDecoder('utf-8');
  let rest = '';
  const line = (text: string) => (text.endsWith('\r') ? text.slice(0, -1) : text);
  for await (const chunk of input) {
    rest += typeof chunk === 'string' ? chunk : decoder.decode(chunk as Uint8Array, { stream: true });
    let start = 0;
    for (let at = rest.indexOf('\n'); at !== -1; at = rest.indexOf('\n', start)) {
      yield line(rest.slice(start, at));
      start = at + 1;
    }
    rest = rest.slice(start);
  }
  rest += decoder.decode();
  if (rest !== '') yield line(rest);
}

/**
 * Verifies an NDJSON audit export line by line (constant memory, any size) with the same
 * `ChainVerifier` as the live endpoint, so "valid" means the same thing on- and offline. Blank lines
 * are skipped; a line that is not JSON or not shaped like an event throws `MalformedExportError`.
 * With `head` (a head recorded earlier, or the database's), the chain must also end exactly there
 * (see `ChainVerifier`); with `fromGenesis`, the file must be the whole log from seq 1.
 */
export async function verifyNdjsonExport(
  input: Readable,
  options: { head?: { seq: number; hash: string }; fromGenesis?: boolean } = {},
): Promise<ExportReport> {
  const verifier = new ChainVerifier(options);
  let firstSeq: number | null = null;
  let lineNo = 0;
  for await (const raw of lines(input)) {
    lineNo++;
    const line = lineNo === 1 ? raw.replace(/^\uFEFF/, '') : raw;
    if (line.trim() === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (error) {
      throw new MalformedExportError(lineNo, `not valid JSON (${(error as Error).message})`);
    }
    const parsed = AuditEventSchema.safeParse(value);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const where = issue?.path.length ? `${issue.path.join('.')}: ` : '';
      throw new MalformedExportError(lineNo, `not an audit event (${where}${issue?.message ?? 'invalid'})`);
    }
    // The schema requires `data`; zod only types an `unknown` property as optional.
    const event = { ...parsed.data, data: parsed.data.data };
    firstSeq ??= event.seq;
    verifier.push(event, chainHash(event.prevHash, event));
  }
  return { ...verifier.report(), firstSeq };
}
