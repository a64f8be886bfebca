CREATE TABLE "numbers" (
	"id" serial PRIMARY KEY NOT NULL,
	"company_id" integer NOT NULL,
	"name" text NOT NULL,
	"type" text NOT NULL,
	"country" text NOT NULL,
	"area" text,
	"e164" text NOT NULL,
	"time_zone" text NOT NULL,
	"verification_state" text NOT NULL,
	"rejection_reason" text,
	"priority" integer,
	"settings" jsonb NOT NULL,
	"carrier" text DEFAULT 'sandbox' NOT NULL,
	"carrier_ref" text,
	"monthly_price_minor" integer NOT NULL,
	"currency" text NOT NULL,
	"last_open" boolean,
	"released_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "jobs" ADD COLUMN "locked_by" text;--> statement-breakpoint
ALTER TABLE "jobs" ADD COLUMN "stalls" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "numbers" ADD CONSTRAINT "numbers_company_id_companies_id_fk" FOREIGN KEY ("company_id") REFERENCES "public"."companies"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "numbers_company_idx" ON "numbers" USING btree ("company_id","country","name");--> statement-breakpoint
CREATE UNIQUE INDEX "numbers_e164_live_unique" ON "numbers" USING btree ("e164") WHERE "numbers"."released_at" is null;