ALTER TABLE "call_syncs" ADD COLUMN "wanted_version" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "call_syncs" ADD COLUMN "claimed_until" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "call_syncs" ADD COLUMN "retry_at" timestamp with time zone;