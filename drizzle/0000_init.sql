CREATE TABLE "agreements" (
	"id" uuid PRIMARY KEY NOT NULL,
	"company_id" uuid NOT NULL,
	"mineral_code" text NOT NULL,
	"unit_price" numeric(20, 4) NOT NULL,
	"currency" text DEFAULT 'USD' NOT NULL,
	"max_outstanding" numeric(20, 3) NOT NULL,
	"replenishment_days" integer NOT NULL,
	"premium_percent" numeric(5, 2) NOT NULL,
	"status" text NOT NULL,
	"created_at" timestamp (3) with time zone NOT NULL,
	"terminated_at" timestamp (3) with time zone,
	CONSTRAINT "agreements_status_check" CHECK ("agreements"."status" in ('active', 'terminated')),
	CONSTRAINT "agreements_max_outstanding_check" CHECK ("agreements"."max_outstanding" > 0),
	CONSTRAINT "agreements_unit_price_check" CHECK ("agreements"."unit_price" >= 0),
	CONSTRAINT "agreements_days_check" CHECK ("agreements"."replenishment_days" >= 0),
	CONSTRAINT "agreements_premium_check" CHECK ("agreements"."premium_percent" >= 0 and "agreements"."premium_percent" <= 100)
);
--> statement-breakpoint
CREATE TABLE "audit_events" (
	"seq" bigint PRIMARY KEY NOT NULL,
	"occurred_at" timestamp (3) with time zone NOT NULL,
	"actor" jsonb NOT NULL,
	"action" text NOT NULL,
	"entity_type" text NOT NULL,
	"entity_id" text NOT NULL,
	"data" jsonb NOT NULL,
	"request_id" text NOT NULL,
	"prev_hash" text NOT NULL,
	"hash" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "audit_head" (
	"id" integer PRIMARY KEY NOT NULL,
	"seq" bigint NOT NULL,
	"hash" text NOT NULL,
	CONSTRAINT "audit_head_single_row" CHECK ("audit_head"."id" = 1)
);
--> statement-breakpoint
CREATE TABLE "companies" (
	"id" uuid PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"country" text NOT NULL,
	"status" text NOT NULL,
	"created_at" timestamp (3) with time zone NOT NULL,
	"updated_at" timestamp (3) with time zone NOT NULL,
	CONSTRAINT "companies_status_check" CHECK ("companies"."status" in ('active', 'suspended'))
);
--> statement-breakpoint
CREATE TABLE "depots" (
	"id" uuid PRIMARY KEY NOT NULL,
	"code" text NOT NULL,
	"name" text NOT NULL,
	"country" text NOT NULL,
	"created_at" timestamp (3) with time zone NOT NULL,
	CONSTRAINT "depots_code_unique" UNIQUE("code")
);
--> statement-breakpoint
CREATE TABLE "draw_allocations" (
	"draw_id" uuid NOT NULL,
	"lot_id" uuid NOT NULL,
	"quantity" numeric(20, 3) NOT NULL,
	CONSTRAINT "draw_allocations_draw_id_lot_id_pk" PRIMARY KEY("draw_id","lot_id"),
	CONSTRAINT "draw_allocations_quantity_check" CHECK ("draw_allocations"."quantity" > 0)
);
--> statement-breakpoint
CREATE TABLE "draws" (
	"id" uuid PRIMARY KEY NOT NULL,
	"company_id" uuid NOT NULL,
	"mineral_code" text NOT NULL,
	"agreement_id" uuid NOT NULL,
	"quantity" numeric(20, 3) NOT NULL,
	"unit_price" numeric(20, 4) NOT NULL,
	"currency" text NOT NULL,
	"amount" numeric(22, 2) NOT NULL,
	"replenishment_days" integer NOT NULL,
	"premium_percent" numeric(5, 2) NOT NULL,
	"status" text NOT NULL,
	"depot_id" uuid,
	"note" text,
	"reason" text,
	"obligation_id" uuid,
	"created_at" timestamp (3) with time zone NOT NULL,
	"updated_at" timestamp (3) with time zone NOT NULL,
	"decided_at" timestamp (3) with time zone,
	"fulfilled_at" timestamp (3) with time zone,
	CONSTRAINT "draws_quantity_check" CHECK ("draws"."quantity" > 0),
	CONSTRAINT "draws_status_check" CHECK ("draws"."status" in ('pending', 'approved', 'rejected', 'cancelled', 'fulfilled'))
);
--> statement-breakpoint
CREATE TABLE "idempotency_keys" (
	"caller" text NOT NULL,
	"key" text NOT NULL,
	"fingerprint" text NOT NULL,
	"state" text NOT NULL,
	"status_code" integer,
	"response_body" text,
	"response_headers" jsonb,
	"created_at" timestamp (3) with time zone NOT NULL,
	"expires_at" timestamp (3) with time zone NOT NULL,
	CONSTRAINT "idempotency_keys_caller_key_pk" PRIMARY KEY("caller","key")
);
--> statement-breakpoint
CREATE TABLE "lot_adjustments" (
	"id" uuid PRIMARY KEY NOT NULL,
	"lot_id" uuid NOT NULL,
	"quantity_delta" numeric(20, 3) NOT NULL,
	"reason" text NOT NULL,
	"quantity_on_hand_after" numeric(20, 3) NOT NULL,
	"created_at" timestamp (3) with time zone NOT NULL,
	CONSTRAINT "lot_adjustments_delta_check" CHECK ("lot_adjustments"."quantity_delta" <> 0)
);
--> statement-breakpoint
CREATE TABLE "lots" (
	"id" uuid PRIMARY KEY NOT NULL,
	"mineral_code" text NOT NULL,
	"depot_id" uuid NOT NULL,
	"quantity_received" numeric(20, 3) NOT NULL,
	"quantity_on_hand" numeric(20, 3) NOT NULL,
	"origin_country" text NOT NULL,
	"grade" text,
	"unit_cost" numeric(20, 4),
	"source" text NOT NULL,
	"reference" text,
	"received_at" timestamp (3) with time zone NOT NULL,
	"created_at" timestamp (3) with time zone NOT NULL,
	CONSTRAINT "lots_quantity_received_check" CHECK ("lots"."quantity_received" > 0),
	CONSTRAINT "lots_quantity_on_hand_check" CHECK ("lots"."quantity_on_hand" >= 0),
	CONSTRAINT "lots_source_check" CHECK ("lots"."source" in ('procurement', 'replenishment'))
);
--> statement-breakpoint
CREATE TABLE "stock_movements" (
	"seq" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "stock_movements_seq_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"at" timestamp (3) with time zone NOT NULL,
	"mineral_code" text NOT NULL,
	"depot_id" uuid NOT NULL,
	"lot_id" uuid NOT NULL,
	"kind" text NOT NULL,
	"quantity" numeric(20, 3) NOT NULL,
	"balance_after" numeric(20, 3) NOT NULL,
	"reference" text,
	CONSTRAINT "stock_movements_kind_check" CHECK ("stock_movements"."kind" in ('receipt', 'draw', 'replenishment', 'adjustment')),
	CONSTRAINT "stock_movements_balance_check" CHECK ("stock_movements"."balance_after" >= 0)
);
--> statement-breakpoint
CREATE TABLE "minerals" (
	"code" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"unit" text NOT NULL,
	"minimum_reserve" numeric(20, 3) DEFAULT '0' NOT NULL,
	"on_hand" numeric(20, 3) DEFAULT '0' NOT NULL,
	"reserved" numeric(20, 3) DEFAULT '0' NOT NULL,
	"created_at" timestamp (3) with time zone NOT NULL,
	"updated_at" timestamp (3) with time zone NOT NULL,
	CONSTRAINT "minerals_unit_check" CHECK ("minerals"."unit" in ('kg', 't')),
	CONSTRAINT "minerals_minimum_reserve_check" CHECK ("minerals"."minimum_reserve" >= 0),
	CONSTRAINT "minerals_on_hand_check" CHECK ("minerals"."on_hand" >= 0),
	CONSTRAINT "minerals_reserved_check" CHECK ("minerals"."reserved" >= 0 and "minerals"."reserved" <= "minerals"."on_hand")
);
--> statement-breakpoint
CREATE TABLE "obligation_deliveries" (
	"id" uuid PRIMARY KEY NOT NULL,
	"obligation_id" uuid NOT NULL,
	"quantity" numeric(20, 3) NOT NULL,
	"lot_id" uuid NOT NULL,
	"received_at" timestamp (3) with time zone NOT NULL,
	"created_at" timestamp (3) with time zone NOT NULL,
	CONSTRAINT "obligation_deliveries_quantity_check" CHECK ("obligation_deliveries"."quantity" > 0)
);
--> statement-breakpoint
CREATE TABLE "obligations" (
	"id" uuid PRIMARY KEY NOT NULL,
	"company_id" uuid NOT NULL,
	"draw_id" uuid NOT NULL,
	"mineral_code" text NOT NULL,
	"quantity_due" numeric(20, 3) NOT NULL,
	"quantity_delivered" numeric(20, 3) DEFAULT '0' NOT NULL,
	"due_at" timestamp (3) with time zone NOT NULL,
	"status" text NOT NULL,
	"settlement_amount" numeric(22, 2),
	"settlement_reason" text,
	"created_at" timestamp (3) with time zone NOT NULL,
	"updated_at" timestamp (3) with time zone NOT NULL,
	CONSTRAINT "obligations_draw_id_unique" UNIQUE("draw_id"),
	CONSTRAINT "obligations_delivered_check" CHECK ("obligations"."quantity_delivered" >= 0 and "obligations"."quantity_delivered" <= "obligations"."quantity_due"),
	CONSTRAINT "obligations_status_check" CHECK ("obligations"."status" in ('open', 'partially_fulfilled', 'fulfilled', 'settled'))
);
--> statement-breakpoint
ALTER TABLE "agreements" ADD CONSTRAINT "agreements_company_id_companies_id_fk" FOREIGN KEY ("company_id") REFERENCES "public"."companies"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "agreements" ADD CONSTRAINT "agreements_mineral_code_minerals_code_fk" FOREIGN KEY ("mineral_code") REFERENCES "public"."minerals"("code") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "draw_allocations" ADD CONSTRAINT "draw_allocations_draw_id_draws_id_fk" FOREIGN KEY ("draw_id") REFERENCES "public"."draws"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "draw_allocations" ADD CONSTRAINT "draw_allocations_lot_id_lots_id_fk" FOREIGN KEY ("lot_id") REFERENCES "public"."lots"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "draws" ADD CONSTRAINT "draws_company_id_companies_id_fk" FOREIGN KEY ("company_id") REFERENCES "public"."companies"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "draws" ADD CONSTRAINT "draws_mineral_code_minerals_code_fk" FOREIGN KEY ("mineral_code") REFERENCES "public"."minerals"("code") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "draws" ADD CONSTRAINT "draws_agreement_id_agreements_id_fk" FOREIGN KEY ("agreement_id") REFERENCES "public"."agreements"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "lot_adjustments" ADD CONSTRAINT "lot_adjustments_lot_id_lots_id_fk" FOREIGN KEY ("lot_id") REFERENCES "public"."lots"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "lots" ADD CONSTRAINT "lots_mineral_code_minerals_code_fk" FOREIGN KEY ("mineral_code") REFERENCES "public"."minerals"("code") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "lots" ADD CONSTRAINT "lots_depot_id_depots_id_fk" FOREIGN KEY ("depot_id") REFERENCES "public"."depots"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "stock_movements" ADD CONSTRAINT "stock_movements_mineral_code_minerals_code_fk" FOREIGN KEY ("mineral_code") REFERENCES "public"."minerals"("code") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "stock_movements" ADD CONSTRAINT "stock_movements_lot_id_lots_id_fk" FOREIGN KEY ("lot_id") REFERENCES "public"."lots"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "obligation_deliveries" ADD CONSTRAINT "obligation_deliveries_obligation_id_obligations_id_fk" FOREIGN KEY ("obligation_id") REFERENCES "public"."obligations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "obligation_deliveries" ADD CONSTRAINT "obligation_deliveries_lot_id_lots_id_fk" FOREIGN KEY ("lot_id") REFERENCES "public"."lots"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "obligations" ADD CONSTRAINT "obligations_company_id_companies_id_fk" FOREIGN KEY ("company_id") REFERENCES "public"."companies"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "obligations" ADD CONSTRAINT "obligations_draw_id_draws_id_fk" FOREIGN KEY ("draw_id") REFERENCES "public"."draws"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "obligations" ADD CONSTRAINT "obligations_mineral_code_minerals_code_fk" FOREIGN KEY ("mineral_code") REFERENCES "public"."minerals"("code") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "agreements_one_active_idx" ON "agreements" USING btree ("company_id","mineral_code") WHERE "agreements"."status" = 'active';--> statement-breakpoint
CREATE INDEX "agreements_created_idx" ON "agreements" USING btree ("created_at","id");--> statement-breakpoint
CREATE INDEX "audit_events_entity_idx" ON "audit_events" USING btree ("entity_type","entity_id","seq");--> statement-breakpoint
CREATE INDEX "audit_events_action_idx" ON "audit_events" USING btree ("action","seq");--> statement-breakpoint
CREATE INDEX "audit_events_occurred_idx" ON "audit_events" USING btree ("occurred_at");--> statement-breakpoint
CREATE INDEX "draws_holds_idx" ON "draws" USING btree ("company_id","mineral_code","status");--> statement-breakpoint
CREATE INDEX "draws_created_idx" ON "draws" USING btree ("created_at","id");--> statement-breakpoint
CREATE INDEX "idempotency_keys_expires_idx" ON "idempotency_keys" USING btree ("expires_at");--> statement-breakpoint
CREATE INDEX "lots_mineral_received_idx" ON "lots" USING btree ("mineral_code","received_at");--> statement-breakpoint
CREATE INDEX "lots_created_idx" ON "lots" USING btree ("created_at","id");--> statement-breakpoint
CREATE INDEX "stock_movements_mineral_idx" ON "stock_movements" USING btree ("mineral_code","seq");--> statement-breakpoint
CREATE INDEX "stock_movements_at_idx" ON "stock_movements" USING btree ("at");--> statement-breakpoint
CREATE INDEX "obligation_deliveries_obligation_idx" ON "obligation_deliveries" USING btree ("obligation_id","created_at");--> statement-breakpoint
CREATE INDEX "obligations_company_idx" ON "obligations" USING btree ("company_id","mineral_code","status");--> statement-breakpoint
CREATE INDEX "obligations_created_idx" ON "obligations" USING btree ("created_at","id");