import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { appendEvents } from '../../src/modules/audit/audit.repository.js';
import { bearer, type TestApp } from './app.js';

/** A download read as text, whatever its content type (supertest only buffers types it knows). */
export async function download(t: TestApp, path: string, token: string) {
  const res = await t.api
    .get(path)
    .set(bearer(token))
    .buffer(true)
    .parse((stream, done) => {
      let text = '';
      stream.setEncoding('utf8');
      stream.on('data', (chunk: string) => {
        text += chunk;
      });
      stream.on('end', () => done(null, text));
    });
  return { status: res.status, headers: res.headers, text: res.body as string, body: res.body };
}

/** NDJSON text → objects (the trailing newline ends the last line; it does not start an empty one). */
export const ndjsonLines = (text: string): unknown[] =>
  text === ''
    ? []
    : text
        .replace(/\n$/, '')
        .split('\n')
        .map((line) => JSON.parse(line));

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the offline verifier exactly as an auditor would: a separate process, no database. */
export function runVerifyExport(args: string[], stdin?: string): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      process.execPath,
      ['--import', 'tsx', 'src/cli/verify-export.ts', ...args],
      { cwd: process.cwd(), timeout: 60_000 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : null) : 0;
        if (code === null) reject(error);
        else resolve({ code, stdout, stderr });
      },
    );
    if (stdin !== undefined) child.stdin?.end(stdin);
  });
}

/** A scratch directory for export files, removed by `cleanup`. */
export function scratchDir() {
  const dir = mkdtempSync(join(tmpdir(), 'reserve-export-'));
  return {
    write: (name: string, content: string) => {
      const path = join(dir, name);
      writeFileSync(path, content);
      return path;
    },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/**
 * Appends 6,000 audit events of about 4 kB each (about 25 MB as a download): more than the socket
 * buffers on both sides hold, so a client that stops reading leaves the export stalled mid-way.
 */
export async function appendBulkEvents(t: TestApp): Promise<void> {
  const ctx = { actor: { sub: 'bulk-loader', role: 'admin' as const, companyId: null }, requestId: 'bulk' };
  for (let done = 0; done < 6000; done += 2000) {
    await t.database.db.transaction(async (tx) => {
      const entries = Array.from({ length: 2000 }, (_, i) => ({
        action: 'depot.created',
        entityType: 'depot',
        entityId: `bulk-${done + i}`,
        data: { n: done + i, padding: 'x'.repeat(4000) },
      }));
      await appendEvents(tx as never, ctx, t.clock.now(), entries);
    });
  }
}
