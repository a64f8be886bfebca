import type { CallerLocation, CallerWeather } from '@switchboard/shared'
import { TtlCache } from './cache.ts'
import { locateNumber, type PlaceQuery } from './locate.ts'
import { type CurrentWeather, type GeoPoint, WeatherError, type WeatherProvider } from './open-meteo.ts'
import { weatherWords } from './wmo.ts'

export type CallerWeatherResult = {
  /** Null when even the number's country is unknown (anonymous, invalid). */
  location: CallerLocation | null
  /** Null when only the country is known, the weather app is off, or the source failed. */
  weather: CallerWeather | null
  /** Why there is no weather when the source failed ("the weather service timed out"); else null. */
  error: string | null
}

const MINUTE = 60_000
/** Current conditions change slowly; Open-Meteo's own model data is refreshed every 15 min. */
export const WEATHER_TTL_MS = 10 * MINUTE
/** A town does not move. */
export const GEOCODING_TTL_MS = 30 * 24 * 60 * MINUTE
/** A failed source is left alone this long (or as long as its Retry-After asks, up to 10 min). */
export const FAILURE_TTL_MS = MINUTE

type Outcome<V> = { ok: true; value: V } | { ok: false; reason: string; retryAfterMs: number | null }

type Caches = {
  points: TtlCache<Outcome<GeoPoint | null>>
  weather: TtlCache<Outcome<CurrentWeather>>
}

// One set of caches per provider object: the hub makes its provider once and passes it to every
// call, so the caches live as long as it does and a test's fresh provider starts empty.
const cachesByProvider = new WeakMap<WeatherProvider, Caches>()

function cachesFor(provider: WeatherProvider): Caches {
  let caches = cachesByProvider.get(provider)
  if (!caches) {
    caches = { points: new TtlCache(5_000), weather: new TtlCache(2_000) }
    cachesByProvider.set(provider, caches)
  }
  return caches
}

async function attempt<V>(run: () => Promise<V>): Promise<Outcome<V>> {
  try {
    return { ok: true, value: await run() }
  } catch (err) {
    return err instanceof WeatherError
      ? { ok: false, reason: err.message, retryAfterMs: err.retryAfterMs }
      : { ok: false, reason: 'the weather service failed', retryAfterMs: null }
  }
}

function ttl<V>(success: number) {
  return (o: Outcome<V>) =>
    o.ok ? success : Math.min(Math.max(o.retryAfterMs ?? FAILURE_TTL_MS, FAILURE_TTL_MS), 10 * MINUTE)
}

const placeKey = (q: PlaceQuery) => `${q.countryCode}|${q.name.normalize('NFC').toLowerCase()}`

/**
 * Where a caller's number is from, the local time there at `now`, and the weather there.
 * Never throws: a failing weather source gives `weather: null` and the reason in `error`.
 * `provider: null` is the weather app switched off (location and time only).
 */
export async function callerWeather(
  e164: string,
  opts: { provider: WeatherProvider | null; now: Date },
): Promise<CallerWeatherResult> {
  let located: Awaited<ReturnType<typeof locateNumber>>
  try {
    located = await locateNumber(e164, opts.now)
  } catch {
    // The number data could not be read (a broken install): the card goes on without a place.
    return { location: null, weather: null, error: 'the number data could not be read' }
  }
  if (!located) return { location: null, weather: null, error: null }
  const { location, query } = located
  if (!query || !opts.provider) return { location, weather: null, error: null }

  const provider = opts.provider
  const caches = cachesFor(provider)
  const now = opts.now.getTime()
  const key = placeKey(query)

  const point = await caches.points.get(
    key,
    now,
    () => attempt(() => provider.geocode(query)),
    ttl(GEOCODING_TTL_MS),
  )
  if (!point.ok) return { location, weather: null, error: point.reason }
  if (!point.value) return { location, weather: null, error: `no coordinates are known for ${query.name}` }
  const at = point.value

  const current = await caches.weather.get(
    key,
    now,
    () => attempt(() => provider.current(at)),
    ttl(WEATHER_TTL_MS),
  )
  if (!current.ok) return { location, weather: null, error: current.reason }
  const { temperatureC, code, observedAt } = current.value
  return {
    location,
    weather: {
      temperature_c: Math.round(temperatureC * 10) / 10,
      conditions: weatherWords(code),
      code,
      observed_at: Math.round(observedAt),
    },
    error: null,
  }
}
