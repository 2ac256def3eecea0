import type { Deps } from '../../services.js';
import { type AuditEvent, type ChainReport, ChainVerifier } from './audit.chain.js';
import { listEvents, readHead } from './audit.repository.js';
import type { AuditListQuery } from './audit.schemas.js';

export type AuditService = ReturnType<typeof createAuditService>;

const VERIFY_BATCH = 2000;

export function createAuditService({ db }: Deps) {
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

    /**
     * Recomputes the whole chain from the stored rows, in seq-ordered batches (constant memory), and
     * checks that the stored head still points at the last event (a deleted tail shows up there).
     */
    async verify(): Promise<ChainReport> {
      const verifier = new ChainVerifier();
      let afterSeq = 0;
      for (;;) {
        const batch = await listEvents(db, { afterSeq }, VERIFY_BATCH);
        for (const event of batch) verifier.push(event);
        if (batch.length < VERIFY_BATCH) break;
        afterSeq = batch[batch.length - 1]!.seq;
      }
      const head = await readHead(db);
      const report = verifier.report();
      if (head.seq !== (report.headSeq ?? 0) || (report.headHash !== null && head.hash !== report.headHash)) {
        verifier.markInvalid(Math.min(head.seq, report.headSeq ?? 0) + 1);
      }
      return verifier.report();
    },
  };
}
