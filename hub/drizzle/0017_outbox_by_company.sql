-- The new index first: a relay of the version before keeps its index until this one exists.
CREATE INDEX "outbox_pending_company_idx" ON "outbox" USING btree ("company_id","id") WHERE "outbox"."relayed_at" is null;--> statement-breakpoint
DROP INDEX "outbox_pending_idx";