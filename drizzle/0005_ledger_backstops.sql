ALTER TABLE "stock_movements" ADD CONSTRAINT "stock_movements_depot_id_depots_id_fk" FOREIGN KEY ("depot_id") REFERENCES "public"."depots"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
-- custom:
-- The draws' references drizzle does not declare (draws.table.ts and obligations.table.ts would import
-- each other), with the names drizzle-kit would give them, so declaring them in the tables later makes
-- a migration that finds them already there. Existing rows must already satisfy them: the services only
-- ever write ids they have just read or created.
ALTER TABLE "draws" ADD CONSTRAINT "draws_depot_id_depots_id_fk" FOREIGN KEY ("depot_id") REFERENCES "public"."depots"("id") ON DELETE no action ON UPDATE no action;
--> statement-breakpoint
ALTER TABLE "draws" ADD CONSTRAINT "draws_obligation_id_obligations_id_fk" FOREIGN KEY ("obligation_id") REFERENCES "public"."obligations"("id") ON DELETE no action ON UPDATE no action;
--> statement-breakpoint
-- The inventory ledger is append-only in the database itself, like the audit log (migration 0001): an
-- auditor's ledger export must be history, not whatever the rows say today. Row triggers do not fire
-- on TRUNCATE, hence the statement trigger.
CREATE OR REPLACE FUNCTION stock_movements_reject_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'stock_movements is append-only: % rejected', TG_OP
    USING ERRCODE = 'insufficient_privilege';
END;
$$;
--> statement-breakpoint
CREATE TRIGGER stock_movements_no_update_delete
  BEFORE UPDATE OR DELETE ON stock_movements
  FOR EACH ROW EXECUTE FUNCTION stock_movements_reject_change();
--> statement-breakpoint
CREATE TRIGGER stock_movements_no_truncate
  BEFORE TRUNCATE ON stock_movements
  FOR EACH STATEMENT EXECUTE FUNCTION stock_movements_reject_change();
