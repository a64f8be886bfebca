import { callerWeather, openMeteoProvider } from '@switchboard/connectors'
import type { Clock } from '../../core/clock.ts'
import type { Env } from '../../env.ts'
import type { WeatherLookup } from './caller-info.ts'

type WeatherEnv = Pick<
  Env,
  'WEATHER_PROVIDER' | 'OPEN_METEO_API_KEY' | 'OPEN_METEO_URL' | 'OPEN_METEO_GEOCODING_URL'
>

/**
 * The caller card's place, local time and weather: the connectors' weather app with the
 * provider the environment chooses. One provider per process: its caches (10 min of weather per
 * place, 30 days of coordinates, requests in flight shared) are in it. The place and local time
 * come from the number alone; the weather only for companies with the Weather app.
 */
export function createWeatherLookup(env: WeatherEnv, clock: Clock): WeatherLookup {
  const provider =
    env.WEATHER_PROVIDER === 'off'
      ? null
      : openMeteoProvider({
          baseUrl: env.OPEN_METEO_URL,
          geocodingUrl: env.OPEN_METEO_GEOCODING_URL,
          apiKey: env.OPEN_METEO_API_KEY ?? null,
        })
  return (e164, { withWeather }) =>
    callerWeather(e164, { provider: withWeather ? provider : null, now: clock.now() })
}
