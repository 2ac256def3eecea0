import type postgres from 'postgres';
import { chainHash, GENESIS_HASH } from '../../src/modules/audit/audit.chain.js';

export interface InvariantReport {
  violations: string[];
  draws: number;
  events: number;
}

const VERIFY_BATCH = 5000;

/**
 * The invariants every benchmark run must leave intact, read straight from the tables: for every
 * mineral reserved = Σ open holds (pending + approved draws) and reserved ≤ on hand − minimum reserve;
 * the audit log gapless from seq 1 to the head, each prev_hash the previous event's hash, the head on
 * the last event. With `recomputeHashes`, every event's hash is also recomputed with the service's
 * `chainHash` (not for pgbench's events, which hash a shorter payload on purpose).
 */
export async function checkInvariants(
  sql: postgres.Sql,
  options: { recomputeHashes: boolean },
): Promise<InvariantReport> {
  const violations: string[] = [];
  const positions = await sql`
    select m.code, m.on_hand::text, m.reserved::text, m.minimum_reserve::text,
           coalesce(h.held, 0)::text as held,
           (m.reserved = coalesce(h.held, 0)) as holds_match,
           (m.reserved <= m.on_hand - m.minimum_reserve) as within_drawable
    from minerals m
    left join (select mineral_code, sum(quantity) as held from draws
               where status in ('pending', 'approved') group by mineral_code) h on h.mineral_code = m.code`;
  for (const p of positions) {
    if (!p.holds_match) violations.push(`${p.code}: reserved ${p.reserved} ≠ Σ open holds ${p.held}`);
    if (!p.within_drawable) {
      violations.push(
        `${p.code}: reserved ${p.reserved} > on hand ${p.on_hand} − minimum ${p.minimum_reserve}`,
      );
    }
  }
  const [counts] = await sql`
    select (select count(*) from draws)::int as draws, count(*)::int as events,
           coalesce(min(seq), 0)::int as min_seq, coalesce(max(seq), 0)::int as max_seq
    from audit_events`;
  const [head] = await sql`select seq::int as seq, hash from audit_head where id = 1`;
  const [links] = await sql`
    select count(*)::int as broken from (
      select seq, prev_hash, lag(hash) over (order by seq) as previous from audit_events
    ) e where e.seq > 1 and e.prev_hash is distinct from e.previous`;
  const [last] = await sql`select hash from audit_events order by seq desc limit 1`;
  const events = counts!.events as number;
  if (events > 0 && (counts!.min_seq !== 1 || counts!.max_seq !== events)) {
    violations.push(`audit seq not gapless: ${events} events span ${counts!.min_seq}..${counts!.max_seq}`);
  }
  if (head!.seq !== counts!.max_seq)
    violations.push(`audit head at ${head!.seq}, last event ${counts!.max_seq}`);
  if (links!.broken !== 0) violations.push(`${links!.broken} audit events do not link to their predecessor`);
  if (last && last.hash !== head!.hash) violations.push('audit head hash is not the last event hash');
  if (options.recomputeHashes && events > 0) {
    const bad = await recomputeChain(sql);
    if (bad !== null) violations.push(`audit event ${bad} does not hash to its stored hash`);
  }
  return { violations, draws: counts!.draws as number, events };
}

/** The first seq whose stored hash is not chainHash(prev_hash, body), or null. Streams in batches. */
async function recomputeChain(sql: postgres.Sql): Promise<number | null> {
  let prev = GENESIS_HASH;
  const cursor = sql`
    select seq::int as seq, (extract(epoch from occurred_at) * 1000)::bigint::text as ms, actor, action,
           entity_type, entity_id, data, request_id, prev_hash, hash
    from audit_events order by seq`.cursor(VERIFY_BATCH);
  for await (const rows of cursor) {
    for (const r of rows) {
      const body = {
        seq: r.seq as number,
        occurredAt: new Date(Number(r.ms)).toISOString(),
        actor: r.actor as { sub: string; role: string; companyId: string | null },
        action: r.action as string,
        entityType: r.entity_type as string,
        entityId: r.entity_id as string,
        data: r.data,
        requestId: r.request_id as string,
      };
      if (r.prev_hash !== prev || chainHash(prev, body) !== r.hash) return body.seq;
      prev = r.hash as string;
    }
  }
  return null;
}
