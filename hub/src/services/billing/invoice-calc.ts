import type { BillingAddress, InvoiceLine } from '../../db/schema/billing-types.ts'
import { billableDays, type Period, prorate } from './periods.ts'
import type { CompanyPlan } from './plans.ts'
import { vatOf, vatTreatment } from './vat.ts'

export type BillableNumber = {
  id: number
  name: string
  e164: string
  country: string
  monthlyPriceMinor: number
  currency: string
  verificationState: string
  createdAt: Date
  releasedAt: Date | null
}

export type BillableUser = { createdAt: Date }

export type InvoiceDraft = {
  currency: string
  lines: InvoiceLine[]
  subtotalMinor: number
  vatRateBp: number
  vatMinor: number
  totalMinor: number
  vatNote: string | null
}

/**
 * The invoice of one period, a pure function of what the company had.
 *
 * Numbers: billed from the day they were taken to the day they were released, whatever their
 * verification state: like a carrier, we hold (and pay for) a number from provisioning, even
 * while its documents are reviewed. The one exception is a number whose documents were
 * rejected: the customer never could use it, so it is not billed at all.
 *
 * Seats: every user present when the invoice is computed, from the day they were created.
 * Users are deleted for good (no tombstone), so a user deleted before the invoice run is not
 * billed for that month: in the customer's favour.
 *
 * Each line is rounded to the cent on its own; the subtotal is the sum of the lines and VAT is
 * computed once on the subtotal, by the rules of the seller's country (vat.ts). Integers only.
 */
export function computeInvoice(input: {
  period: Period
  plan: CompanyPlan
  numbers: BillableNumber[]
  users: BillableUser[]
  address: BillingAddress | null
  /** Where the seller is established (INVOICE_SELLER_COUNTRY): an EU country. */
  sellerCountry: string
}): InvoiceDraft {
  const { period, plan } = input
  const lines: InvoiceLine[] = []
  const numbers = [...input.numbers].sort(
    (a, b) => a.createdAt.getTime() - b.createdAt.getTime() || a.id - b.id,
  )
  for (const n of numbers) {
    if (n.verificationState === 'rejected') continue
    if (n.currency !== plan.currency) {
      throw new Error(`number ${n.id} is priced in ${n.currency}, invoices are in ${plan.currency}`)
    }
    const days = billableDays(period, n.createdAt, n.releasedAt)
    if (days === 0) continue
    lines.push({
      kind: 'number',
      description: `Number ${n.e164} (${n.country})${n.name ? ` - ${n.name}` : ''}`,
      number_id: n.id,
      country: n.country,
      quantity: 1,
      unit_price: n.monthlyPriceMinor,
      days,
      days_in_period: period.days,
      amount: prorate(n.monthlyPriceMinor, days, period.days),
    })
  }
  let seats = 0
  let seatDays = 0
  for (const u of input.users) {
    const days = billableDays(period, u.createdAt, null)
    if (days === 0) continue
    seats++
    seatDays += days
  }
  if (seats > 0) {
    lines.push({
      kind: 'seats',
      description: `User seats, ${plan.name} plan (${seats} user${seats === 1 ? '' : 's'})`,
      number_id: null,
      country: null,
      quantity: seats,
      unit_price: plan.seatPriceMinor,
      days: seatDays,
      days_in_period: period.days,
      amount: prorate(plan.seatPriceMinor, seatDays, period.days),
    })
  }
  const subtotalMinor = lines.reduce((sum, l) => sum + l.amount, 0)
  const vat = vatTreatment(input.sellerCountry, input.address)
  const vatMinor = vatOf(subtotalMinor, vat.rateBp)
  return {
    currency: plan.currency,
    lines,
    subtotalMinor,
    vatRateBp: vat.rateBp,
    vatMinor,
    totalMinor: subtotalMinor + vatMinor,
    vatNote: vat.note,
  }
}
