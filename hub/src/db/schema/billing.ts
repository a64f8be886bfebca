import { integer, jsonb, pgTable, serial, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core'
import type { InvoiceLine, InvoiceParty } from './billing-types.ts'
import { timestamps } from './columns.ts'
import { companyRef } from './companies.ts'

/**
 * Monthly invoices. One per company and period: the unique index is what makes generation
 * idempotent, whatever the queue does (a job run twice, two workers racing).
 * Lines, customer and seller are snapshots taken at issue time: later edits of the billing
 * address or the plan never change an issued invoice, and the PDF can be rendered again
 * from the row alone.
 */
export const invoices = pgTable(
  'invoices',
  {
    id: serial('id').primaryKey(),
    companyId: companyRef(),
    /** Billed month, `YYYY-MM` (UTC). */
    period: text('period').notNull(),
    /** Human invoice number printed on the PDF, e.g. SB-202602-000042. */
    number: text('number').notNull(),
    status: text('status', { enum: ['issued', 'paid'] })
      .notNull()
      .default('issued'),
    plan: text('plan').notNull(),
    currency: text('currency').notNull(),
    lines: jsonb('lines').$type<InvoiceLine[]>().notNull(),
    /** Money in integer minor units (cents). */
    subtotalMinor: integer('subtotal_minor').notNull(),
    /** VAT rate in basis points (2000 = 20 %). */
    vatRateBp: integer('vat_rate_bp').notNull(),
    vatMinor: integer('vat_minor').notNull(),
    totalMinor: integer('total_minor').notNull(),
    vatNote: text('vat_note'),
    customer: jsonb('customer').$type<InvoiceParty>().notNull(),
    seller: jsonb('seller').$type<InvoiceParty>().notNull(),
    pdfKey: text('pdf_key').notNull(),
    issuedAt: timestamp('issued_at', { withTimezone: true }).notNull(),
    paidAt: timestamp('paid_at', { withTimezone: true }),
    ...timestamps,
  },
  (t) => [uniqueIndex('invoices_company_period_unique').on(t.companyId, t.period)],
)

/**
 * How a company pays: a reference to a payment provider's stored instrument (a Stripe
 * PaymentMethod `pm_…`, a GoCardless mandate `MD…`). Card numbers never reach us; brand,
 * last4 and expiry are the display hints the provider hands back to the dashboard.
 */
export const paymentMethods = pgTable(
  'payment_methods',
  {
    id: serial('id').primaryKey(),
    companyId: companyRef(),
    provider: text('provider', { enum: ['stripe', 'gocardless'] }).notNull(),
    reference: text('reference').notNull(),
    brand: text('brand'),
    last4: text('last4'),
    expMonth: integer('exp_month'),
    expYear: integer('exp_year'),
    ...timestamps,
  },
  (t) => [uniqueIndex('payment_methods_company_unique').on(t.companyId)],
)
