import { Client } from '@hubspot/api-client'

export const HUBSPOT_API_BASE = 'https://api.hubapi.com'

/**
 * The SDK's API objects for one access token. The client and every API object are built in
 * one synchronous step on purpose: the SDK keeps its retry/limiter decorators in a process-wide
 * singleton that each `new Client()` overwrites, and applies them when an API object is first
 * touched. Touched later, our objects would pick up whatever client another tenant (or library)
 * built last. We pass no retries and no limiter: the hub's queue owns retry policy and reads
 * `retryAfterMs` from our errors.
 */
export function createHubspotApis(accessToken: string, basePath: string) {
  // No trailing slash: the SDK would request `//crm/v3/...`.
  const client = new Client({ accessToken, basePath: basePath.replace(/\/+$/, '') })
  return {
    contactsSearch: client.crm.contacts.searchApi,
    contactsBasic: client.crm.contacts.basicApi,
    callsBasic: client.crm.objects.calls.basicApi,
    callsBatch: client.crm.objects.calls.batchApi,
    properties: client.crm.properties.coreApi,
    owners: client.crm.owners.ownersApi,
  }
}
export type HubspotApis = ReturnType<typeof createHubspotApis>
