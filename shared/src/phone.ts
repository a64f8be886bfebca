import { type CountryCode, parsePhoneNumberFromString } from 'libphonenumber-js/max'

export type NormalizedPhone = {
  e164: string
  country: string | null
  national: string
  international: string
}

/**
 * Normalises a number as dialled ("+33 1 76 11 11 11", "01 76 11 11 11" with a default
 * country, "0033…") to E.164. Returns null when the number is not a valid number, so
 * callers can answer 400 naming their field instead of storing garbage.
 */
export function normalizePhone(raw: string, defaultCountry?: string): NormalizedPhone | null {
  const cleaned = raw.trim().replace(/^00/, '+')
  if (cleaned === '' || cleaned.length > 40) return null
  const parsed = parsePhoneNumberFromString(cleaned, defaultCountry as CountryCode | undefined)
  if (!parsed?.isValid()) return null
  return {
    e164: parsed.number,
    country: parsed.country ?? null,
    national: parsed.formatNational(),
    international: parsed.formatInternational(),
  }
}

/** Loose variant for look-ups: E.164 when valid, else digits with a leading '+' when given. */
export function phoneLookupKey(raw: string, defaultCountry?: string): string | null {
  const n = normalizePhone(raw, defaultCountry)
  if (n) return n.e164
  const digits = raw.replace(/[^\d+]/g, '')
  return digits.length >= 3 ? digits : null
}
