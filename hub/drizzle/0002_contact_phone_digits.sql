ALTER TABLE "contact_phone_numbers" ADD COLUMN "digits" text;--> statement-breakpoint
UPDATE "contact_phone_numbers" SET "digits" = regexp_replace("value", '[^0-9+]', '', 'g');--> statement-breakpoint
ALTER TABLE "contact_phone_numbers" ALTER COLUMN "digits" SET NOT NULL;--> statement-breakpoint
CREATE INDEX "contact_phones_digits_idx" ON "contact_phone_numbers" USING btree ("company_id","digits");
