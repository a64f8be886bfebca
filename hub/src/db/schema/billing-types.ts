/** Shapes shared by the billing schema, services and routes (wire format, snake_case). */

/** A company's billing address as stored and returned by /v1/account. */
export type BillingAddress = {
  company_name: string
  line1: string
  line2: string | null
  city: string
  postal_code: string
  /** ISO 3166-1 alpha-2, upper case. */
  country: string
  /** Normalised (upper case, no spaces or dots), e.g. FR40303265045. */
  vat_number: string | null
}

/** Seller or customer as printed on an invoice. */
export type InvoiceParty = {
  name: string
  lines: string[]
  country: string | null
  vat_number: string | null
}

/** One invoice line; every amount is an integer in minor units of the invoice currency. */
export type InvoiceLine = {
  kind: 'number' | 'seats'
  description: string
  number_id: number | null
  country: string | null
  /** Numbers: 1. Seats: how many users were billed. */
  quantity: number
  /** Monthly price of one number or one seat. */
  unit_price: number
  /** Days billed: for seats, the sum of every user's days. */
  days: number
  days_in_period: number
  amount: number
}
