-- actor and data become json (text kept byte for byte) so the appender can store their JCS text and the
-- database can rebuild each event's canonical body by concatenation (see audit.table.ts). Rows written
-- before this keep jsonb's rendering, which is not canonical: verify recomputes those in JavaScript.
ALTER TABLE "audit_events" ALTER COLUMN "actor" SET DATA TYPE json;--> statement-breakpoint
ALTER TABLE "audit_events" ALTER COLUMN "data" SET DATA TYPE json;
