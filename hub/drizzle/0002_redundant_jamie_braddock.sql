CREATE TABLE "number_verification_documents" (
	"id" serial PRIMARY KEY NOT NULL,
	"company_id" integer NOT NULL,
	"submission_id" integer NOT NULL,
	"type" text NOT NULL,
	"blob_key" text NOT NULL,
	"filename" text NOT NULL,
	"content_type" text NOT NULL,
	"size" integer NOT NULL,
	"sha256" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "number_verification_submissions" (
	"id" serial PRIMARY KEY NOT NULL,
	"company_id" integer NOT NULL,
	"number_id" integer NOT NULL,
	"kind" text NOT NULL,
	"details" jsonb NOT NULL,
	"state" text NOT NULL,
	"reason" text,
	"submitted_by_type" text NOT NULL,
	"submitted_by_id" integer NOT NULL,
	"reviewed_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "number_verification_documents" ADD CONSTRAINT "number_verification_documents_company_id_companies_id_fk" FOREIGN KEY ("company_id") REFERENCES "public"."companies"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "number_verification_documents" ADD CONSTRAINT "number_verification_documents_submission_id_number_verification_submissions_id_fk" FOREIGN KEY ("submission_id") REFERENCES "public"."number_verification_submissions"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "number_verification_submissions" ADD CONSTRAINT "number_verification_submissions_company_id_companies_id_fk" FOREIGN KEY ("company_id") REFERENCES "public"."companies"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "number_verification_submissions" ADD CONSTRAINT "number_verification_submissions_number_id_numbers_id_fk" FOREIGN KEY ("number_id") REFERENCES "public"."numbers"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "number_verification_documents_submission_type_unique" ON "number_verification_documents" USING btree ("submission_id","type");--> statement-breakpoint
CREATE INDEX "number_verification_documents_company_idx" ON "number_verification_documents" USING btree ("company_id");--> statement-breakpoint
CREATE INDEX "number_verification_submissions_number_idx" ON "number_verification_submissions" USING btree ("company_id","number_id","created_at");--> statement-breakpoint
CREATE INDEX "number_verification_submissions_state_idx" ON "number_verification_submissions" USING btree ("state","created_at");