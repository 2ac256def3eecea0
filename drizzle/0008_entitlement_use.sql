CREATE TABLE "entitlement_use" (
	"company_id" uuid NOT NULL,
	"mineral_code" text NOT NULL,
	"held" numeric(20, 3) DEFAULT '0' NOT NULL,
	"queued" numeric(20, 3) DEFAULT '0' NOT NULL,
	CONSTRAINT "entitlement_use_company_id_mineral_code_pk" PRIMARY KEY("company_id","mineral_code"),
	CONSTRAINT "entitlement_use_check" CHECK ("entitlement_use"."held" >= 0 and "entitlement_use"."queued" >= 0)
);
--> statement-breakpoint
ALTER TABLE "entitlement_use" ADD CONSTRAINT "entitlement_use_company_id_companies_id_fk" FOREIGN KEY ("company_id") REFERENCES "public"."companies"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "entitlement_use" ADD CONSTRAINT "entitlement_use_mineral_code_minerals_code_fk" FOREIGN KEY ("mineral_code") REFERENCES "public"."minerals"("code") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
-- custom:
-- entitlement_use is kept by statement triggers on draws, from their transition tables: one upsert per
-- (company, mineral) a statement moved, so an allocation round deciding 10,000 draws in one UPDATE adds
-- one small statement, not 10,000. A draw counts in `held` while pending or approved (draws.rules.ts
-- HOLDING) and in `queued` while queued. Transition tables need one trigger per event; plpgsql plans
-- each branch's query only when it first runs, so a branch may name a table its event does not have.
CREATE OR REPLACE FUNCTION entitlement_use_apply() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO entitlement_use AS u (company_id, mineral_code, held, queued)
    SELECT company_id, mineral_code,
           coalesce(sum(quantity) FILTER (WHERE status IN ('pending', 'approved')), 0),
           coalesce(sum(quantity) FILTER (WHERE status = 'queued'), 0)
    FROM new_draws
    WHERE status IN ('pending', 'approved', 'queued')
    GROUP BY company_id, mineral_code
    ON CONFLICT (company_id, mineral_code) DO UPDATE
      SET held = u.held + excluded.held, queued = u.queued + excluded.queued;
  ELSIF TG_OP = 'UPDATE' THEN
    -- Not INSERT … ON CONFLICT: PostgreSQL checks the CHECK constraint on the proposed row before it
    -- looks for the conflict, so a negative change would fail even where a row exists.
    WITH change AS (
      SELECT company_id, mineral_code, coalesce(sum(held), 0) AS held, coalesce(sum(queued), 0) AS queued
      FROM (
        SELECT company_id, mineral_code,
               CASE WHEN status IN ('pending', 'approved') THEN quantity END AS held,
               CASE WHEN status = 'queued' THEN quantity END AS queued
        FROM new_draws
        UNION ALL
        SELECT company_id, mineral_code,
               CASE WHEN status IN ('pending', 'approved') THEN -quantity END,
               CASE WHEN status = 'queued' THEN -quantity END
        FROM old_draws
      ) AS moved
      GROUP BY company_id, mineral_code
      HAVING coalesce(sum(held), 0) <> 0 OR coalesce(sum(queued), 0) <> 0
    ), applied AS (
      UPDATE entitlement_use AS u SET held = u.held + c.held, queued = u.queued + c.queued
      FROM change AS c
      WHERE u.company_id = c.company_id AND u.mineral_code = c.mineral_code
      RETURNING u.company_id, u.mineral_code
    )
    INSERT INTO entitlement_use (company_id, mineral_code, held, queued)
    SELECT c.company_id, c.mineral_code, c.held, c.queued FROM change AS c
    WHERE NOT EXISTS (
      SELECT 1 FROM applied AS a WHERE a.company_id = c.company_id AND a.mineral_code = c.mineral_code
    );
  ELSE
    UPDATE entitlement_use AS u
    SET held = u.held - change.held, queued = u.queued - change.queued
    FROM (
      SELECT company_id, mineral_code,
             coalesce(sum(quantity) FILTER (WHERE status IN ('pending', 'approved')), 0) AS held,
             coalesce(sum(quantity) FILTER (WHERE status = 'queued'), 0) AS queued
      FROM old_draws GROUP BY company_id, mineral_code
    ) AS change
    WHERE u.company_id = change.company_id AND u.mineral_code = change.mineral_code;
  END IF;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER draws_entitlement_use_insert AFTER INSERT ON draws
  REFERENCING NEW TABLE AS new_draws FOR EACH STATEMENT EXECUTE FUNCTION entitlement_use_apply();
--> statement-breakpoint
CREATE TRIGGER draws_entitlement_use_update AFTER UPDATE ON draws
  REFERENCING OLD TABLE AS old_draws NEW TABLE AS new_draws FOR EACH STATEMENT EXECUTE FUNCTION entitlement_use_apply();
--> statement-breakpoint
CREATE TRIGGER draws_entitlement_use_delete AFTER DELETE ON draws
  REFERENCING OLD TABLE AS old_draws FOR EACH STATEMENT EXECUTE FUNCTION entitlement_use_apply();
--> statement-breakpoint
-- Backfill from the draws as they are.
INSERT INTO entitlement_use (company_id, mineral_code, held, queued)
SELECT company_id, mineral_code,
       coalesce(sum(quantity) FILTER (WHERE status IN ('pending', 'approved')), 0),
       coalesce(sum(quantity) FILTER (WHERE status = 'queued'), 0)
FROM draws WHERE status IN ('pending', 'approved', 'queued')
GROUP BY company_id, mineral_code;
