import { integer, timestamp } from 'drizzle-orm/pg-core'

export const timestamps = {
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
}

/** Every tenant-owned row carries its company; services always filter on it. */
export const companyScoped = {
  companyId: integer('company_id').notNull(),
}
