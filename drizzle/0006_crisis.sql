CREATE TABLE "allocation_round_allocations" (
	"round_id" uuid NOT NULL,
	"position" integer NOT NULL,
	"draw_id" uuid NOT NULL,
	"company_id" uuid NOT NULL,
	"priority_class" text NOT NULL,
	"requested" numeric(20, 3) NOT NULL,
	"allocated" numeric(20, 3) NOT NULL,
	CONSTRAINT "allocation_round_allocations_round_id_position_pk" PRIMARY KEY("round_id","position"),
	CONSTRAINT "allocation_round_allocations_check" CHECK ("allocation_round_allocations"."requested" > 0 and "allocation_round_allocations"."allocated" >= 0 and "allocation_round_allocations"."allocated" <= "allocation_round_allocations"."requested")
);
--> statement-breakpoint
CREATE TABLE "allocation_rounds" (
	"id" uuid PRIMARY KEY NOT NULL,
	"mineral_code" text NOT NULL,
	"disruption_id" uuid,
	"level" text NOT NULL,
	"supply" numeric(20, 3) NOT NULL,
	"requested_total" numeric(20, 3) NOT NULL,
	"allocated_total" numeric(20, 3) NOT NULL,
	"floor_used" numeric(20, 3) NOT NULL,
	"created_at" timestamp (3) with time zone NOT NULL,
	CONSTRAINT "allocation_rounds_level_check" CHECK ("allocation_rounds"."level" in ('none', 'alert', 'emergency')),
	CONSTRAINT "allocation_rounds_supply_check" CHECK ("allocation_rounds"."supply" > 0),
	CONSTRAINT "allocation_rounds_totals_check" CHECK ("allocation_rounds"."allocated_total" >= 0 and "allocation_rounds"."allocated_total" <= "allocation_rounds"."supply" and "allocation_rounds"."allocated_total" <= "allocation_rounds"."requested_total" and "allocation_rounds"."floor_used" >= 0)
);
--> statement-breakpoint
CREATE TABLE "disruption_minerals" (
	"disruption_id" uuid NOT NULL,
	"mineral_code" text NOT NULL,
	"position" integer NOT NULL,
	"active" boolean NOT NULL,
	CONSTRAINT "disruption_minerals_disruption_id_mineral_code_pk" PRIMARY KEY("disruption_id","mineral_code")
);
--> statement-breakpoint
CREATE TABLE "disruptions" (
	"id" uuid PRIMARY KEY NOT NULL,
	"title" text NOT NULL,
	"description" text,
	"level" text NOT NULL,
	"status" text NOT NULL,
	"declared_at" timestamp (3) with time zone NOT NULL,
	"ended_at" timestamp (3) with time zone,
	"end_reason" text,
	"created_at" timestamp (3) with time zone NOT NULL,
	"updated_at" timestamp (3) with time zone NOT NULL,
	CONSTRAINT "disruptions_level_check" CHECK ("disruptions"."level" in ('alert', 'emergency')),
	CONSTRAINT "disruptions_status_check" CHECK ("disruptions"."status" in ('active', 'ended')),
	CONSTRAINT "disruptions_ended_check" CHECK (("disruptions"."status" = 'ended') = ("disruptions"."ended_at" is not null))
);
--> statement-breakpoint
ALTER TABLE "draws" DROP CONSTRAINT "draws_status_check";--> statement-breakpoint
ALTER TABLE "agreements" ADD COLUMN "priority_class" text DEFAULT 'unrated' NOT NULL;--> statement-breakpoint
ALTER TABLE "agreements" ADD COLUMN "routine_limit_percent" numeric(5, 2) DEFAULT '100' NOT NULL;--> statement-breakpoint
-- Hand-edited: draws from before this migration asked for what they hold.
ALTER TABLE "draws" ADD COLUMN "requested_quantity" numeric(20, 3);--> statement-breakpoint
UPDATE "draws" SET "requested_quantity" = "quantity";--> statement-breakpoint
ALTER TABLE "draws" ALTER COLUMN "requested_quantity" SET NOT NULL;--> statement-breakpoint
ALTER TABLE "draws" ADD COLUMN "priority_class" text DEFAULT 'unrated' NOT NULL;--> statement-breakpoint
ALTER TABLE "draws" ADD COLUMN "disruption_id" uuid;--> statement-breakpoint
ALTER TABLE "draws" ADD COLUMN "allocation_round_id" uuid;--> statement-breakpoint
ALTER TABLE "minerals" ADD COLUMN "queued" numeric(20, 3) DEFAULT '0' NOT NULL;--> statement-breakpoint
ALTER TABLE "allocation_round_allocations" ADD CONSTRAINT "allocation_round_allocations_round_id_allocation_rounds_id_fk" FOREIGN KEY ("round_id") REFERENCES "public"."allocation_rounds"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "allocation_round_allocations" ADD CONSTRAINT "allocation_round_allocations_company_id_companies_id_fk" FOREIGN KEY ("company_id") REFERENCES "public"."companies"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "allocation_rounds" ADD CONSTRAINT "allocation_rounds_mineral_code_minerals_code_fk" FOREIGN KEY ("mineral_code") REFERENCES "public"."minerals"("code") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "allocation_rounds" ADD CONSTRAINT "allocation_rounds_disruption_id_disruptions_id_fk" FOREIGN KEY ("disruption_id") REFERENCES "public"."disruptions"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "disruption_minerals" ADD CONSTRAINT "disruption_minerals_disruption_id_disruptions_id_fk" FOREIGN KEY ("disruption_id") REFERENCES "public"."disruptions"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "disruption_minerals" ADD CONSTRAINT "disruption_minerals_mineral_code_minerals_code_fk" FOREIGN KEY ("mineral_code") REFERENCES "public"."minerals"("code") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "allocation_rounds_created_idx" ON "allocation_rounds" USING btree ("created_at","id");--> statement-breakpoint
CREATE INDEX "allocation_rounds_mineral_idx" ON "allocation_rounds" USING btree ("mineral_code","created_at","id");--> statement-breakpoint
CREATE UNIQUE INDEX "disruption_minerals_one_active_idx" ON "disruption_minerals" USING btree ("mineral_code") WHERE "disruption_minerals"."active";--> statement-breakpoint
CREATE INDEX "disruption_minerals_mineral_idx" ON "disruption_minerals" USING btree ("mineral_code","disruption_id");--> statement-breakpoint
CREATE INDEX "disruptions_created_idx" ON "disruptions" USING btree ("created_at","id");--> statement-breakpoint
ALTER TABLE "draws" ADD CONSTRAINT "draws_disruption_id_disruptions_id_fk" FOREIGN KEY ("disruption_id") REFERENCES "public"."disruptions"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "draws" ADD CONSTRAINT "draws_allocation_round_id_allocation_rounds_id_fk" FOREIGN KEY ("allocation_round_id") REFERENCES "public"."allocation_rounds"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "draws_queue_idx" ON "draws" USING btree ("mineral_code","created_at","id") WHERE "draws"."status" = 'queued';--> statement-breakpoint
CREATE INDEX "draws_round_idx" ON "draws" USING btree ("allocation_round_id");--> statement-breakpoint
ALTER TABLE "agreements" ADD CONSTRAINT "agreements_priority_class_check" CHECK ("agreements"."priority_class" in ('DX', 'DO', 'unrated'));--> statement-breakpoint
ALTER TABLE "agreements" ADD CONSTRAINT "agreements_routine_limit_check" CHECK ("agreements"."routine_limit_percent" > 0 and "agreements"."routine_limit_percent" <= 100);--> statement-breakpoint
ALTER TABLE "draws" ADD CONSTRAINT "draws_requested_quantity_check" CHECK ("draws"."quantity" <= "draws"."requested_quantity");--> statement-breakpoint
ALTER TABLE "draws" ADD CONSTRAINT "draws_priority_class_check" CHECK ("draws"."priority_class" in ('DX', 'DO', 'unrated'));--> statement-breakpoint
ALTER TABLE "draws" ADD CONSTRAINT "draws_status_check" CHECK ("draws"."status" in ('pending', 'queued', 'approved', 'rejected', 'cancelled', 'fulfilled'));--> statement-breakpoint
ALTER TABLE "minerals" ADD CONSTRAINT "minerals_queued_check" CHECK ("minerals"."queued" >= 0);