/**
 * What a number's verification submission stores as its details (jsonb): the company or the
 * person the number is registered to. services/number-verification/submission-input.ts parses
 * untrusted input into these shapes (its schemas are checked against them at compile time).
 */
export type VerificationAddress = {
  line1: string
  line2?: string | undefined
  city: string
  postal_code: string
  /** ISO 3166-1 alpha-2, upper case. */
  country: string
}
export type CompanyDetails = { name: string; registration_number: string; address: VerificationAddress }
export type PersonalDetails = {
  first_name: string
  last_name: string
  /** YYYY-MM-DD */
  birth_date?: string | undefined
  address: VerificationAddress
}
export type VerificationDetails = CompanyDetails | PersonalDetails
