import { index, integer, jsonb, pgTable, serial, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core'
import { timestamps } from './columns.ts'
import { companyRef } from './companies.ts'
import { numbers } from './numbers.ts'

/**
 * What a company sent to get a number verified (company or personal information), and the
 * operator's decision. A number keeps every submission: a rejected one stays as history and
 * the company submits again.
 */
/** A verification's postal address as stored (the form's `address.*` fields, checked and trimmed). */
export type VerificationAddress = {
  line1: string
  line2?: string | undefined
  city: string
  postal_code: string
  /** ISO 3166 alpha-2, upper case. */
  country: string
}

/**
 * What a verification request stores of its form: a company's or a person's details. The form's
 * zod schemas (services/number-verification/submission-input.ts) are compiled to match.
 */
export type VerificationDetails =
  | { name: string; registration_number: string; address: VerificationAddress }
  | { first_name: string; last_name: string; birth_date?: string | undefined; address: VerificationAddress }

export const numberVerificationSubmissions = pgTable(
  'number_verification_submissions',
  {
    id: serial('id').primaryKey(),
    companyId: companyRef(),
    numberId: integer('number_id')
      .notNull()
      .references(() => numbers.id, { onDelete: 'cascade' }),
    kind: text('kind', { enum: ['company', 'personal'] }).notNull(),
    /** As the API shows it (snake_case): name/registration_number or first_name/last_name, and address. */
    details: jsonb('details').$type<VerificationDetails>().notNull(),
    state: text('state', { enum: ['in_review', 'approved', 'rejected'] }).notNull(),
    /** The operator's reason when rejected. */
    reason: text('reason'),
    submittedByType: text('submitted_by_type', { enum: ['user', 'api_key'] }).notNull(),
    submittedById: integer('submitted_by_id').notNull(),
    reviewedAt: timestamp('reviewed_at', { withTimezone: true }),
    ...timestamps,
  },
  (t) => [
    index('number_verification_submissions_number_idx').on(t.companyId, t.numberId, t.createdAt),
    index('number_verification_submissions_state_idx').on(t.state, t.createdAt),
  ],
)

/** The uploaded files of a submission; the bytes live in the blob store under blob_key. */
export const numberVerificationDocuments = pgTable(
  'number_verification_documents',
  {
    id: serial('id').primaryKey(),
    companyId: companyRef(),
    submissionId: integer('submission_id')
      .notNull()
      .references(() => numberVerificationSubmissions.id, { onDelete: 'cascade' }),
    type: text('type', { enum: ['identity', 'address'] }).notNull(),
    blobKey: text('blob_key').notNull(),
    /** The name the uploader gave the file, cleaned of any path; shown, never used as a path. */
    filename: text('filename').notNull(),
    /** Detected from the bytes (magic numbers), not the declared type. */
    contentType: text('content_type', { enum: ['application/pdf', 'image/jpeg', 'image/png'] }).notNull(),
    size: integer('size').notNull(),
    sha256: text('sha256').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('number_verification_documents_submission_type_unique').on(t.submissionId, t.type),
    index('number_verification_documents_company_idx').on(t.companyId),
  ],
)
