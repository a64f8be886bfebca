CREATE TABLE "agent_last_calls" (
	"user_id" integer PRIMARY KEY NOT NULL,
	"company_id" integer NOT NULL,
	"call_id" bigint NOT NULL,
	"number_id" integer NOT NULL,
	"ended_at" timestamp with time zone NOT NULL,
	"answered" boolean NOT NULL
);
--> statement-breakpoint
ALTER TABLE "agent_last_calls" ADD CONSTRAINT "agent_last_calls_company_id_companies_id_fk" FOREIGN KEY ("company_id") REFERENCES "public"."companies"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "agent_last_calls" ADD CONSTRAINT "agent_last_calls_call_id_calls_id_fk" FOREIGN KEY ("call_id") REFERENCES "public"."calls"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "agent_last_calls_company_idx" ON "agent_last_calls" USING btree ("company_id");--> statement-breakpoint
-- Keeps each agent's last ended call: a call that ends (or is inserted ended) with a user
-- becomes their last call unless they have one that ended later.
CREATE FUNCTION "keep_agent_last_call"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO "agent_last_calls" ("user_id", "company_id", "call_id", "number_id", "ended_at", "answered")
  VALUES (NEW.user_id, NEW.company_id, NEW.id, NEW.number_id, NEW.ended_at, NEW.answered_at IS NOT NULL)
  ON CONFLICT ("user_id") DO UPDATE SET
    "company_id" = EXCLUDED.company_id,
    "call_id" = EXCLUDED.call_id,
    "number_id" = EXCLUDED.number_id,
    "ended_at" = EXCLUDED.ended_at,
    "answered" = EXCLUDED.answered
  WHERE "agent_last_calls"."ended_at" <= EXCLUDED.ended_at;
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE TRIGGER "calls_agent_last_call_insert" AFTER INSERT ON "calls" FOR EACH ROW
  WHEN (NEW.ended_at IS NOT NULL AND NEW.user_id IS NOT NULL)
  EXECUTE FUNCTION "keep_agent_last_call"();
--> statement-breakpoint
CREATE TRIGGER "calls_agent_last_call_update" AFTER UPDATE OF "ended_at", "user_id", "answered_at" ON "calls" FOR EACH ROW
  WHEN (NEW.ended_at IS NOT NULL AND NEW.user_id IS NOT NULL
        AND (OLD.ended_at IS DISTINCT FROM NEW.ended_at OR OLD.user_id IS DISTINCT FROM NEW.user_id
             OR OLD.answered_at IS DISTINCT FROM NEW.answered_at))
  EXECUTE FUNCTION "keep_agent_last_call"();
--> statement-breakpoint
INSERT INTO "agent_last_calls" ("user_id", "company_id", "call_id", "number_id", "ended_at", "answered")
SELECT DISTINCT ON ("user_id") "user_id", "company_id", "id", "number_id", "ended_at", "answered_at" IS NOT NULL
FROM "calls"
WHERE "user_id" IS NOT NULL AND "ended_at" IS NOT NULL
ORDER BY "user_id", "ended_at" DESC;
