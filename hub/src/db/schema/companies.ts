import { integer, jsonb, pgTable, serial, text } from 'drizzle-orm/pg-core'
import type { BillingAddress } from './billing-types.ts'
import { timestamps } from './columns.ts'

export const companies = pgTable('companies', {
  id: serial('id').primaryKey(),
  name: text('name').notNull(),
  /** A plan id of services/billing/plans.ts: essentials | professional | custom. */
  plan: text('plan').notNull().default('essentials'),
  /** Per-seat monthly price (minor units) negotiated for the custom plan; set by an operator. */
  customSeatPriceMinor: integer('custom_seat_price_minor'),
  /** null = the hub default (RATE_LIMIT_PER_MINUTE). */
  rateLimitPerMinute: integer('rate_limit_per_minute'),
  billingAddress: jsonb('billing_address').$type<BillingAddress | null>(),
  ...timestamps,
})

/** The owning company of a tenant row; deleting the company deletes the row. */
export const companyRef = () =>
  integer('company_id')
    .notNull()
    .references(() => companies.id, { onDelete: 'cascade' })
