export * from './contract.ts'
export { DATAVERSE_API_VERSION } from './dynamics/client.ts'
export * from './errors.ts'
export { HUBSPOT_OUTCOMES } from './hubspot/mapper.ts'
export { resolveTagMapping } from './mapping.ts'
export { createPkcePair, pkceChallenge } from './pkce.ts'
export { connectorFor, connectorRegistry } from './registry.ts'
export { SALESFORCE_API_VERSION } from './salesforce/client.ts'
export { type CallerWeatherResult, callerWeather } from './weather/caller-weather.ts'
export type { PlaceQuery } from './weather/locate.ts'
export {
  type CurrentWeather,
  type GeoPoint,
  type OpenMeteoOptions,
  openMeteoProvider,
  WeatherError,
  type WeatherProvider,
  weatherProviderFromEnv,
} from './weather/open-meteo.ts'
