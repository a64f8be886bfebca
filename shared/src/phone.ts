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
  // Parsing costs tens of microseconds, and a call parses the same numbers several times (the
  // number dialled, the caller, the caller card's lookups): the last results are remembered.
  const key = `${defaultCountry ?? ''}|${raw}`
  let result = remembered.get(key)
  if (result === undefined) {
    result = parse(raw, defaultCountry)
    if (remembered.size >= REMEMBERED_MAX) remembered.delete(remembered.keys().next().value!)
    remembered.set(key, result)
  }
  return result && { ...result }
}

const REMEMBERED_MAX = 2000
const remembered = new Map<string, NormalizedPhone | null>()

function parse(raw: string, defaultCountry?: string): NormalizedPhone | null {
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

/**
 * The national significant number of an E.164 number: "+14155551212" → "4155551212",
 * "+33176111111" → "176111111" (no country code, no trunk prefix). CRMs that index phone
 * numbers without their country code (HubSpot's searchable phone properties) match on this.
 */
export function nationalSignificantNumber(e164: string): string | null {
  const parsed = parsePhoneNumberFromString(e164)
  return parsed ? String(parsed.nationalNumber) : null
}
