import { findArea, findCountry } from '../../telephony/country-rules.ts'
import type { DocumentType } from './submission-input.ts'

export type VerificationRequirements = {
  required: boolean
  documents: DocumentType[]
  /**
   * Where the submitted address must be. `area` is the regulator's wording (a local address
   * in the number's area) but a city cannot be checked against an area code, so the API
   * enforces the country and the operator checks the area when reviewing.
   */
  address_must_be_in: 'area' | 'country' | null
  country: string
  country_name: string | null
  area: { code: string; name: string } | null
}

/** What the country rule (telephony/country-rules.json) asks of a number before it goes live. */
export function requirementsFor(country: string, areaCode: string | null): VerificationRequirements {
  const rule = findCountry(country)
  const area = rule && areaCode ? findArea(rule, areaCode) : undefined
  const required = rule?.verification.required ?? false
  return {
    required,
    documents: required ? [...(rule?.verification.documents ?? [])] : [],
    address_must_be_in: required ? (rule?.verification.addressMustBeIn ?? 'country') : null,
    country: country.toUpperCase(),
    country_name: rule?.name ?? null,
    area: area ? { code: area.code, name: area.name } : null,
  }
}
