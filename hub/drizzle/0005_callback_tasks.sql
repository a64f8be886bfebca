CREATE TABLE "callback_tasks" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"company_id" integer NOT NULL,
	"call_id" bigint NOT NULL,
	"number_id" integer NOT NULL,
	"external_number" text NOT NULL,
	"raw_digits" text NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"done_at" timestamp with time zone,
	"done_by" integer
);
--> statement-breakpoint
ALTER TABLE "callback_tasks" ADD CONSTRAINT "callback_tasks_company_id_companies_id_fk" FOREIGN KEY ("company_id") REFERENCES "public"."companies"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "callback_tasks" ADD CONSTRAINT "callback_tasks_call_id_calls_id_fk" FOREIGN KEY ("call_id") REFERENCES "public"."calls"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "callback_tasks_call_unique" ON "callback_tasks" USING btree ("call_id");--> statement-breakpoint
CREATE INDEX "callback_tasks_company_idx" ON "callback_tasks" USING btree ("company_id","created_at" DESC NULLS LAST,"id" DESC NULLS LAST);