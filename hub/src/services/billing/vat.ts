/**
 * VAT on our invoices, kept deliberately small. The seller (see seller.ts) is established in
 * France and sells telecom / electronically supplied services, for which the place of supply
 * is the customer's country:
 *
 * - customer in France → French VAT (20 %), business or not;
 * - customer in another EU country with a VAT number → no VAT, reverse charge (the customer
 *   self-assesses; Article 196 of Directive 2006/112/EC);
 * - customer in another EU country without a VAT number → that country's standard rate
 *   (declared through the One-Stop Shop);
 * - customer outside the EU → no EU VAT;
 * - no billing address yet → French VAT, the conservative choice until we know better.
 *
 * Rates are standard rates in basis points (2000 = 20 %). Reduced rates, Monaco (taxed as
 * France), Northern Ireland and VIES checks of the number are out of scope.
 */
export const SELLER_COUNTRY = 'FR'

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

export const isEuCountry = (country: string) => country in EU_VAT_RATES_BP

/** The prefix of a country's EU VAT numbers: Greece uses EL, everyone else its ISO code. */
export const vatPrefixOf = (country: string) => (country === 'GR' ? 'EL' : country)

export type VatTreatment = { rateBp: number; note: string | null }

export function vatTreatment(address: { country: string; vat_number: string | null } | null): VatTreatment {
  const sellerRate = EU_VAT_RATES_BP[SELLER_COUNTRY] ?? 0
  if (!address) return { rateBp: sellerRate, note: null }
  const { country, vat_number } = address
  if (country === SELLER_COUNTRY) return { rateBp: sellerRate, note: null }
  const rate = EU_VAT_RATES_BP[country]
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
