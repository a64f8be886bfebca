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
} from 'drizzle-orm/pg-core'
import type { NumberSettings } from '../../services/numbers/number-settings.ts'
import { timestamps } from './columns.ts'
import { companies } from './companies.ts'

export const numbers = pgTable(
  'numbers',
  {
    id: serial('id').primaryKey(),
    companyId: integer('company_id')
      .notNull()
      .references(() => companies.id, { onDelete: 'cascade' }),
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
