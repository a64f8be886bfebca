import type { CallerLocation } from '@switchboard/shared'
import { getCountry, getTimezone } from 'countries-and-timezones'
import { parsePhoneNumberFromString } from 'libphonenumber-js/max'
import { areaName, numberTimeZones } from './number-data.ts'

/** What to ask a geocoder for: a city (or region) name within a country. */
export type PlaceQuery = { name: string; countryCode: string }

export type NumberLocation = {
  location: CallerLocation
  /** Null when only the country is known (mobile, toll-free, an area without a name). */
  query: PlaceQuery | null
}

/**
 * Area names libphonenumber lacks for a country's landline ranges, by national prefix. France
 * has no English (nor French) area data in it; its 01 numbers are Paris and the Île-de-France,
 * while 02–05 are quarters of the country, too wide to name a town or to give weather for.
 */
const EXTRA_AREAS: Record<string, [prefix: string, name: string][]> = {
  '33': [['1', 'Paris']],
}

/**
 * The zone a number falls back to when its area does not tell, for countries that span several
 * zones: the capital's or the most populous area's. A single-zone country needs no entry.
 */
const MAIN_ZONES: Record<string, string> = {
  AR: 'America/Argentina/Buenos_Aires',
  AU: 'Australia/Sydney',
  BR: 'America/Sao_Paulo',
  CA: 'America/Toronto',
  CD: 'Africa/Kinshasa',
  CL: 'America/Santiago',
  DE: 'Europe/Berlin',
  EC: 'America/Guayaquil',
  ES: 'Europe/Madrid',
  GB: 'Europe/London',
  ID: 'Asia/Jakarta',
  KZ: 'Asia/Almaty',
  MN: 'Asia/Ulaanbaatar',
  MX: 'America/Mexico_City',
  MY: 'Asia/Kuala_Lumpur',
  NL: 'Europe/Amsterdam',
  NZ: 'Pacific/Auckland',
  PT: 'Europe/Lisbon',
  RU: 'Europe/Moscow',
  SE: 'Europe/Stockholm',
  UA: 'Europe/Kyiv',
  US: 'America/New_York',
  UZ: 'Asia/Tashkent',
}

/** Number types whose area code says where the line is. */
const GEOGRAPHIC = new Set<string | undefined>(['FIXED_LINE', 'FIXED_LINE_OR_MOBILE', undefined])

const regionNames = new Intl.DisplayNames('en', { type: 'region' })

/**
 * Where a number is from — the area its range was allocated to, which is not where the caller
 * is now (ported numbers, VoIP) — and the time there at `now`. Null when even the country is
 * unknown: anonymous, invalid or non-geographic (+800) numbers.
 */
export async function locateNumber(e164: string, now: Date): Promise<NumberLocation | null> {
  if (!e164.startsWith('+')) return null
  const parsed = parsePhoneNumberFromString(e164)
  if (!parsed?.isValid() || !parsed.country) return null
  const country = parsed.country
  const callingCode = String(parsed.countryCallingCode)
  const national = String(parsed.nationalNumber)

  let area: string | null = null
  if (GEOGRAPHIC.has(parsed.getType())) {
    area =
      (await areaName(callingCode, national)) ??
      EXTRA_AREAS[callingCode]?.find(([prefix]) => national.startsWith(prefix))?.[1] ??
      null
    // Some ranges are only named after the country ("Germany"): that is no place.
    if (area && area === regionNames.of(country)) area = null
  }
  // "Rabat/Tanger/Fès/Meknès" names a range shared by several towns: the first one stands for it,
  // so the place shown and the weather given are of the same town.
  const place = area ? (area.split('/')[0]?.trim() ?? null) || null : null

  const timeZone = pickZone(country, await numberTimeZones(callingCode + national))
  const clock = timeZone ? clockAt(timeZone, now) : null
  return {
    location: {
      country,
      place,
      time_zone: clock ? timeZone : null,
      local_time: clock?.localTime ?? null,
      utc_offset_minutes: clock?.offsetMinutes ?? null,
    },
    query: place ? { name: cityName(place), countryCode: country } : null,
  }
}

/** "New York, NY" → "New York", "São Paulo - SP" → "São Paulo": the geocoder wants the town. */
function cityName(place: string): string {
  return place.replace(/\s*(,| - ).*$/, '').trim() || place
}

/**
 * The zone of the number's area when libphonenumber gives exactly one that belongs to the
 * number's country, else the country's main zone. The country check matters: the data maps all
 * of Morocco to Atlantic/Canary (an hour off for most of the year) and Ireland to London's zones.
 */
function pickZone(country: string, zones: string[] | null): string | null {
  const own = new Set<string>(getCountry(country, { deprecated: true })?.timezones ?? [])
  const candidates = (zones ?? []).filter((z) => own.has(z))
  if (candidates.length === 1) return candidates[0] ?? null
  const main = MAIN_ZONES[country]
  if (main) return main
  // A single-zone country: its zone under the country's own name when the database keeps one
  // (Europe/Amsterdam rather than the Europe/Brussels it is now a link to).
  const named = [...own].find((z) => getTimezone(z)?.countries.length === 1 && z.includes('/'))
  return named ?? getCountry(country)?.timezones[0] ?? null
}

const formats = new Map<string, Intl.DateTimeFormat>()

/** "HH:MM" (24 h) and the UTC offset in a zone at an instant; null for a zone Intl lacks. */
export function clockAt(zone: string, now: Date): { localTime: string; offsetMinutes: number } | null {
  let format = formats.get(zone)
  if (!format) {
    try {
      format = new Intl.DateTimeFormat('en-US', {
        timeZone: zone,
        hour: '2-digit',
        minute: '2-digit',
        hourCycle: 'h23',
        timeZoneName: 'longOffset',
      })
    } catch {
      return null
    }
    formats.set(zone, format)
  }
  const parts = format.formatToParts(now)
  const part = (type: Intl.DateTimeFormatPartTypes) => parts.find((p) => p.type === type)?.value ?? ''
  // "GMT+05:30", "GMT-03:00", or plain "GMT" at offset zero.
  const offset = /GMT(?:([+-])(\d{2}):(\d{2}))?/.exec(part('timeZoneName'))
  if (!offset) return null
  const sign = offset[1] === '-' ? -1 : 1
  const offsetMinutes = offset[1] ? sign * (Number(offset[2]) * 60 + Number(offset[3])) : 0
  return { localTime: `${part('hour')}:${part('minute')}`, offsetMinutes }
}
