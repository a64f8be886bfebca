DROP INDEX "calls_company_external_idx";--> statement-breakpoint
CREATE INDEX "calls_company_external_started_idx" ON "calls" USING btree ("company_id","external_number","started_at" DESC NULLS LAST);