DROP INDEX "outbox_pending_idx";--> statement-breakpoint
CREATE INDEX "outbox_pending_company_idx" ON "outbox" USING btree ("company_id","id") WHERE "outbox"."relayed_at" is null;