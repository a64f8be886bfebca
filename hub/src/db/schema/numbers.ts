import type { NumberSettings } from '@switchboard/shared'
import { sql } from 'drizzle-orm'
import {
  boolean,
  index,
  integer,
  jsonb,
  pgTable,
  serial,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core'
import { timestamps } from './columns.ts'
import { companyRef } from './companies.ts'

export const numbers = pgTable(
  'numbers',
  {
    id: serial('id').primaryKey(),
    companyId: companyRef(),
    name: text('name').notNull(),
    type: text('type', { enum: ['classic', 'ivr'] }).notNull(),
    /** ISO 3166 alpha-2. */
    country: text('country').notNull(),
    /** Area / region code the number was taken in (e.g. FR "1" = Paris region). */
    area: text('area'),
    e164: text('e164').notNull(),
    timeZone: text('time_zone').notNull(),
    /** Regulatory state: not_required | pending_documents | in_review | active | rejected. */
    verificationState: text('verification_state', {
      enum: ['not_required', 'pending_documents', 'in_review', 'active', 'rejected'],
    }).notNull(),
    rejectionReason: text('rejection_reason'),
    priority: integer('priority'),
    /** The whole routing configuration, validated as one document (see number-settings.ts). */
    settings: jsonb('settings').$type<NumberSettings>().notNull(),
    carrier: text('carrier').notNull().default('sandbox'),
    carrierRef: text('carrier_ref'),
    /** Monthly price at creation, minor units. */
    monthlyPriceMinor: integer('monthly_price_minor').notNull(),
    currency: text('currency').notNull(),
    /** Last open/closed state announced by number.opened / number.closed (scheduler). */
    lastOpen: boolean('last_open'),
    releasedAt: timestamp('released_at', { withTimezone: true }),
    ...timestamps,
  },
  (t) => [
    index('numbers_company_idx').on(t.companyId, t.country, t.name),
    // One live number per E.164; a released number may be provisioned again.
    uniqueIndex('numbers_e164_live_unique').on(t.e164).where(sql`${t.releasedAt} is null`),
  ],
)

/**
 * MP3 files uploaded for messages and music on hold (POST /v1/numbers/:id/audio). The bytes
 * live in the blob store under `c/<companyId>/audio/<id>.mp3`; any number of the company may
 * use them. The duration is estimated at upload (routing preview, prompt timers).
 */
export const numberAudio = pgTable(
  'number_audio',
  {
    id: uuid('id').primaryKey(),
    companyId: companyRef(),
    /** The number it was uploaded through. */
    numberId: integer('number_id'),
    name: text('name').notNull(),
    blobKey: text('blob_key').notNull(),
    sizeBytes: integer('size_bytes').notNull(),
    durationMs: integer('duration_ms'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('number_audio_company_idx').on(t.companyId, t.createdAt)],
)
