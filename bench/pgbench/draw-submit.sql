-- The smallest SQL that does the work of one draw submission, for pgbench (-M prepared): lock and
-- update the mineral row with the stock check in one statement, insert the draw at the agreement's
-- terms, append one event to the global audit hash chain through the one-row head (advance the head,
-- insert the event hashed from its predecessor, store the new head hash). Lock order as in the
-- service: mineral row, then the chain head, last. Variables: minerals (1 = one hot row), companies.
\set m random(1, :minerals)
\set c random(0, :companies - 1)
BEGIN;
UPDATE minerals SET reserved = reserved + 1
  WHERE code = 'BM' || (:m)::text AND reserved + 1 <= on_hand - minimum_reserve;
INSERT INTO draws (id, company_id, mineral_code, agreement_id, quantity, requested_quantity, unit_price,
                   currency, amount, replenishment_days, premium_percent, status, created_at, updated_at)
  SELECT gen_random_uuid(), a.company_id, a.mineral_code, a.id, 1, 1, a.unit_price, a.currency, a.unit_price,
         a.replenishment_days, a.premium_percent, 'pending', now(), now()
  FROM agreements a WHERE a.mineral_code = 'BM' || (:m)::text AND a.status = 'active'
  ORDER BY a.company_id OFFSET (:c)::int LIMIT 1;
WITH k AS (SELECT 'BM' || (:m)::text AS code),
     head AS (UPDATE audit_head SET seq = seq + 1 WHERE id = 1 RETURNING seq, hash AS prev)
INSERT INTO audit_events (seq, occurred_at, actor, action, entity_type, entity_id, data, request_id,
                          prev_hash, hash)
  SELECT seq, now(), jsonb_build_object('sub', 'pgbench', 'role', 'company'), 'draw.submitted', 'draw',
         k.code, '{}', 'pgbench', prev, encode(sha256(convert_to(prev || chr(10) || seq || k.code, 'UTF8')), 'hex')
  FROM head, k RETURNING hash AS new_hash \gset
UPDATE audit_head SET hash = :new_hash WHERE id = 1;
END;
