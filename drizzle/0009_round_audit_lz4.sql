-- custom: an allocation round appends one event whose `data` lists every allocation (about 1.6 MB of
-- JSON for 10,000 draws), stored TOASTed and compressed. pglz spent most of the 30 ms that event cost
-- the database; lz4 compresses the same text several times faster (and decompresses faster for the
-- exports), at a somewhat lower ratio. Only new values are written with it; old rows stay readable.
-- A server built without lz4 (PGlite's WebAssembly build among them) answers feature_not_supported:
-- then the column keeps pglz, which changes only the speed.
DO $$
BEGIN
  ALTER TABLE "audit_events" ALTER COLUMN "data" SET COMPRESSION lz4;
EXCEPTION WHEN feature_not_supported THEN
  RAISE NOTICE 'lz4 is not available here: audit_events.data keeps pglz';
END
$$;
