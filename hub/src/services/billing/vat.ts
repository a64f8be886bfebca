/**
 * VAT on our invoices, kept deliberately small. The seller (the operator of this hub, see
 * seller.ts) is established in an EU country, INVOICE_SELLER_COUNTRY (France unless set; the
 * environment refuses a country outside the EU), and sells telecom / electronically supplied
 * services, for which the place of supply is the customer's country:
 *
 * - customer in the seller's country → that country's VAT, business or not;
 * - customer in another EU country with a VAT number → no VAT, reverse charge (the customer
 *   self-assesses; Article 196 of Directive 2006/112/EC);
 * - customer in another EU country without a VAT number → that country's standard rate
 *   (declared through the One-Stop Shop);
 * - customer outside the EU → no EU VAT;
 * - no billing address yet → the seller's country's VAT, the conservative choice until we
 *   know better.
 *
 * Rates are standard rates in basis points (2000 = 20 %). Reduced rates, Monaco (taxed as
 * France), Northern Ireland, the One-Stop Shop's EUR 10,000 threshold and VIES checks of the
 * number are out of scope.
 */
export const EU_VAT_RATES_BP: Readonly<Record<string, number>> = {
  AT: 2000,
  BE: 2100,
  BG: 2000,
  CY: 1900,
  CZ: 2100,
  DE: 1900,
  DK: 2500,
  EE: 2400,
  ES: 2100,
  FI: 2550,
  FR: 2000,
  GR: 2400,
  HR: 2500,
  HU: 2700,
  IE: 2300,
  IT: 2200,
  LT: 2100,
  LU: 1700,
  LV: 2100,
  MT: 1800,
  NL: 2100,
  PL: 2300,
  PT: 2300,
  RO: 2100,
  SE: 2500,
  SI: 2200,
  SK: 2300,
}

// Own keys only: `'toString' in {}` is true, and the rate table must not answer for it.
export const isEuCountry = (country: string) => Object.hasOwn(EU_VAT_RATES_BP, country)

const euRateOf = (country: string) => (isEuCountry(country) ? EU_VAT_RATES_BP[country] : undefined)

/** The prefix of a country's EU VAT numbers: Greece uses EL, everyone else its ISO code. */
export const vatPrefixOf = (country: string) => (country === 'GR' ? 'EL' : country)

export type VatTreatment = { rateBp: number; note: string | null }

/**
 * The VAT of an invoice from `sellerCountry` (an EU country: anything else is a bug, since the
 * environment is checked at boot) to a customer at `address`.
 */
export function vatTreatment(
  sellerCountry: string,
  address: { country: string; vat_number: string | null } | null,
): VatTreatment {
  const sellerRate = euRateOf(sellerCountry)
  if (sellerRate === undefined) {
    throw new Error(`seller country ${sellerCountry} is not an EU country: these are the EU VAT rules`)
  }
  if (!address) return { rateBp: sellerRate, note: null }
  const { country, vat_number } = address
  if (country === sellerCountry) return { rateBp: sellerRate, note: null }
  const rate = euRateOf(country)
  if (rate === undefined) {
    return { rateBp: 0, note: 'VAT not applicable: customer established outside the EU' }
  }
  if (vat_number) {
    return {
      rateBp: 0,
      note: `Reverse charge: VAT to be accounted for by the customer (Article 196, Directive 2006/112/EC). Customer VAT number ${vat_number}`,
    }
  }
  return { rateBp: rate, note: `VAT of ${country} at ${formatRate(rate)} (One-Stop Shop)` }
}

/** VAT of an amount, rounded half up to the minor unit; integers only. */
export function vatOf(amountMinor: number, rateBp: number): number {
  return Math.floor((amountMinor * rateBp * 2 + 10_000) / 20_000)
}

/** 2000 → "20%", 2550 → "25.5%". */
export function formatRate(rateBp: number): string {
  return `${Number((rateBp / 100).toFixed(2))}%`
}
