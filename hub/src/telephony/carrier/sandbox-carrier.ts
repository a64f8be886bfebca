import { normalizePhone } from '@switchboard/shared'
import { findArea, findCountry, nsnLengthOf, nsnPrefixOf } from '../country-rules.ts'
import type { AvailableNumber, Carrier, SearchAvailableQuery } from './carrier.ts'
import { CarrierError } from './carrier.ts'

/** Candidates tried per search before giving up (only reached when an area is nearly full). */
const MAX_TRIES = 20_000

function hashString(value: string): number {
  // FNV-1a: a stable seed per (country, area), so the same search gives the same numbers.
  let h = 0x811c9dc5
  for (let i = 0; i < value.length; i++) {
    h ^= value.charCodeAt(i)
    h = Math.imul(h, 0x01000193)
  }
  return h >>> 0
}

function mulberry32(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/**
 * The simulated carrier: it "owns" every valid number of the areas in country-rules.json.
 * Candidates come from a deterministic pseudo-random walk per (country, area), and only
 * numbers libphonenumber calls valid for that country are offered, so what the sandbox
 * hands out looks exactly like a real number of that area (+33 1 xx xx xx xx for Paris).
 * It keeps no inventory across restarts: the database (numbers_e164_live_unique) is the
 * record of what is taken, and searches pass those numbers in `exclude`.
 */
export function createSandboxCarrier(): Carrier {
  const provisioned = new Set<string>()

  function candidate(country: string, area: string, index: number): string | null {
    const rule = findCountry(country)
    const areaRule = rule && findArea(rule, area)
    if (!rule || !areaRule) return null
    const prefix = nsnPrefixOf(areaRule)
    const length = nsnLengthOf(rule, areaRule)
    const next = mulberry32(hashString(`${rule.country}:${area}`) ^ Math.imul(index + 1, 0x9e3779b1))
    let nsn = prefix
    while (nsn.length < length) nsn += Math.floor(next() * 10)
    const parsed = normalizePhone(`+${rule.callingCode}${nsn}`)
    if (!parsed || parsed.country !== rule.country) return null
    return parsed.e164
  }

  return {
    name: 'sandbox',
    async searchAvailable(query: SearchAvailableQuery): Promise<AvailableNumber[]> {
      const rule = findCountry(query.country)
      if (!rule || !findArea(rule, query.area)) {
        throw new CarrierError(`no numbers in ${query.country} area ${query.area}`, false)
      }
      const found: AvailableNumber[] = []
      const seen = new Set<string>()
      for (let i = 0; i < MAX_TRIES && found.length < query.limit; i++) {
        const e164 = candidate(rule.country, query.area, i)
        if (!e164 || seen.has(e164) || provisioned.has(e164) || query.exclude?.has(e164)) continue
        seen.add(e164)
        found.push({ e164, country: rule.country, area: query.area })
      }
      return found
    },
    async provision({ e164 }) {
      const parsed = normalizePhone(e164)
      if (!parsed || parsed.e164 !== e164 || !parsed.country || !findCountry(parsed.country)) {
        throw new CarrierError(`${e164} is not a number the sandbox can provide`, false)
      }
      if (provisioned.has(e164)) throw new CarrierError(`${e164} is no longer available`, false)
      provisioned.add(e164)
      return { carrierRef: `sandbox:${e164}` }
    },
    async release({ carrierRef }) {
      // Idempotent, like a carrier's DELETE: releasing twice is not an error.
      if (carrierRef.startsWith('sandbox:')) provisioned.delete(carrierRef.slice('sandbox:'.length))
    },
  }
}
