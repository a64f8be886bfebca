ALTER TABLE "webhook_deliveries" ADD COLUMN "queued_at" timestamp with time zone;--> statement-breakpoint
-- Deliveries made before the window existed had their job added with their row.
UPDATE "webhook_deliveries" SET "queued_at" = "created_at" WHERE "status" = 'pending';--> statement-breakpoint
CREATE INDEX "webhook_deliveries_backlog_idx" ON "webhook_deliveries" USING btree ("webhook_id","id") WHERE "webhook_deliveries"."status" = 'pending' and "webhook_deliveries"."queued_at" is null;--> statement-breakpoint
CREATE INDEX "webhook_deliveries_window_idx" ON "webhook_deliveries" USING btree ("company_id","webhook_id") WHERE "webhook_deliveries"."status" = 'pending' and "webhook_deliveries"."queued_at" is not null and "webhook_deliveries"."attempts" = 0;