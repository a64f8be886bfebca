ALTER TABLE "users" ADD COLUMN "do_not_disturb" boolean DEFAULT false NOT NULL;--> statement-breakpoint
-- Agents in DND when the column arrives keep it.
UPDATE "users" SET "do_not_disturb" = true WHERE "presence" = 'do_not_disturb';
