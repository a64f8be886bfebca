CREATE TABLE "handover_wrap_ups" (
	"call_id" bigint NOT NULL,
	"user_id" integer NOT NULL,
	"company_id" integer NOT NULL,
	"started_at" timestamp with time zone NOT NULL,
	"until" timestamp with time zone NOT NULL,
	"ended_at" timestamp with time zone,
	CONSTRAINT "handover_wrap_ups_call_id_user_id_pk" PRIMARY KEY("call_id","user_id")
);
--> statement-breakpoint
ALTER TABLE "handover_wrap_ups" ADD CONSTRAINT "handover_wrap_ups_call_id_calls_id_fk" FOREIGN KEY ("call_id") REFERENCES "public"."calls"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "handover_wrap_ups" ADD CONSTRAINT "handover_wrap_ups_company_id_companies_id_fk" FOREIGN KEY ("company_id") REFERENCES "public"."companies"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "handover_wrap_ups_company_idx" ON "handover_wrap_ups" USING btree ("company_id","until");