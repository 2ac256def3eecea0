import type { RowExport } from '../../http/export.js';
import type { Deps } from '../../services.js';
import { type AuditEvent, type ChainReport, ChainVerifier } from './audit.chain.js';
import {
  eventLinesInSeqOrder,
  eventsInSeqOrder,
  lastEventSeq,
  listEvents,
  type RenderedEvent,
  readHead,
} from './audit.repository.js';
import type { AuditExportQuery, AuditListQuery } from './audit.schemas.js';

export type AuditService = ReturnType<typeof createAuditService>;

/** Rows per database round trip when streaming: big enough to amortise it, small enough to hold. */
const STREAM_BATCH = 1000;

export function createAuditService({ db, streamRows }: Deps) {
  /**
   * Events `fromSeq..toSeq` for download, capped at the chain head as it stands now: appenders hold the
   * head's row lock until they commit, so every event up to the head is committed, the file is a
   * consistent slice of the chain and its last hash is a real head.
   */
  async function exportRange(query: AuditExportQuery) {
    const head = await readHead(db);
    const fromSeq = Math.max(query.fromSeq ?? 1, 1);
    const toSeq = Math.min(query.toSeq ?? head.seq, head.seq);
    return { fromSeq, toSeq, name: `audit-events-${fromSeq}-${toSeq}` };
  }

  return {
    async list(query: AuditListQuery): Promise<{ data: AuditEvent[]; nextCursor: string | null }> {
      const afterSeq = query.cursor !== undefined ? Number(query.cursor) : query.afterSeq;
      const events = await listEvents(
        db,
        {
          afterSeq,
          entityType: query.entityType,
          entityId: query.entityId,
          action: query.action,
          from: query.from ? new Date(query.from) : undefined,
          to: query.to ? new Date(query.to) : undefined,
        },
        query.limit + 1,
      );
      const hasMore = events.length > query.limit;
      const data = hasMore ? events.slice(0, query.limit) : events;
      return { data, nextCursor: hasMore ? String(data[data.length - 1]!.seq) : null };
    },

    /** Events for download as objects (CSV), streamed in seq order. */
    async exportEvents(query: AuditExportQuery): Promise<RowExport<AuditEvent>> {
      const range = await exportRange(query);
      return { name: range.name, batches: streamRows(eventsInSeqOrder(range), STREAM_BATCH) };
    },

    /** The same range as `exportEvents`, as NDJSON lines the database renders (the fast path). */
    async exportEventLines(query: AuditExportQuery): Promise<RowExport<RenderedEvent>> {
      const range = await exportRange(query);
      return {
        name: range.name,
        batches: streamRows(eventLinesInSeqOrder(range), STREAM_BATCH),
        ndjsonLine: (event) => event.line,
      };
    },

    /**
     * Recomputes the whole chain from the stored rows, streamed (constant memory), and holds it against
     * the stored head, which every append advances in the same transaction: a deleted tail leaves the
     * head pointing past the last event, and an event written around the chain lies beyond the head.
     */
    async verify(): Promise<ChainReport> {
      // The head is read first and the read capped at it, so events appended meanwhile are not
      // mistaken for a tampered tail.
      const head = await readHead(db);
      const verifier = new ChainVerifier({ fromGenesis: true });
      for await (const batch of streamRows(eventsInSeqOrder({ fromSeq: 1, toSeq: head.seq }), STREAM_BATCH)) {
        for (const event of batch) verifier.push(event);
      }
      const { headSeq, headHash } = verifier.report();
      const lastSeq = headSeq ?? 0;
      if (lastSeq < head.seq) verifier.markInvalid(lastSeq + 1);
      else if (headHash !== null && headHash !== head.hash) verifier.markInvalid(lastSeq);
      // Stored seq first, head second: a legitimate event visible to the first read was committed with
      // its head advance, so only an event that bypassed the head can lie beyond it.
      const storedSeq = await lastEventSeq(db);
      const headNow = await readHead(db);
      if (storedSeq > headNow.seq) verifier.markInvalid(headNow.seq + 1);
      return verifier.report();
    },
  };
}
