-- Values the NDJSON export writes between plain quotes must need no JSON escaping, and json text must
-- stay on one line (see openCanonicalBody in audit.repository.ts).
ALTER TABLE "audit_events" ADD CONSTRAINT "audit_events_hashes_hex" CHECK ("audit_events"."hash" ~ '^[0-9a-f]{64}$' and "audit_events"."prev_hash" ~ '^[0-9a-f]{64}$');--> statement-breakpoint
ALTER TABLE "audit_events" ADD CONSTRAINT "audit_events_action_shape" CHECK ("audit_events"."action" ~ '^[a-z_]+\.[a-z_]+$');--> statement-breakpoint
ALTER TABLE "audit_events" ADD CONSTRAINT "audit_events_entity_type_shape" CHECK ("audit_events"."entity_type" ~ '^[a-z_]+$');--> statement-breakpoint
ALTER TABLE "audit_events" ADD CONSTRAINT "audit_events_entity_id_shape" CHECK ("audit_events"."entity_id" ~ '^[A-Za-z0-9_-]+$');--> statement-breakpoint
ALTER TABLE "audit_events" ADD CONSTRAINT "audit_events_json_one_line" CHECK (strpos("audit_events"."actor"::text, E'\n') = 0 and strpos("audit_events"."actor"::text, E'\r') = 0
        and strpos("audit_events"."data"::text, E'\n') = 0 and strpos("audit_events"."data"::text, E'\r') = 0);