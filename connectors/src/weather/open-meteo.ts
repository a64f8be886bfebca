import { z } from 'zod'
import type { PlaceQuery } from './locate.ts'

export type GeoPoint = { latitude: number; longitude: number }

export type CurrentWeather = {
  temperatureC: number
  /** WMO weather code. */
  code: number
  /** Unix seconds of the observation. */
  observedAt: number
}

/** Why the weather could not be had, in words for the card; `retryAfterMs` when the source said. */
export class WeatherError extends Error {
  override readonly name = 'WeatherError'
  constructor(
    message: string,
    readonly retryAfterMs: number | null = null,
  ) {
    super(message)
  }
}

/**
 * Where weather comes from. Implementations throw `WeatherError` (or anything: the caller turns
 * every failure into "no weather" with a reason). Caching is not theirs to do: `callerWeather`
 * keeps one cache per provider object, so the hub makes one provider per process.
 */
export interface WeatherProvider {
  /** The place's coordinates; null when the geocoder knows no such place. */
  geocode(place: PlaceQuery): Promise<GeoPoint | null>
  current(point: GeoPoint): Promise<CurrentWeather>
}

export type OpenMeteoOptions = {
  /** Forecast API origin; defaults to Open-Meteo's (its `customer-` host when a key is set). */
  baseUrl?: string
  /** Geocoding API origin; likewise. */
  geocodingUrl?: string
  /** A commercial subscription's key, sent as `apikey`. Without one, the free non-commercial tier. */
  apiKey?: string | null
  /** Per request, reading the body included. Default 3 s: the card is wanted while it rings. */
  timeoutMs?: number
  fetch?: typeof fetch
}

// https://open-meteo.com/en/docs/geocoding-api — no match answers 200 without `results`.
const geocodingSchema = z.object({
  results: z
    .array(
      z.object({
        name: z.string(),
        latitude: z.number(),
        longitude: z.number(),
        country_code: z.string().nullish(),
      }),
    )
    .nullish(),
})

// https://open-meteo.com/en/docs — with timezone=auto, `current.time` is local ("2026-12-06T11:00")
// and `utc_offset_seconds` says how far from UTC that is.
const forecastSchema = z.object({
  utc_offset_seconds: z.number().int(),
  current: z.object({
    time: z.string().regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/),
    temperature_2m: z.number(),
    weather_code: z.number().int(),
  }),
})

// Errors of every Open-Meteo API: HTTP 400 with {"error": true, "reason": "…"}.
const errorSchema = z.object({ error: z.literal(true), reason: z.string() })

export function openMeteoProvider(opts: OpenMeteoOptions = {}): WeatherProvider {
  const apiKey = opts.apiKey || null
  // Commercial access is the same API on hosts prefixed `customer-`, with the key.
  const prefix = apiKey ? 'customer-' : ''
  const baseUrl = (opts.baseUrl ?? `https://${prefix}api.open-meteo.com`).replace(/\/+$/, '')
  const geocodingUrl = (opts.geocodingUrl ?? `https://${prefix}geocoding-api.open-meteo.com`).replace(
    /\/+$/,
    '',
  )
  const timeoutMs = opts.timeoutMs ?? 3_000
  const doFetch = opts.fetch ?? fetch

  async function getJson(url: URL): Promise<unknown> {
    if (apiKey) url.searchParams.set('apikey', apiKey)
    let res: Response
    let text: string
    try {
      const signal = AbortSignal.timeout(timeoutMs)
      res = await doFetch(url, { signal, headers: { accept: 'application/json' } })
      text = await res.text()
    } catch (err) {
      const name = err instanceof Error ? err.name : ''
      throw new WeatherError(
        name === 'TimeoutError' || name === 'AbortError'
          ? 'the weather service timed out'
          : 'the weather service could not be reached',
      )
    }
    let body: unknown
    try {
      body = JSON.parse(text)
    } catch {
      body = undefined
    }
    if (res.status === 429) {
      const seconds = Number(res.headers.get('retry-after'))
      throw new WeatherError(
        'the weather service is rate limiting us',
        Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : null,
      )
    }
    if (!res.ok) {
      const reason = errorSchema.safeParse(body)
      throw new WeatherError(
        reason.success
          ? `the weather service refused the request: ${reason.data.reason}`
          : `the weather service failed (HTTP ${res.status})`,
      )
    }
    if (body === undefined) throw new WeatherError('the weather service sent a malformed answer')
    return body
  }

  return {
    async geocode(place) {
      const url = new URL(`${geocodingUrl}/v1/search`)
      url.searchParams.set('name', place.name)
      url.searchParams.set('count', '1')
      url.searchParams.set('language', 'en')
      url.searchParams.set('format', 'json')
      url.searchParams.set('countryCode', place.countryCode)
      const parsed = geocodingSchema.safeParse(await getJson(url))
      if (!parsed.success) throw new WeatherError('the weather service sent a malformed answer')
      const first = parsed.data.results?.[0]
      return first ? { latitude: first.latitude, longitude: first.longitude } : null
    },

    async current(point) {
      const url = new URL(`${baseUrl}/v1/forecast`)
      url.searchParams.set('latitude', String(point.latitude))
      url.searchParams.set('longitude', String(point.longitude))
      url.searchParams.set('current', 'temperature_2m,weather_code')
      url.searchParams.set('timezone', 'auto')
      const parsed = forecastSchema.safeParse(await getJson(url))
      if (!parsed.success) throw new WeatherError('the weather service sent a malformed answer')
      const { current, utc_offset_seconds } = parsed.data
      return {
        temperatureC: current.temperature_2m,
        code: current.weather_code,
        observedAt: Date.parse(`${current.time}:00Z`) / 1000 - utc_offset_seconds,
      }
    },
  }
}

/**
 * The provider the environment asks for: none with `WEATHER_PROVIDER=off`, else Open-Meteo,
 * on its commercial hosts when `OPEN_METEO_API_KEY` is set.
 */
export function weatherProviderFromEnv(
  env: Record<string, string | undefined>,
  opts: Omit<OpenMeteoOptions, 'apiKey'> = {},
): WeatherProvider | null {
  if (env.WEATHER_PROVIDER?.trim().toLowerCase() === 'off') return null
  return openMeteoProvider({ ...opts, apiKey: env.OPEN_METEO_API_KEY?.trim() || null })
}
