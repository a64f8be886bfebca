/** The billing shapes live with the tables that store them (db/schema/billing-types.ts). */
export type { BillingAddress, InvoiceLine, InvoiceParty } from '../../db/schema/billing-types.ts'
