import { type FakeRequest, type FakeResponse, type FakeServer, startFakeServer } from './server.ts'

/**
 * Open-Meteo on loopback: the geocoding API (`/v1/search`) and the forecast API (`/v1/forecast`)
 * on one server, with their real response shapes — a geocoding miss answers 200 without
 * `results`; `current` with `timezone=auto` gives local ISO times and `utc_offset_seconds`;
 * every error is HTTP 400 `{"error":true,"reason":"…"}`.
 * https://open-meteo.com/en/docs/geocoding-api, https://open-meteo.com/en/docs
 */

export type FakePlace = {
  name: string
  country_code: string
  latitude: number
  longitude: number
  timezone: string
  population: number
  admin1?: string
}

export type FakeConditions = { temperature: number; code: number }

export type OpenMeteoFake = FakeServer & {
  /** Adds a place the geocoder knows. */
  addPlace(p: FakePlace): void
  /** The current weather at a coordinate (matched to 2 decimals, about 1 km). */
  setWeather(latitude: number, longitude: number, c: FakeConditions): void
  /** The instant the fake reports observations at (ms); the quarter hour before it is `current.time`. */
  clock: { now: number }
  searches(): FakeRequest[]
  forecasts(): FakeRequest[]
}

/** The 15 admin-guide countries' cities, and namesakes abroad so the country filter is exercised. */
// biome-ignore format: one place a line reads as a table
export const FAKE_PLACES: FakePlace[] = [
  { name: 'Berlin', country_code: 'DE', latitude: 52.52437, longitude: 13.41053, timezone: 'Europe/Berlin', population: 3426354 },
  { name: 'Sydney', country_code: 'AU', latitude: -33.86785, longitude: 151.20732, timezone: 'Australia/Sydney', population: 4627345 },
  { name: 'Brussels', country_code: 'BE', latitude: 50.85045, longitude: 4.34878, timezone: 'Europe/Brussels', population: 1019022 },
  { name: 'São Paulo', country_code: 'BR', latitude: -23.5475, longitude: -46.63611, timezone: 'America/Sao_Paulo', population: 10021295 },
  { name: 'Toronto', country_code: 'CA', latitude: 43.70643, longitude: -79.39864, timezone: 'America/Toronto', population: 2600000 },
  { name: 'Madrid', country_code: 'ES', latitude: 40.4165, longitude: -3.70256, timezone: 'Europe/Madrid', population: 3255944 },
  { name: 'New York', country_code: 'US', latitude: 40.71427, longitude: -74.00597, timezone: 'America/New_York', population: 8804190 },
  { name: 'Paris', country_code: 'FR', latitude: 48.85341, longitude: 2.3488, timezone: 'Europe/Paris', population: 2138551 },
  { name: 'London', country_code: 'GB', latitude: 51.50853, longitude: -0.12574, timezone: 'Europe/London', population: 8961989 },
  { name: 'Dublin', country_code: 'IE', latitude: 53.33306, longitude: -6.24889, timezone: 'Europe/Dublin', population: 1024027 },
  { name: 'Casablanca', country_code: 'MA', latitude: 33.58831, longitude: -7.61138, timezone: 'Africa/Casablanca', population: 3144909 },
  { name: 'Mexico City', country_code: 'MX', latitude: 19.42847, longitude: -99.12766, timezone: 'America/Mexico_City', population: 12294193 },
  { name: 'Amsterdam', country_code: 'NL', latitude: 52.37403, longitude: 4.88969, timezone: 'Europe/Amsterdam', population: 741636 },
  { name: 'Stockholm', country_code: 'SE', latitude: 59.32938, longitude: 18.06871, timezone: 'Europe/Stockholm', population: 1515017 },
  { name: 'Zurich', country_code: 'CH', latitude: 47.36667, longitude: 8.55, timezone: 'Europe/Zurich', population: 341730 },
  // Namesakes: without countryCode=GB, "London" would be Ontario's for a population-blind fake.
  { name: 'London', country_code: 'CA', latitude: 42.98339, longitude: -81.23304, timezone: 'America/Toronto', population: 346765 },
  { name: 'Paris', country_code: 'US', latitude: 33.66094, longitude: -95.55551, timezone: 'America/Chicago', population: 24782 },
  { name: 'Dublin', country_code: 'US', latitude: 37.70215, longitude: -121.93579, timezone: 'America/Los_Angeles', population: 72589 },
]

const CURRENT_VARIABLES = new Set(['temperature_2m', 'weather_code', 'apparent_temperature', 'is_day'])

const bad = (reason: string): FakeResponse => ({ status: 400, body: { error: true, reason } })

const fold = (s: string) => s.normalize('NFC').toLocaleLowerCase('en')
const coordKey = (lat: number, lon: number) => `${lat.toFixed(2)},${lon.toFixed(2)}`

/** Seconds east of UTC of a zone at an instant. */
function offsetSeconds(zone: string, at: number): number {
  const name = new Intl.DateTimeFormat('en-US', { timeZone: zone, timeZoneName: 'longOffset' })
    .formatToParts(at)
    .find((p) => p.type === 'timeZoneName')?.value
  const m = /GMT([+-])(\d{2}):(\d{2})/.exec(name ?? '')
  return m ? (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 3600 + Number(m[3]) * 60) : 0
}

export async function startOpenMeteoFake(): Promise<OpenMeteoFake> {
  const places: FakePlace[] = [...FAKE_PLACES]
  const weather = new Map<string, FakeConditions>()
  const clock = { now: Date.UTC(2026, 11, 6, 10, 7) }
  let nextId = 2_000_000

  function search(req: FakeRequest): FakeResponse {
    const name = req.query.get('name')
    if (name === null) return bad("Parameter 'name' is required")
    const count = Number(req.query.get('count') ?? '10')
    if (!Number.isInteger(count) || count < 1 || count > 100)
      return bad("Parameter 'count' must be between 1 and 100")
    const countryCode = req.query.get('countryCode')?.toUpperCase()
    const wanted = fold(name.trim())
    // One character finds nothing; two match exactly; three or more match as a prefix.
    const matches =
      wanted.length < 2
        ? []
        : places
            .filter((p) => (wanted.length === 2 ? fold(p.name) === wanted : fold(p.name).startsWith(wanted)))
            .filter((p) => !countryCode || p.country_code === countryCode)
            .sort((a, b) => b.population - a.population)
            .slice(0, count)
    const body: Record<string, unknown> = { generationtime_ms: 0.6 }
    if (matches.length > 0) {
      body.results = matches.map((p) => ({
        id: nextId++,
        name: p.name,
        latitude: p.latitude,
        longitude: p.longitude,
        elevation: 35,
        feature_code: 'PPLC',
        country_code: p.country_code,
        admin1: p.admin1 ?? null,
        timezone: p.timezone,
        population: p.population,
        country_id: 1,
        country: p.country_code,
      }))
    }
    return { status: 200, body }
  }

  function forecast(req: FakeRequest): FakeResponse {
    const latitude = Number(req.query.get('latitude'))
    const longitude = Number(req.query.get('longitude'))
    if (req.query.get('latitude') === null || Number.isNaN(latitude))
      return bad("Parameter 'latitude' is required")
    if (req.query.get('longitude') === null || Number.isNaN(longitude))
      return bad("Parameter 'longitude' is required")
    if (latitude < -90 || latitude > 90)
      return bad(`Latitude must be in range of -90 to 90°. Given: ${latitude}.`)
    if (longitude < -180 || longitude > 180)
      return bad(`Longitude must be in range of -180 to 180°. Given: ${longitude}.`)
    const variables = (req.query.get('current') ?? '').split(',').filter(Boolean)
    const unknown = variables.find((v) => !CURRENT_VARIABLES.has(v))
    if (unknown)
      return bad(`Cannot initialize WeatherVariable from invalid String value ${unknown} for key current`)
    const tz = req.query.get('timezone')
    const place = places.find((p) => coordKey(p.latitude, p.longitude) === coordKey(latitude, longitude))
    const zone = tz === 'auto' ? (place?.timezone ?? 'GMT') : tz && tz !== 'GMT' ? tz : 'UTC'
    const observed = Math.floor(clock.now / 900_000) * 900_000
    const offset = offsetSeconds(zone, observed)
    const local = new Date(observed + offset * 1000).toISOString().slice(0, 16)
    const c = weather.get(coordKey(latitude, longitude)) ?? { temperature: 12.3, code: 3 }
    const current: Record<string, unknown> = { time: local, interval: 900 }
    const units: Record<string, string> = { time: 'iso8601', interval: 'seconds' }
    for (const v of variables) {
      if (v === 'temperature_2m' || v === 'apparent_temperature') {
        current[v] = c.temperature
        units[v] = '°C'
      } else if (v === 'weather_code') {
        current[v] = c.code
        units[v] = 'wmo code'
      } else if (v === 'is_day') {
        current[v] = 1
        units[v] = ''
      }
    }
    return {
      status: 200,
      body: {
        latitude: Math.round(latitude * 40) / 40,
        longitude: Math.round(longitude * 40) / 40,
        generationtime_ms: 0.05,
        utc_offset_seconds: offset,
        timezone: zone,
        timezone_abbreviation: zone === 'GMT' ? 'GMT' : 'LT',
        elevation: 35,
        current_units: units,
        current,
      },
    }
  }

  const server = await startFakeServer((req) => {
    if (req.method !== 'GET') return { status: 405, body: { error: true, reason: 'Method not allowed' } }
    if (req.path === '/v1/search') return search(req)
    if (req.path === '/v1/forecast') return forecast(req)
    return { status: 404, body: { error: true, reason: 'Not Found' } }
  })

  return Object.assign(server, {
    addPlace: (p: FakePlace) => void places.push(p),
    setWeather: (lat: number, lon: number, c: FakeConditions) => void weather.set(coordKey(lat, lon), c),
    clock,
    searches: () => server.requests.filter((r) => r.path === '/v1/search'),
    forecasts: () => server.requests.filter((r) => r.path === '/v1/forecast'),
  })
}
