import type { Database } from '../../src/db/client.ts'
import { numbers } from '../../src/db/schema/index.ts'
import { findCountry } from '../../src/telephony/country-rules.ts'
import { defaultSettings } from '../../src/telephony/number-defaults.ts'

type NumberRow = typeof numbers.$inferSelect

let seq = 0

/**
 * Inserts a number row directly, as number creation leaves it, for tests that need a number
 * without going through the carrier. The verification state defaults to what the country
 * rule says a new number starts in (pending_documents where documents are required).
 */
export async function createTestNumber(
  db: Database,
  input: {
    companyId: number
    country?: string
    area?: string | null
    name?: string
    verificationState?: NumberRow['verificationState']
    releasedAt?: Date | null
  },
): Promise<NumberRow> {
  const country = findCountry(input.country ?? 'FR')
  if (!country) throw new Error(`no country rule for ${input.country}`)
  const area = input.area === undefined ? country.areas[0]!.code : input.area
  const n = ++seq
  // Unique within the test database: a made-up subscriber part after the area code.
  const subscriber = String(n).padStart(Math.max(country.nsnLength - (area ?? '').length, 4), '0')
  const state =
    input.verificationState ?? (country.verification.required ? 'pending_documents' : 'not_required')
  const [row] = await db
    .insert(numbers)
    .values({
      companyId: input.companyId,
      name: input.name ?? `Number ${n}`,
      type: 'classic',
      country: country.country,
      area,
      e164: `+${country.callingCode}${area ?? ''}${subscriber}`,
      timeZone: country.defaultTimeZone,
      verificationState: state,
      settings: defaultSettings({
        type: 'classic',
        timeZone: country.defaultTimeZone,
        language: country.language,
        users: [],
        teams: [],
      }),
      monthlyPriceMinor: country.monthlyPriceMinor,
      currency: country.currency,
      releasedAt: input.releasedAt ?? null,
    })
    .returning()
  return row!
}
