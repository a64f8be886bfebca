import { startOpenMeteoFake } from '@switchboard/connectors/testing/open-meteo-fake'
import { callerWeatherSchema } from '@switchboard/shared'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { FakeClock } from '../../core/clock.ts'
import { createWeatherLookup } from './weather.ts'

/** The hub's weather adapter over the connectors' weather app, against an Open-Meteo on loopback. */
let meteo: Awaited<ReturnType<typeof startOpenMeteoFake>>
const clock = new FakeClock(new Date('2026-03-02T10:07:00Z'))
beforeAll(async () => {
  meteo = await startOpenMeteoFake()
  meteo.clock.now = clock.now().getTime()
  meteo.setWeather(48.85341, 2.3488, { temperature: 9.5, code: 61 })
})
afterAll(() => meteo.close())

const env = () => ({
  WEATHER_PROVIDER: 'open-meteo' as const,
  OPEN_METEO_URL: meteo.url,
  OPEN_METEO_GEOCODING_URL: meteo.url,
  OPEN_METEO_API_KEY: undefined,
})

describe('caller weather in the hub', () => {
  it("gives a Paris landline's place, local time and weather with the Weather app", async () => {
    const lookup = createWeatherLookup(env(), clock)
    const out = await lookup('+33142685300', { withWeather: true })
    expect(out.location).toMatchObject({
      country: 'FR',
      place: 'Paris',
      time_zone: 'Europe/Paris',
      local_time: '11:07',
    })
    expect(callerWeatherSchema.parse(out.weather)).toMatchObject({ temperature_c: 9.5, code: 61 })
  })

  it('gives the place and time without asking the provider when the company has no Weather app', async () => {
    const before = meteo.forecasts().length + meteo.searches().length
    const out = await createWeatherLookup(env(), clock)('+33142685300', { withWeather: false })
    expect(out.location?.place).toBe('Paris')
    expect(out.weather).toBeNull()
    expect(meteo.forecasts().length + meteo.searches().length).toBe(before)
  })

  it('asks nobody when WEATHER_PROVIDER=off', async () => {
    const before = meteo.forecasts().length + meteo.searches().length
    const out = await createWeatherLookup({ ...env(), WEATHER_PROVIDER: 'off' }, clock)('+33142685300', {
      withWeather: true,
    })
    expect(out.location?.local_time).toBe('11:07')
    expect(out.weather).toBeNull()
    expect(meteo.forecasts().length + meteo.searches().length).toBe(before)
  })
})
