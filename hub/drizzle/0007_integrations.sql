CREATE TABLE "call_syncs" (
	"call_id" bigint NOT NULL,
	"integration_id" integer NOT NULL,
	"company_id" integer NOT NULL,
	"state" text NOT NULL,
	"activity_id" text,
	"record_id" text,
	"record_type" text,
	"write_started" boolean DEFAULT false NOT NULL,
	"synced_version" integer DEFAULT 0 NOT NULL,
	"media_synced" boolean DEFAULT false NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"last_error" text,
	"skip_reason" text,
	"details" jsonb,
	"created_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL,
	"last_attempt_at" timestamp with time zone,
	"synced_at" timestamp with time zone,
	CONSTRAINT "call_syncs_call_id_integration_id_pk" PRIMARY KEY("call_id","integration_id")
);
--> statement-breakpoint
CREATE TABLE "integration_numbers" (
	"integration_id" integer NOT NULL,
	"number_id" integer NOT NULL,
	"company_id" integer NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	CONSTRAINT "integration_numbers_integration_id_number_id_pk" PRIMARY KEY("integration_id","number_id")
);
--> statement-breakpoint
CREATE TABLE "integration_oauth_states" (
	"state_hash" text PRIMARY KEY NOT NULL,
	"company_id" integer NOT NULL,
	"integration_id" integer NOT NULL,
	"user_id" integer,
	"code_verifier" text,
	"created_at" timestamp with time zone NOT NULL,
	"expires_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "integrations" (
	"id" serial PRIMARY KEY NOT NULL,
	"company_id" integer NOT NULL,
	"kind" text NOT NULL,
	"name" text NOT NULL,
	"sandbox" boolean DEFAULT false NOT NULL,
	"active" boolean DEFAULT true NOT NULL,
	"status" text NOT NULL,
	"settings" jsonb NOT NULL,
	"tokens" text,
	"tokens_version" integer DEFAULT 0 NOT NULL,
	"account_id" text,
	"instance_url" text,
	"created_by" integer,
	"created_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL,
	"connected_at" timestamp with time zone,
	"last_success_at" timestamp with time zone,
	"last_error_at" timestamp with time zone,
	"last_error" text,
	"unhealthy_since" timestamp with time zone,
	"unhealthy_mailed_at" timestamp with time zone
);
--> statement-breakpoint
ALTER TABLE "call_syncs" ADD CONSTRAINT "call_syncs_call_id_calls_id_fk" FOREIGN KEY ("call_id") REFERENCES "public"."calls"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "call_syncs" ADD CONSTRAINT "call_syncs_integration_id_integrations_id_fk" FOREIGN KEY ("integration_id") REFERENCES "public"."integrations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "call_syncs" ADD CONSTRAINT "call_syncs_company_id_companies_id_fk" FOREIGN KEY ("company_id") REFERENCES "public"."companies"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "integration_numbers" ADD CONSTRAINT "integration_numbers_integration_id_integrations_id_fk" FOREIGN KEY ("integration_id") REFERENCES "public"."integrations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "integration_numbers" ADD CONSTRAINT "integration_numbers_number_id_numbers_id_fk" FOREIGN KEY ("number_id") REFERENCES "public"."numbers"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "integration_numbers" ADD CONSTRAINT "integration_numbers_company_id_companies_id_fk" FOREIGN KEY ("company_id") REFERENCES "public"."companies"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "integration_oauth_states" ADD CONSTRAINT "integration_oauth_states_company_id_companies_id_fk" FOREIGN KEY ("company_id") REFERENCES "public"."companies"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "integration_oauth_states" ADD CONSTRAINT "integration_oauth_states_integration_id_integrations_id_fk" FOREIGN KEY ("integration_id") REFERENCES "public"."integrations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "integrations" ADD CONSTRAINT "integrations_company_id_companies_id_fk" FOREIGN KEY ("company_id") REFERENCES "public"."companies"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "call_syncs_integration_state_idx" ON "call_syncs" USING btree ("integration_id","state");--> statement-breakpoint
CREATE INDEX "integration_numbers_number_idx" ON "integration_numbers" USING btree ("number_id");--> statement-breakpoint
CREATE INDEX "integration_oauth_states_expiry_idx" ON "integration_oauth_states" USING btree ("expires_at");--> statement-breakpoint
CREATE INDEX "integrations_company_idx" ON "integrations" USING btree ("company_id","id");--> statement-breakpoint
CREATE UNIQUE INDEX "integrations_company_name_unique" ON "integrations" USING btree ("company_id","name");