CREATE TABLE "call_comments" (
	"id" serial PRIMARY KEY NOT NULL,
	"call_id" bigint NOT NULL,
	"company_id" integer NOT NULL,
	"content" text NOT NULL,
	"posted_by" integer,
	"posted_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "call_events" (
	"call_id" bigint NOT NULL,
	"seq" integer NOT NULL,
	"company_id" integer NOT NULL,
	"at" timestamp with time zone NOT NULL,
	"type" text NOT NULL,
	"data" jsonb NOT NULL,
	CONSTRAINT "call_events_call_id_seq_pk" PRIMARY KEY("call_id","seq")
);
--> statement-breakpoint
CREATE TABLE "call_tags" (
	"call_id" bigint NOT NULL,
	"tag_id" integer NOT NULL,
	"company_id" integer NOT NULL,
	"tagged_by" integer,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "call_tags_call_id_tag_id_pk" PRIMARY KEY("call_id","tag_id")
);
--> statement-breakpoint
CREATE TABLE "calls" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"company_id" integer NOT NULL,
	"number_id" integer NOT NULL,
	"direction" text NOT NULL,
	"status" text NOT NULL,
	"external_number" text NOT NULL,
	"raw_digits" text NOT NULL,
	"started_at" timestamp with time zone NOT NULL,
	"answered_at" timestamp with time zone,
	"ended_at" timestamp with time zone,
	"user_id" integer,
	"assigned_to" integer,
	"transferred_by" integer,
	"transferred_to" integer,
	"team_id" integer,
	"missed_call_reason" text,
	"archived" boolean DEFAULT false NOT NULL,
	"recording_blob_id" text,
	"recording_state" text DEFAULT 'off' NOT NULL,
	"voicemail_blob_id" text,
	"voicemail_duration_sec" integer,
	"state" jsonb NOT NULL,
	"ringing" integer[] DEFAULT '{}'::integer[] NOT NULL,
	"version" integer DEFAULT 0 NOT NULL,
	"timer_at" timestamp with time zone,
	"timer_version" integer,
	"carrier_ref" text
);
--> statement-breakpoint
CREATE TABLE "sandbox_devices" (
	"company_id" integer NOT NULL,
	"user_id" integer PRIMARY KEY NOT NULL,
	"answer_after_sec" integer NOT NULL,
	"talk_sec" integer NOT NULL
);
--> statement-breakpoint
ALTER TABLE "call_comments" ADD CONSTRAINT "call_comments_call_id_calls_id_fk" FOREIGN KEY ("call_id") REFERENCES "public"."calls"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "call_comments" ADD CONSTRAINT "call_comments_company_id_companies_id_fk" FOREIGN KEY ("company_id") REFERENCES "public"."companies"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "call_events" ADD CONSTRAINT "call_events_call_id_calls_id_fk" FOREIGN KEY ("call_id") REFERENCES "public"."calls"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "call_events" ADD CONSTRAINT "call_events_company_id_companies_id_fk" FOREIGN KEY ("company_id") REFERENCES "public"."companies"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "call_tags" ADD CONSTRAINT "call_tags_call_id_calls_id_fk" FOREIGN KEY ("call_id") REFERENCES "public"."calls"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "call_tags" ADD CONSTRAINT "call_tags_company_id_companies_id_fk" FOREIGN KEY ("company_id") REFERENCES "public"."companies"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "calls" ADD CONSTRAINT "calls_company_id_companies_id_fk" FOREIGN KEY ("company_id") REFERENCES "public"."companies"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "sandbox_devices" ADD CONSTRAINT "sandbox_devices_company_id_companies_id_fk" FOREIGN KEY ("company_id") REFERENCES "public"."companies"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "sandbox_devices" ADD CONSTRAINT "sandbox_devices_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "call_comments_call_idx" ON "call_comments" USING btree ("call_id","id");--> statement-breakpoint
CREATE INDEX "calls_active_idx" ON "calls" USING btree ("company_id") WHERE "calls"."ended_at" is null;--> statement-breakpoint
CREATE INDEX "calls_company_started_idx" ON "calls" USING btree ("company_id","started_at" DESC NULLS LAST,"id" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "calls_user_ended_idx" ON "calls" USING btree ("company_id","user_id","ended_at" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "calls_company_external_idx" ON "calls" USING btree ("company_id","external_number");--> statement-breakpoint
CREATE INDEX "sandbox_devices_company_idx" ON "sandbox_devices" USING btree ("company_id");