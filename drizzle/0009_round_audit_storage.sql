-- The same rule (64 lowercase hex digits), written as a length and an unbounded class: PostgreSQL's
-- regex engine runs `{64}` as 64 NFA states per value, and the two hashes of each event were the most
-- expensive of the audit table's checks (an allocation round inserts 10,001 events under the audit
-- head's lock). Re-adding the constraint checks the existing rows once.
ALTER TABLE "audit_events" DROP CONSTRAINT "audit_events_hashes_hex";--> statement-breakpoint
ALTER TABLE "audit_events" ADD CONSTRAINT "audit_events_hashes_hex" CHECK (length("audit_events"."hash") = 64 and "audit_events"."hash" ~ '^[0-9a-f]*$' and length("audit_events"."prev_hash") = 64 and "audit_events"."prev_hash" ~ '^[0-9a-f]*$');--> statement-breakpoint
-- custom: an allocation round appends one event whose `data` lists every allocation (about 1.6 MB of
-- JSON for 10,000 draws), stored TOASTed and compressed. pglz spent most of the 30 ms that event cost
-- the database; lz4 compresses the same text several times faster (and decompresses faster for the
-- exports), at a slightly lower ratio. Only new values are written with it; old rows stay readable.
-- A server built without lz4 (PGlite's WebAssembly build among them) answers feature_not_supported:
-- then the column keeps pglz, which changes only the speed.
DO $$
BEGIN
  ALTER TABLE "audit_events" ALTER COLUMN "data" SET COMPRESSION lz4;
EXCEPTION WHEN feature_not_supported THEN
  RAISE NOTICE 'lz4 is not available here: audit_events.data keeps pglz';
END
$$;
