import { date, integer, pgTable, timestamp } from 'drizzle-orm/pg-core'
import { companyRef } from './companies.ts'
import { users } from './identity.ts'

/**
 * Where each user's daily summary mail stands (services/calls/daily-summary.ts): one row per
 * user who has had one built. `local_date` is claimed before the mail is sent, so a summary is
 * built at most once per local day whatever retries, restarts or duplicate jobs do;
 * `covered_until` is where the next summary's window starts.
 */
export const dailySummaries = pgTable('daily_summaries', {
  userId: integer('user_id')
    .primaryKey()
    .references(() => users.id, { onDelete: 'cascade' }),
  companyId: companyRef(),
  /** The last day (in the user's time zone) a summary was claimed for. */
  localDate: date('local_date', { mode: 'string' }).notNull(),
  claimedAt: timestamp('claimed_at', { withTimezone: true }).notNull(),
  /** End of the last summary's window (sent, or found empty); null until one was finished. */
  coveredUntil: timestamp('covered_until', { withTimezone: true }),
  /** When the last summary mail went out, and how many calls it counted. */
  sentAt: timestamp('sent_at', { withTimezone: true }),
  callCount: integer('call_count').notNull().default(0),
})
