import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { parseArgs } from 'node:util';
import {
  type ExportReport,
  MalformedExportError,
  verifyNdjsonExport,
} from '../modules/audit/audit.offline.js';

/**
 * Offline verification of an NDJSON audit export: no database, no server, constant memory.
 *
 *   npm run verify-export -- audit-events-1-42.ndjson
 *   curl … /v1/audit-events/export | npm run --silent verify-export
 *   npm run verify-export -- --expect-head <hash from GET /v1/audit-events/verify> FILE
 *
 * Exit status: 0 the chain is intact, 1 it is broken (or its head is not the expected one),
 * 2 the input cannot be read or a line is not an audit event.
 */
const USAGE =
  'usage: verify-export [--json] [--expect-head HASH] [FILE | -]   (no FILE or "-": standard input)';

function fail(message: string): void {
  process.stderr.write(`verify-export: ${message}\n`);
  process.exitCode = 2;
}

function describe(report: ExportReport, expectedHead: string | undefined): string {
  const lines = [
    `events:     ${report.eventsChecked}`,
    `first seq:  ${report.firstSeq ?? '-'}`,
    `head seq:   ${report.headSeq ?? '-'}`,
    `head hash:  ${report.headHash ?? '-'}`,
  ];
  if (report.firstSeq !== null && report.firstSeq > 1) {
    lines.push(
      `note:       a slice starting at seq ${report.firstSeq}: its first prevHash is taken on trust;`,
      `            compare it with the hash of seq ${report.firstSeq - 1} in the full chain`,
    );
  }
  if (!report.valid) lines.push(`result:     BROKEN, first invalid seq ${report.firstInvalidSeq}`);
  else if (expectedHead !== undefined && report.headHash !== expectedHead) {
    lines.push(`result:     HEAD MISMATCH, expected head hash ${expectedHead}`);
  } else lines.push(`result:     VALID${expectedHead !== undefined ? ', head hash as expected' : ''}`);
  return `${lines.join('\n')}\n`;
}

async function main(): Promise<void> {
  let values: { json?: boolean; 'expect-head'?: string };
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      options: { json: { type: 'boolean' }, 'expect-head': { type: 'string' } },
      allowPositionals: true,
    }));
  } catch (error) {
    return fail(`${(error as Error).message}\n${USAGE}`);
  }
  if (positionals.length > 1) return fail(USAGE);
  const expectedHead = values['expect-head']?.toLowerCase();
  if (expectedHead !== undefined && !/^[0-9a-f]{64}$/.test(expectedHead)) {
    return fail('--expect-head must be a 64-digit hex SHA-256');
  }
  const file = positionals[0];
  const input: Readable = file === undefined || file === '-' ? process.stdin : createReadStream(file);
  if (input === process.stdin && process.stdin.isTTY) {
    process.stderr.write('reading an NDJSON export from standard input (end with Ctrl-D)\n');
  }
  let report: ExportReport;
  try {
    report = await verifyNdjsonExport(input);
  } catch (error) {
    if (error instanceof MalformedExportError) return fail(`${file ?? 'stdin'}: ${error.message}`);
    return fail(`cannot read ${file ?? 'standard input'}: ${(error as Error).message}`);
  }
  const headMatches = expectedHead === undefined || report.headHash === expectedHead;
  process.stdout.write(
    values.json
      ? `${JSON.stringify({ ...report, ...(expectedHead !== undefined ? { headMatches } : {}) })}\n`
      : describe(report, expectedHead),
  );
  process.exitCode = report.valid && headMatches ? 0 : 1;
}

void main();
