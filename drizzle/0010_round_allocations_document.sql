-- custom: a round's decisions become one document on the round's row, in the round's order and in the
-- API's form (quantities as normalised decimal text: trim_scale prints 1.500 as 1.5 and 0.000 as 0,
-- as the service does). A row per decision cost a 10,000-draw round a fifth of its database time, two
-- thirds of that in foreign-key checks of ids the round copies from draws it holds under the mineral's
-- lock. Existing rounds keep their decisions: they are moved, then the table goes.
ALTER TABLE "allocation_rounds" ADD COLUMN "allocations" json;--> statement-breakpoint
UPDATE "allocation_rounds" AS r SET "allocations" = coalesce(
  (SELECT json_agg(json_build_object(
            'drawId', a."draw_id",
            'companyId', a."company_id",
            'priorityClass', a."priority_class",
            'requested', trim_scale(a."requested")::text,
            'allocated', trim_scale(a."allocated")::text)
          ORDER BY a."position")
   FROM "allocation_round_allocations" AS a WHERE a."round_id" = r."id"),
  '[]'::json);--> statement-breakpoint
ALTER TABLE "allocation_rounds" ALTER COLUMN "allocations" SET NOT NULL;--> statement-breakpoint
ALTER TABLE "allocation_rounds" ADD CONSTRAINT "allocation_rounds_allocations_array" CHECK (json_typeof("allocation_rounds"."allocations") = 'array');--> statement-breakpoint
DROP TABLE "allocation_round_allocations";--> statement-breakpoint
-- As audit_events.data (0009): lz4 where the server has it (10,000 decisions are about 1.7 MB of JSON).
DO $$
BEGIN
  ALTER TABLE "allocation_rounds" ALTER COLUMN "allocations" SET COMPRESSION lz4;
EXCEPTION WHEN feature_not_supported THEN
  RAISE NOTICE 'lz4 is not available here: allocation_rounds.allocations keeps pglz';
END
$$;
