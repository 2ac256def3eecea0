import type { Download } from '../../db/export.js';
import type { Deps } from '../../deps.js';
import { type AuditEvent, type ChainReport, ChainVerifier } from './audit.chain.js';
import {
  checkChainStretch,
  eventLinesInSeqOrder,
  eventsInSeqOrder,
  lastEventSeq,
  listEvents,
  readHead,
  recomputeHashes,
  type StretchCheck,
} from './audit.repository.js';
import { AUDIT_CSV_COLUMNS, type AuditExportQuery, type AuditListQuery } from './audit.schemas.js';

/** Events per verification statement: a few tens of milliseconds of database work each. */
const VERIFY_STRETCH = 10_000;

/** Verification statements in flight at once: the database's hashing spreads over this many cores. */
const VERIFY_PARALLEL = 2;

/**
 * The auditors' reads of the log. They run on the read side (a streaming replica when configured): every
 * query reads committed, append-only history, and a lagging replica only shows an earlier head, whose
 * slice of the chain is complete and verifiable on its own. Appending is not here (`appendEvents` runs
 * inside each use case's transaction on the primary).
 */
export function createAuditService({ reads: { db, exporter } }: Deps) {
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

    /**
     * Events for download, in seq order: NDJSON lines the database renders (the fast path; a line is
     * the canonical body plus the hashes), or CSV from the same events as the list returns them.
     */
    async exportEvents(query: AuditExportQuery): Promise<Download> {
      const range = await exportRange(query);
      return query.format === 'ndjson'
        ? exporter.lines(range.name, eventLinesInSeqOrder(range))
        : exporter.rows(range.name, 'csv', eventsInSeqOrder(range), AUDIT_CSV_COLUMNS);
    },

    /**
     * Recomputes the whole chain from the stored rows and holds it against the stored head, which every
     * append advances in the same transaction: a deleted tail leaves the head pointing past the last
     * event, and an event written around the chain lies beyond the head.
     *
     * The chain is checked in stretches of `VERIFY_STRETCH` events, each one statement that hashes in
     * the database (`checkChainStretch`), so memory stays constant and PGlite's one connection is free
     * between stretches. An event whose stored hash does not match its stored text is recomputed here
     * from its parsed values before it counts as broken: its text may be valid JSON but not canonical
     * (an edit behind the triggers that changed no value, e.g. a rewrite as `jsonb`), and `chainHash` is
     * the contract's definition. `ChainVerifier` decides what the findings mean, as it does offline.
     */
    async verify(): Promise<ChainReport> {
      // The head is read first and the check capped at it, so events appended meanwhile are not
      // mistaken for a tampered tail.
      const head = await readHead(db);
      const chain = new ChainVerifier({ fromGenesis: true, head });
      // The first break the stretches showed so far: only a seq below it can change the answer.
      let known: number | null = null;
      const take = async (stretch: StretchCheck) => {
        let firstInvalid = stretch.firstUnlinked;
        const below = known ?? firstInvalid;
        const suspects = stretch.unhashed.filter((seq) => below === null || seq < below);
        if (suspects.length > 0) {
          const recomputed = await recomputeHashes(db, suspects);
          const broken = suspects.find((seq) => recomputed.get(seq)?.actual !== recomputed.get(seq)?.stored);
          if (broken !== undefined && (firstInvalid === null || broken < firstInvalid)) firstInvalid = broken;
        }
        if (firstInvalid !== null && (known === null || firstInvalid < known)) known = firstInvalid;
        chain.pushChecked({ checked: stretch.checked, last: stretch.last, firstInvalid });
      };
      // A few stretches in flight, taken in order: on PostgreSQL each runs on its own connection and
      // core; PGlite runs them one after the other anyway.
      const inFlight: Promise<StretchCheck>[] = [];
      for (let fromSeq = 1; fromSeq <= head.seq; fromSeq += VERIFY_STRETCH) {
        const check = checkChainStretch(db, {
          fromSeq,
          toSeq: Math.min(fromSeq + VERIFY_STRETCH - 1, head.seq),
        });
        check.catch(() => {}); // awaited below, in order; this only keeps a later failure from going unhandled
        inFlight.push(check);
        if (inFlight.length >= VERIFY_PARALLEL) await take(await inFlight.shift()!);
      }
      for (const check of inFlight) await take(await check);
      // Stored seq first, head second: a legitimate event visible to the first read was committed with
      // its head advance, so only an event that bypassed the head can lie beyond it.
      const storedSeq = await lastEventSeq(db);
      const headNow = await readHead(db);
      if (storedSeq > headNow.seq) chain.invalidAt(headNow.seq + 1);
      return chain.report();
    },
  };
}
