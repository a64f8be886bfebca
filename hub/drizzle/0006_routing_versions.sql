CREATE TABLE "routing_versions" (
	"company_id" integer PRIMARY KEY NOT NULL,
	"version" bigint DEFAULT 0 NOT NULL
);
--> statement-breakpoint
-- Bumps the company's routing version when a transaction that wrote a routing table commits.
-- Deferred to commit time: the version row is the last lock the transaction takes, so two
-- writers never wait on each other through it (no deadlock), and versions commit in order.
CREATE FUNCTION "bump_routing_version"() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  company integer;
BEGIN
  IF TG_OP = 'DELETE' THEN
    company := OLD.company_id;
  ELSE
    company := NEW.company_id;
  END IF;
  INSERT INTO "routing_versions" ("company_id", "version") VALUES (company, 1)
  ON CONFLICT ("company_id") DO UPDATE SET "version" = "routing_versions"."version" + 1;
  IF TG_OP = 'UPDATE' AND OLD.company_id IS DISTINCT FROM NEW.company_id THEN
    INSERT INTO "routing_versions" ("company_id", "version") VALUES (OLD.company_id, 1)
    ON CONFLICT ("company_id") DO UPDATE SET "version" = "routing_versions"."version" + 1;
  END IF;
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE CONSTRAINT TRIGGER "users_routing_version" AFTER INSERT OR UPDATE OR DELETE ON "users"
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION "bump_routing_version"();
--> statement-breakpoint
CREATE CONSTRAINT TRIGGER "teams_routing_version" AFTER INSERT OR UPDATE OR DELETE ON "teams"
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION "bump_routing_version"();
--> statement-breakpoint
CREATE CONSTRAINT TRIGGER "team_members_routing_version" AFTER INSERT OR UPDATE OR DELETE ON "team_members"
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION "bump_routing_version"();
--> statement-breakpoint
CREATE CONSTRAINT TRIGGER "numbers_routing_version" AFTER INSERT OR UPDATE OR DELETE ON "numbers"
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION "bump_routing_version"();
--> statement-breakpoint
CREATE CONSTRAINT TRIGGER "number_audio_routing_version" AFTER INSERT OR UPDATE OR DELETE ON "number_audio"
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION "bump_routing_version"();
