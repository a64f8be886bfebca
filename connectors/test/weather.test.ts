import { callerLocationSchema, callerWeatherSchema } from '@switchboard/shared'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { callerWeather } from '../src/weather/caller-weather.ts'
import { openMeteoProvider, type WeatherProvider, weatherProviderFromEnv } from '../src/weather/open-meteo.ts'
import { FAKE_PLACES, type OpenMeteoFake, startOpenMeteoFake } from '../testing/open-meteo-fake.ts'

let fake: OpenMeteoFake
let provider: WeatherProvider
/** A winter morning in UTC (no DST north, DST south); the fake observed at 10:00 UTC. */
const NOW = new Date(Date.UTC(2026, 11, 6, 10, 7))
const OBSERVED = Date.UTC(2026, 11, 6, 10, 0) / 1000
const at = (ms: number) => new Date(NOW.getTime() + ms)

beforeEach(async () => {
  fake = await startOpenMeteoFake()
  provider = openMeteoProvider({ baseUrl: fake.url, geocodingUrl: fake.url, timeoutMs: 2_000 })
})
afterEach(() => fake.close())

const city = (name: string, country: string) => {
  const p = FAKE_PLACES.find((x) => x.name === name && x.country_code === country)
  if (!p) throw new Error(`no fake place ${name}`)
  return p
}

describe('caller weather: the admin guide countries', () => {
  // A landline number of a known city per country, its place as the number data names it, the
  // zone, and the time there at 10:07 UTC on 6 December.
  const cases = [
    ['DE', '+49 30 12345678', 'Berlin', 'Berlin', 'Europe/Berlin', '11:07', 60],
    ['AU', '+61 2 9251 5000', 'Sydney', 'Sydney', 'Australia/Sydney', '21:07', 660],
    ['BE', '+32 2 555 12 34', 'Brussels', 'Brussels', 'Europe/Brussels', '11:07', 60],
    ['BR', '+55 11 3234 5678', 'São Paulo - SP', 'São Paulo', 'America/Sao_Paulo', '07:07', -180],
    ['CA', '+1 416 363 1234', 'Toronto, ON', 'Toronto', 'America/Toronto', '05:07', -300],
    ['ES', '+34 91 234 56 78', 'Madrid', 'Madrid', 'Europe/Madrid', '11:07', 60],
    ['US', '+1 212 555 1234', 'New York, NY', 'New York', 'America/New_York', '05:07', -300],
    ['FR', '+33 1 42 68 53 00', 'Paris', 'Paris', 'Europe/Paris', '11:07', 60],
    ['GB', '+44 20 7123 4567', 'London', 'London', 'Europe/London', '10:07', 0],
    // The number data puts Ireland in London's zones and Morocco in the Canaries' zone: the
    // country's own zone wins (the same clock for Dublin, an hour apart for Casablanca).
    ['IE', '+353 1 612 3456', 'Dublin', 'Dublin', 'Europe/Dublin', '10:07', 0],
    ['MA', '+212 522 22 12 34', 'Casablanca', 'Casablanca', 'Africa/Casablanca', '11:07', 60],
    ['MX', '+52 55 1234 5678', 'Mexico City, FD', 'Mexico City', 'America/Mexico_City', '04:07', -360],
    ['NL', '+31 20 123 4567', 'Amsterdam', 'Amsterdam', 'Europe/Amsterdam', '11:07', 60],
    ['SE', '+46 8 123 456 78', 'Stockholm', 'Stockholm', 'Europe/Stockholm', '11:07', 60],
    ['CH', '+41 44 123 45 67', 'Zurich', 'Zurich', 'Europe/Zurich', '11:07', 60],
  ] as const

  it.each(cases)(
    '%s %s → %s, its time and its weather',
    async (country, number, place, town, zone, time, offset) => {
      const c = city(town, country)
      fake.setWeather(c.latitude, c.longitude, { temperature: 4.26, code: 61 })

      const r = await callerWeather(number.replaceAll(' ', ''), { provider, now: NOW })

      expect(r.error).toBeNull()
      expect(r.location).toEqual({
        country,
        place,
        time_zone: zone,
        local_time: time,
        utc_offset_minutes: offset,
      })
      expect(r.weather).toEqual({
        temperature_c: 4.3,
        conditions: 'Light rain',
        code: 61,
        observed_at: OBSERVED,
      })
      expect(callerLocationSchema.parse(r.location)).toEqual(r.location)
      expect(callerWeatherSchema.parse(r.weather)).toEqual(r.weather)
      const [search] = fake.searches()
      expect(search?.query.get('name')).toBe(town)
      expect(search?.query.get('countryCode')).toBe(country)
      expect(search?.query.get('count')).toBe('1')
      const [forecast] = fake.forecasts()
      expect(Number(forecast?.query.get('latitude'))).toBeCloseTo(c.latitude, 4)
      expect(forecast?.query.get('current')).toBe('temperature_2m,weather_code')
      expect(forecast?.query.get('timezone')).toBe('auto')
    },
  )

  it('keeps the clock of summer time: New York at 10:07 UTC in July is 06:07, UTC−4', async () => {
    const r = await callerWeather('+12125551234', {
      provider: null,
      now: new Date(Date.UTC(2026, 6, 1, 10, 7)),
    })
    expect(r.location).toMatchObject({
      time_zone: 'America/New_York',
      local_time: '06:07',
      utc_offset_minutes: -240,
    })
  })
})

describe('caller weather: numbers without a place', () => {
  it.each([
    ['FR', '+33612345678', 'Europe/Paris', '11:07'],
    ['GB', '+447400123456', 'Europe/London', '10:07'],
    ['DE', '+4915123456789', 'Europe/Berlin', '11:07'],
    ['AU', '+61412345678', 'Australia/Sydney', '21:07'],
  ])(
    'a %s mobile gives the country and its time, no place and no weather',
    async (country, number, zone, time) => {
      const r = await callerWeather(number, { provider, now: NOW })
      expect(r).toEqual({
        location: {
          country,
          place: null,
          time_zone: zone,
          local_time: time,
          utc_offset_minutes: expect.any(Number),
        },
        weather: null,
        error: null,
      })
      expect(fake.requests).toHaveLength(0)
    },
  )

  it('a US toll-free number gives the country, on the main zone', async () => {
    const r = await callerWeather('+18005551234', { provider, now: NOW })
    expect(r.location).toMatchObject({ country: 'US', place: null, time_zone: 'America/New_York' })
    expect(r.weather).toBeNull()
  })

  it.each(['anonymous', '', '+999123456', '+33123', '0142685300', '+80012345678'])(
    '"%s" is an unknown location: no location, no weather, no error',
    async (number) => {
      expect(await callerWeather(number, { provider, now: NOW })).toEqual({
        location: null,
        weather: null,
        error: null,
      })
      expect(fake.requests).toHaveLength(0)
    },
  )

  it('with the weather app off, the card still gets the place and the time', async () => {
    const r = await callerWeather('+493012345678', { provider: null, now: NOW })
    expect(r).toEqual({
      location: expect.objectContaining({ place: 'Berlin', local_time: '11:07' }),
      weather: null,
      error: null,
    })
    expect(fake.requests).toHaveLength(0)
  })

  it('a town the geocoder does not know gives no weather, says so, and is not asked again', async () => {
    const first = await callerWeather('+441172345678', { provider, now: NOW })
    expect(first.location).toMatchObject({ country: 'GB', place: 'Bristol' })
    expect(first.weather).toBeNull()
    expect(first.error).toBe('no coordinates are known for Bristol')
    await callerWeather('+441179876543', { provider, now: at(3_600_000) })
    expect(fake.searches()).toHaveLength(1)
    expect(fake.forecasts()).toHaveLength(0)
  })
})

describe('caller weather: cache', () => {
  it('asks once per place: weather for 10 minutes, coordinates for 30 days', async () => {
    const berlin = city('Berlin', 'DE')
    fake.setWeather(berlin.latitude, berlin.longitude, { temperature: 2, code: 0 })
    await callerWeather('+493012345678', { provider, now: NOW })
    // Another Berlin number, 9 minutes later: the same place, nothing asked.
    fake.setWeather(berlin.latitude, berlin.longitude, { temperature: 5, code: 3 })
    const cached = await callerWeather('+493087654321', { provider, now: at(9 * 60_000) })
    expect(cached.weather).toMatchObject({ temperature_c: 2, conditions: 'Clear sky' })
    expect(cached.location?.local_time).toBe('11:16')
    expect([fake.searches().length, fake.forecasts().length]).toEqual([1, 1])

    const fresh = await callerWeather('+493012345678', { provider, now: at(10 * 60_000 + 1) })
    expect(fresh.weather).toMatchObject({ temperature_c: 5, conditions: 'Overcast' })
    expect([fake.searches().length, fake.forecasts().length]).toEqual([1, 2])

    await callerWeather('+493012345678', { provider, now: at(30 * 24 * 3_600_000 + 1) })
    expect([fake.searches().length, fake.forecasts().length]).toEqual([2, 3])
  })

  it('100 simultaneous look-ups of one place make one geocoding and one forecast request', async () => {
    const results = await Promise.all(
      Array.from({ length: 100 }, (_, i) =>
        callerWeather(`+3314268${String(5300 + i).padStart(4, '0')}`, { provider, now: NOW }),
      ),
    )
    expect(fake.searches()).toHaveLength(1)
    expect(fake.forecasts()).toHaveLength(1)
    expect(new Set(results.map((r) => JSON.stringify(r.weather))).size).toBe(1)
    expect(results[0]?.weather).toMatchObject({ temperature_c: 12.3, conditions: 'Overcast' })
  })

  it('places are cached apart, and a new provider starts empty', async () => {
    await callerWeather('+493012345678', { provider, now: NOW })
    await callerWeather('+442071234567', { provider, now: NOW })
    expect(fake.forecasts()).toHaveLength(2)
    const other = openMeteoProvider({ baseUrl: fake.url, geocodingUrl: fake.url })
    await callerWeather('+493012345678', { provider: other, now: NOW })
    expect(fake.forecasts()).toHaveLength(3)
  })
})

describe('caller weather: a failing weather service', () => {
  const isForecast = (r: { path: string }) => r.path === '/v1/forecast'

  it('down (503): no weather, a reason, no throw; left alone for a minute, then asked again', async () => {
    fake.fault({ match: isForecast, times: 5, response: { status: 503, body: '<html>Bad gateway</html>' } })
    const r = await callerWeather('+493012345678', { provider, now: NOW })
    expect(r.location).toMatchObject({ place: 'Berlin', local_time: '11:07' })
    expect(r.weather).toBeNull()
    expect(r.error).toBe('the weather service failed (HTTP 503)')

    const again = await callerWeather('+493012345678', { provider, now: at(30_000) })
    expect(again.error).toBe('the weather service failed (HTTP 503)')
    expect(fake.forecasts()).toHaveLength(1)

    fake.requests.length = 0
    const later = await callerWeather('+493012345678', { provider, now: at(61_000) })
    expect(fake.forecasts()).toHaveLength(1)
    expect(later.error).toBe('the weather service failed (HTTP 503)')
  })

  it('recovers once the failure is forgotten', async () => {
    fake.fault({ match: isForecast, response: { status: 500, body: { error: true, reason: 'oops' } } })
    expect((await callerWeather('+493012345678', { provider, now: NOW })).weather).toBeNull()
    const r = await callerWeather('+493012345678', { provider, now: at(61_000) })
    expect(r.error).toBeNull()
    expect(r.weather).toMatchObject({ temperature_c: 12.3 })
  })

  it('rate limited (429 with Retry-After): waits as long as asked before asking again', async () => {
    fake.fault({
      match: isForecast,
      response: {
        status: 429,
        headers: { 'retry-after': '120' },
        body: { error: true, reason: 'Too many requests' },
      },
    })
    expect((await callerWeather('+493012345678', { provider, now: NOW })).error).toBe(
      'the weather service is rate limiting us',
    )
    await callerWeather('+493012345678', { provider, now: at(90_000) })
    expect(fake.forecasts()).toHaveLength(1)
    const r = await callerWeather('+493012345678', { provider, now: at(121_000) })
    expect(fake.forecasts()).toHaveLength(2)
    expect(r.weather).not.toBeNull()
  })

  it('slow (no answer within the timeout): no weather, "timed out"', async () => {
    const quick = openMeteoProvider({ baseUrl: fake.url, geocodingUrl: fake.url, timeoutMs: 200 })
    fake.fault({ match: isForecast, delayMs: 10_000 })
    const r = await callerWeather('+493012345678', { provider: quick, now: NOW })
    expect(r).toMatchObject({ weather: null, error: 'the weather service timed out' })
    expect(r.location?.place).toBe('Berlin')
  })

  it('a slow geocoder times out the same way', async () => {
    const quick = openMeteoProvider({ baseUrl: fake.url, geocodingUrl: fake.url, timeoutMs: 200 })
    fake.fault({ match: (r) => r.path === '/v1/search', delayMs: 10_000 })
    const r = await callerWeather('+493012345678', { provider: quick, now: NOW })
    expect(r).toMatchObject({ weather: null, error: 'the weather service timed out' })
    expect(fake.forecasts()).toHaveLength(0)
  })

  it('malformed JSON: no weather, "malformed answer"', async () => {
    fake.fault({ match: isForecast, response: { status: 200, body: '{"current": {"temperature_2m": 1' } })
    const r = await callerWeather('+493012345678', { provider, now: NOW })
    expect(r).toMatchObject({ weather: null, error: 'the weather service sent a malformed answer' })
  })

  it('JSON of the wrong shape: no weather, "malformed answer"', async () => {
    fake.fault({
      match: (r) => r.path === '/v1/search',
      response: { status: 200, body: { results: [{ name: 'Berlin' }] } },
    })
    const r = await callerWeather('+493012345678', { provider, now: NOW })
    expect(r).toMatchObject({ weather: null, error: 'the weather service sent a malformed answer' })
  })

  it("Open-Meteo's own 400 error body: its reason is given", async () => {
    fake.fault({
      match: isForecast,
      response: {
        status: 400,
        body: { error: true, reason: 'Latitude must be in range of -90 to 90°. Given: 91.0.' },
      },
    })
    const r = await callerWeather('+493012345678', { provider, now: NOW })
    expect(r.error).toBe(
      'the weather service refused the request: Latitude must be in range of -90 to 90°. Given: 91.0.',
    )
  })

  it('unreachable: no weather, a reason', async () => {
    const gone = openMeteoProvider({ baseUrl: 'http://127.0.0.1:1', geocodingUrl: 'http://127.0.0.1:1' })
    const r = await callerWeather('+493012345678', { provider: gone, now: NOW })
    expect(r).toMatchObject({ weather: null, error: 'the weather service could not be reached' })
  })

  it('a provider that throws anything still gives a card', async () => {
    const broken: WeatherProvider = {
      geocode: async () => ({ latitude: 1, longitude: 2 }),
      current: async () => {
        throw new TypeError('boom')
      },
    }
    const r = await callerWeather('+493012345678', { provider: broken, now: NOW })
    expect(r).toMatchObject({
      location: { place: 'Berlin' },
      weather: null,
      error: 'the weather service failed',
    })
  })
})

describe('Open-Meteo configuration', () => {
  it('the fake answers like Open-Meteo: a miss has no results, errors are 400 {error, reason}', async () => {
    const miss = await fetch(`${fake.url}/v1/search?name=Atlantis&count=1&language=en&format=json`)
    expect(await miss.json()).toEqual({ generationtime_ms: expect.any(Number) })
    const badVar = await fetch(`${fake.url}/v1/forecast?latitude=1&longitude=2&current=temperature_3m`)
    expect(badVar.status).toBe(400)
    expect(await badVar.json()).toEqual({ error: true, reason: expect.stringContaining('temperature_3m') })
  })

  it('a key is sent as apikey on every request', async () => {
    const paid = openMeteoProvider({ baseUrl: fake.url, geocodingUrl: fake.url, apiKey: 'om-key-1' })
    await callerWeather('+493012345678', { provider: paid, now: NOW })
    expect(fake.requests.map((r) => r.query.get('apikey'))).toEqual(['om-key-1', 'om-key-1'])
    await callerWeather('+442071234567', { provider, now: NOW })
    expect(fake.requests.slice(2).map((r) => r.query.get('apikey'))).toEqual([null, null])
  })

  it("without a base URL, a key selects Open-Meteo's customer- hosts", async () => {
    const seen: string[] = []
    const recording: typeof fetch = async (input) => {
      seen.push(String(input))
      return new Response(JSON.stringify({ generationtime_ms: 1 }), { status: 200 })
    }
    await openMeteoProvider({ apiKey: 'k', fetch: recording }).geocode({ name: 'Berlin', countryCode: 'DE' })
    await openMeteoProvider({ fetch: recording }).geocode({ name: 'Berlin', countryCode: 'DE' })
    expect(seen.map((u) => new URL(u).host)).toEqual([
      'customer-geocoding-api.open-meteo.com',
      'geocoding-api.open-meteo.com',
    ])
  })

  it('WEATHER_PROVIDER=off turns the weather off; OPEN_METEO_API_KEY is sent', async () => {
    expect(weatherProviderFromEnv({ WEATHER_PROVIDER: 'off' })).toBeNull()
    const fromEnv = weatherProviderFromEnv(
      { OPEN_METEO_API_KEY: 'env-key' },
      { baseUrl: fake.url, geocodingUrl: fake.url },
    )
    await callerWeather('+493012345678', { provider: fromEnv, now: NOW })
    expect(fake.searches()[0]?.query.get('apikey')).toBe('env-key')
  })
})
