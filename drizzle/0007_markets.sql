CREATE TABLE "lot_value_totals" (
	"mineral_code" text PRIMARY KEY NOT NULL,
	"costed_on_hand" numeric(20, 3) DEFAULT '0' NOT NULL,
	"book_value" numeric DEFAULT '0' NOT NULL,
	"unvalued_on_hand" numeric(20, 3) DEFAULT '0' NOT NULL,
	CONSTRAINT "lot_value_totals_non_negative" CHECK ("lot_value_totals"."costed_on_hand" >= 0 and "lot_value_totals"."book_value" >= 0 and "lot_value_totals"."unvalued_on_hand" >= 0)
);
--> statement-breakpoint
CREATE TABLE "market_prices" (
	"id" uuid PRIMARY KEY NOT NULL,
	"seq" bigint GENERATED ALWAYS AS IDENTITY (sequence name "market_prices_seq_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"mineral_code" text NOT NULL,
	"price" numeric(20, 4) NOT NULL,
	"as_of" timestamp (3) with time zone NOT NULL,
	"source" text NOT NULL,
	"created_at" timestamp (3) with time zone NOT NULL,
	CONSTRAINT "market_prices_price_check" CHECK ("market_prices"."price" > 0)
);
--> statement-breakpoint
ALTER TABLE "draws" ADD COLUMN "market_price" numeric(20, 4);--> statement-breakpoint
ALTER TABLE "draws" ADD COLUMN "hedge_value" numeric(22, 2);--> statement-breakpoint
ALTER TABLE "minerals" ADD COLUMN "floor_price" numeric(20, 4);--> statement-breakpoint
ALTER TABLE "minerals" ADD COLUMN "daily_consumption" numeric(20, 3);--> statement-breakpoint
ALTER TABLE "minerals" ADD COLUMN "target_coverage_days" integer DEFAULT 60 NOT NULL;--> statement-breakpoint
ALTER TABLE "lot_value_totals" ADD CONSTRAINT "lot_value_totals_mineral_code_minerals_code_fk" FOREIGN KEY ("mineral_code") REFERENCES "public"."minerals"("code") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "market_prices" ADD CONSTRAINT "market_prices_mineral_code_minerals_code_fk" FOREIGN KEY ("mineral_code") REFERENCES "public"."minerals"("code") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "market_prices_lookup_idx" ON "market_prices" USING btree ("mineral_code","as_of","seq");--> statement-breakpoint
ALTER TABLE "minerals" ADD CONSTRAINT "minerals_floor_price_check" CHECK ("minerals"."floor_price" > 0);--> statement-breakpoint
ALTER TABLE "minerals" ADD CONSTRAINT "minerals_daily_consumption_check" CHECK ("minerals"."daily_consumption" > 0);--> statement-breakpoint
ALTER TABLE "minerals" ADD CONSTRAINT "minerals_target_coverage_days_check" CHECK ("minerals"."target_coverage_days" between 1 and 3650);--> statement-breakpoint
-- custom:
-- Market prices are append-only in the database itself (as audit_events): UPDATE, DELETE and
-- TRUNCATE fail whoever issues them (row triggers do not fire on TRUNCATE, hence the statement trigger).
CREATE OR REPLACE FUNCTION market_prices_reject_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'market_prices is append-only: % rejected', TG_OP
    USING ERRCODE = 'insufficient_privilege';
END;
$$;
--> statement-breakpoint
CREATE TRIGGER market_prices_no_update_delete
  BEFORE UPDATE OR DELETE ON market_prices
  FOR EACH ROW EXECUTE FUNCTION market_prices_reject_change();
--> statement-breakpoint
CREATE TRIGGER market_prices_no_truncate
  BEFORE TRUNCATE ON market_prices
  FOR EACH STATEMENT EXECUTE FUNCTION market_prices_reject_change();
--> statement-breakpoint
-- lot_value_totals follows every lot change in the same transaction (exact numeric deltas),
-- so the valuation reads one row per mineral instead of aggregating every lot per request.
-- Every mineral has its row from the start (an upsert would check the constraint on the delta itself).
CREATE OR REPLACE FUNCTION minerals_create_lot_value_totals() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO lot_value_totals (mineral_code) VALUES (NEW.code) ON CONFLICT (mineral_code) DO NOTHING;
  RETURN NULL;
END;
$$;
--> statement-breakpoint
CREATE TRIGGER minerals_create_lot_value_totals
  AFTER INSERT ON minerals
  FOR EACH ROW EXECUTE FUNCTION minerals_create_lot_value_totals();
--> statement-breakpoint
CREATE OR REPLACE FUNCTION lot_value_totals_add(code text, costed numeric, book numeric, unvalued numeric)
RETURNS void LANGUAGE sql AS $$
  UPDATE lot_value_totals SET
    costed_on_hand = costed_on_hand + costed,
    book_value = book_value + book,
    unvalued_on_hand = unvalued_on_hand + unvalued
  WHERE mineral_code = code;
$$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION lots_track_value() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE' AND NEW.mineral_code = OLD.mineral_code THEN
    -- One update with the net change: the common case (a draw or an adjustment moves on-hand).
    PERFORM lot_value_totals_add(
      NEW.mineral_code,
      CASE WHEN NEW.unit_cost IS NULL THEN 0 ELSE NEW.quantity_on_hand END
        - CASE WHEN OLD.unit_cost IS NULL THEN 0 ELSE OLD.quantity_on_hand END,
      coalesce(NEW.quantity_on_hand * NEW.unit_cost, 0) - coalesce(OLD.quantity_on_hand * OLD.unit_cost, 0),
      CASE WHEN NEW.unit_cost IS NULL THEN NEW.quantity_on_hand ELSE 0 END
        - CASE WHEN OLD.unit_cost IS NULL THEN OLD.quantity_on_hand ELSE 0 END);
    RETURN NULL;
  END IF;
  IF TG_OP IN ('UPDATE', 'DELETE') THEN
    PERFORM lot_value_totals_add(
      OLD.mineral_code,
      -CASE WHEN OLD.unit_cost IS NULL THEN 0 ELSE OLD.quantity_on_hand END,
      -coalesce(OLD.quantity_on_hand * OLD.unit_cost, 0),
      -CASE WHEN OLD.unit_cost IS NULL THEN OLD.quantity_on_hand ELSE 0 END);
  END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') THEN
    PERFORM lot_value_totals_add(
      NEW.mineral_code,
      CASE WHEN NEW.unit_cost IS NULL THEN 0 ELSE NEW.quantity_on_hand END,
      coalesce(NEW.quantity_on_hand * NEW.unit_cost, 0),
      CASE WHEN NEW.unit_cost IS NULL THEN NEW.quantity_on_hand ELSE 0 END);
  END IF;
  RETURN NULL;
END;
$$;
--> statement-breakpoint
CREATE TRIGGER lots_track_value
  AFTER INSERT OR DELETE OR UPDATE OF quantity_on_hand, unit_cost, mineral_code ON lots
  FOR EACH ROW EXECUTE FUNCTION lots_track_value();
--> statement-breakpoint
-- Minerals and lots that exist before this migration.
INSERT INTO lot_value_totals (mineral_code, costed_on_hand, book_value, unvalued_on_hand)
SELECT m.code,
       coalesce(sum(l.quantity_on_hand) FILTER (WHERE l.unit_cost IS NOT NULL), 0),
       coalesce(sum(l.quantity_on_hand * l.unit_cost), 0),
       coalesce(sum(l.quantity_on_hand) FILTER (WHERE l.unit_cost IS NULL), 0)
FROM minerals m LEFT JOIN lots l ON l.mineral_code = m.code
GROUP BY m.code;
