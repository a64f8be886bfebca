import { isEuCountry, vatPrefixOf } from '../billing/vat.ts'
import { ISO_COUNTRIES } from './countries.ts'

export const isCountryCode = (value: string) => ISO_COUNTRIES.has(value)

/** "fr 40 303.265.045" → "FR40303265045": what tax authorities print varies, the number does not. */
export const normalizeVatNumber = (value: string) => value.replace(/[\s.-]/g, '').toUpperCase()

/**
 * Why a VAT number does not fit the billing country, or null when it does. EU numbers must
 * carry the country's prefix (EL for Greece), since reverse charge depends on it; outside the
 * EU we only check the shape. Whether the number is registered (VIES) is not checked.
 */
export function vatNumberProblem(country: string, vat: string): string | null {
  if (isEuCountry(country)) {
    const prefix = vatPrefixOf(country)
    if (!vat.startsWith(prefix)) return `must start with ${prefix}, the VAT prefix of ${country}`
    if (!/^[A-Z]{2}[0-9A-Z]{2,13}$/.test(vat)) return 'is not an EU VAT number'
    return null
  }
  return /^[0-9A-Z]{4,20}$/.test(vat) ? null : 'must be 4 to 20 letters or digits'
}
