import { z } from 'zod'
import raw from './country-rules.json' with { type: 'json' }

const areaSchema = z.object({
  code: z.string().regex(/^\d{1,5}$/),
  name: z.string(),
  timeZone: z.string(),
  nsnPrefix: z
    .string()
    .regex(/^\d{1,6}$/)
    .optional(),
  nsnLength: z.number().int().min(6).max(14).optional(),
})

const countrySchema = z.object({
  country: z.string().regex(/^[A-Z]{2}$/),
  name: z.string(),
  currency: z.string().regex(/^[A-Z]{3}$/),
  monthlyPriceMinor: z.number().int().min(0),
  defaultTimeZone: z.string(),
  callingCode: z.string().regex(/^\d{1,3}$/),
  nsnLength: z.number().int().min(6).max(14),
  language: z.string(),
  verification: z.object({
    required: z.boolean(),
    documents: z.array(z.enum(['identity', 'address'])),
    addressMustBeIn: z.enum(['area', 'country']).optional(),
  }),
  areas: z.array(areaSchema).min(1),
})

export type CountryRule = z.infer<typeof countrySchema>
export type AreaRule = z.infer<typeof areaSchema>

/**
 * The rule table is data (country-rules.json) but the hub trusts it everywhere (prices,
 * verification, allocation), so it is checked once at load: a typo fails the boot, not a
 * customer's number creation.
 */
export const countryRules: readonly CountryRule[] = z
  .object({ countries: z.array(countrySchema).min(1) })
  .parse(raw).countries

const byCode = new Map(countryRules.map((c) => [c.country, c]))

export function findCountry(country: string): CountryRule | undefined {
  return byCode.get(country.toUpperCase())
}

export function findArea(country: CountryRule, area: string): AreaRule | undefined {
  return country.areas.find((a) => a.code === area)
}

/** Digits a national significant number of that area starts with (Italy keeps its leading 0). */
export const nsnPrefixOf = (area: AreaRule) => area.nsnPrefix ?? area.code

export const nsnLengthOf = (country: CountryRule, area: AreaRule) => area.nsnLength ?? country.nsnLength
