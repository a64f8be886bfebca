/**
 * The plans a company can be on, as data: edit here to change a price. Prices are per seat
 * (user) and per month, in minor units of `BILLING_CURRENCY`. Numbers are billed on top at
 * their country's price (telephony/country-rules.json), fixed when the number was taken.
 */
export const BILLING_CURRENCY = 'EUR'

export const PLAN_IDS = ['essentials', 'professional', 'custom'] as const
export type PlanId = (typeof PLAN_IDS)[number]

export const PLANS: Record<PlanId, { name: string; seatPriceMinor: number; selfServe: boolean }> = {
  essentials: { name: 'Essentials', seatPriceMinor: 3000, selfServe: true },
  professional: { name: 'Professional', seatPriceMinor: 5000, selfServe: true },
  // Negotiated: the company's own price (companies.custom_seat_price_minor) wins when set.
  // Admins cannot switch to it themselves; an operator sets it up (setCustomPlan).
  custom: { name: 'Custom', seatPriceMinor: 5000, selfServe: false },
}

export function isPlanId(value: string): value is PlanId {
  return (PLAN_IDS as readonly string[]).includes(value)
}

export type CompanyPlan = { id: PlanId; name: string; seatPriceMinor: number; currency: string }

/** The plan of a company row; an unknown stored id (data edited by hand) reads as essentials. */
export function planOf(company: { plan: string; customSeatPriceMinor: number | null }): CompanyPlan {
  const id: PlanId = isPlanId(company.plan) ? company.plan : 'essentials'
  const plan = PLANS[id]
  const seatPriceMinor =
    id === 'custom' && company.customSeatPriceMinor !== null
      ? company.customSeatPriceMinor
      : plan.seatPriceMinor
  return { id, name: plan.name, seatPriceMinor, currency: BILLING_CURRENCY }
}
