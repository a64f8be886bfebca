import { integer, jsonb, pgTable, serial, text } from 'drizzle-orm/pg-core'
import { timestamps } from './columns.ts'

export const companies = pgTable('companies', {
  id: serial('id').primaryKey(),
  name: text('name').notNull(),
  plan: text('plan').notNull().default('essentials'),
  /** null = the hub default (RATE_LIMIT_PER_MINUTE). */
  rateLimitPerMinute: integer('rate_limit_per_minute'),
  billingAddress: jsonb('billing_address').$type<Record<string, string> | null>(),
  ...timestamps,
})
