import type { CallActivityInput } from '@switchboard/shared'
import { afterEach, describe, expect, it } from 'vitest'
import type { RequestBudget } from '../src/contract.ts'
import { DynamicsConnector } from '../src/dynamics/connector.ts'
import { isConnectorError } from '../src/errors.ts'
import { HubspotConnector } from '../src/hubspot/connector.ts'
import { SalesforceConnector } from '../src/salesforce/connector.ts'
import { ZendeskConnector } from '../src/zendesk/connector.ts'
import { startDynamicsFake } from '../testing/dynamics-fake.ts'
import { startHubspotFake } from '../testing/hubspot-fake.ts'
import { startSalesforceFake } from '../testing/salesforce-fake.ts'
import type { FakeServer } from '../testing/server.ts'
import { startZendeskFake } from '../testing/zendesk-fake.ts'

/**
 * The fakes enforce the vendor's request budget when asked, answering past it the way the vendor
 * does (status, body, headers), so the connectors' mapping to `rate_limited` with the right wait
 * is exercised against what the vendor sends; and they count what they accepted and refused.
 * The window runs on the fake's clock, advanced by the test.
 */

const fakes: FakeServer[] = []
afterEach(async () => {
  for (const f of fakes.splice(0)) await f.close()
})

let clock = Date.UTC(2026, 11, 6, 10)
const now = () => clock

const call = (id: number): CallActivityInput => ({
  call_id: id,
  call_ref: `sb-call-${id}`,
  direction: 'inbound',
  started_at: 1_790_000_000,
  answered_at: 1_790_000_005,
  ended_at: 1_790_000_100,
  external_number: '+14155551212',
  line: { e164: '+14155550100', name: 'Support' },
  agent: null,
  tags: [],
  comments: [],
})

async function rejection(p: Promise<unknown>) {
  try {
    await p
  } catch (e) {
    return e
  }
  throw new Error('expected the request to be refused')
}

describe('HubSpot fake with a rate limit', () => {
  it('answers 429 TEN_SECONDLY_ROLLING past the burst limit, with its headers; the window slides', async () => {
    const fake = await startHubspotFake({
      rateLimit: { requests: 3, windowMs: 10_000, now },
      searchRateLimit: { requests: 1, windowMs: 1_000, now },
    })
    fakes.push(fake)
    // As prepare() leaves the account (not counted here: it is set up, not requested).
    fake.callPropertyDefs.set('switchboard_call_ref', { hasUniqueValue: true })
    const t = fake.issueTokens()
    const connector = new HubspotConnector({
      app: { clientId: 'hs-client', clientSecret: 'hs-secret', redirectUri: 'https://sb.test/cb' },
      tokens: { ...t, expiresAt: null, accountId: '4242', instanceUrl: null },
      onTokens: () => {},
      now,
      baseUrl: fake.url,
    })
    for (let i = 1; i <= 3; i++) await connector.logCall(call(i), { record: null })
    const refused = await rejection(connector.logCall(call(4), { record: null }))
    expect(isConnectorError(refused) && refused.code).toBe('rate_limited')
    // No Retry-After from HubSpot: the policy's interval header is the wait.
    expect(isConnectorError(refused) && refused.retryAfterMs).toBe(10_000)
    const last = fake.requests.at(-1)!
    expect(last.path).toBe('/crm/v3/objects/calls')
    expect(fake.calls.size).toBe(3)
    expect(fake.rateStats).toEqual({ requests: 4, limited: 1 })

    // Search has its own budget: one a second here; the second search is refused "secondly".
    await connector.lookupByPhone('+14155551212')
    const search = await rejection(connector.lookupByPhone('+14155551213'))
    expect(isConnectorError(search) && search.retryAfterMs).toBe(1_000)
    expect(fake.searchRateStats).toEqual({ requests: 2, limited: 1 })

    clock += 10_001
    await connector.logCall(call(4), { record: null })
    expect(fake.calls.size).toBe(4)
    expect(fake.rateStats).toEqual({ requests: 5, limited: 1 })
  })
})

describe('Zendesk fake with a rate limit', () => {
  it('answers 429 with Retry-After in seconds past the per-minute limit', async () => {
    const fake = await startZendeskFake({ rateLimit: { requests: 2, windowMs: 60_000, now } })
    fakes.push(fake)
    const t = fake.issueTokens()
    const connector = new ZendeskConnector({
      app: { clientId: 'zd-client', clientSecret: 'zd-secret', redirectUri: 'https://sb.test/cb' },
      tokens: { ...t, expiresAt: null, accountId: 'acme', instanceUrl: 'https://acme.zendesk.com' },
      onTokens: () => {},
      now,
      baseUrl: fake.url,
      authBaseUrl: fake.url,
    })
    await connector.lookupByPhone('+14155551212')
    await connector.lookupByPhone('+14155551212')
    clock += 15_000
    const refused = await rejection(connector.lookupByPhone('+14155551212'))
    expect(isConnectorError(refused) && refused.code).toBe('rate_limited')
    // The oldest request leaves the window 45 s from now.
    expect(isConnectorError(refused) && refused.retryAfterMs).toBe(45_000)
    expect(fake.rateStats).toEqual({ requests: 3, limited: 1 })
    clock += 45_000
    await connector.lookupByPhone('+14155551212')
    expect(fake.rateStats).toEqual({ requests: 4, limited: 1 })
  })
})

describe('Salesforce fake with an allocation', () => {
  it('answers 403 REQUEST_LIMIT_EXCEEDED past the rolling allocation and reports usage in Sforce-Limit-Info', async () => {
    const fake = await startSalesforceFake({ dailyLimit: { requests: 2, windowMs: 24 * 3600_000, now } })
    fakes.push(fake)
    const t = fake.issueTokens()
    const connector = new SalesforceConnector({
      app: { clientId: 'sf-client', clientSecret: 'sf-secret', redirectUri: 'https://sb.test/cb' },
      tokens: { ...t, expiresAt: null, accountId: '00D000000000001AAA' },
      onTokens: () => {},
      now,
      authBaseUrl: fake.url,
    })
    await connector.lookupByPhone('+14155551212')
    await connector.lookupByPhone('+14155551212')
    const refused = await rejection(connector.lookupByPhone('+14155551212'))
    expect(isConnectorError(refused) && refused.code).toBe('rate_limited')
    expect(fake.rateStats).toEqual({ requests: 3, limited: 1 })
    const usage = await fetch(`${t.instanceUrl}/services/data/v67.0/limits`, {
      headers: { authorization: `Bearer ${t.accessToken}` },
    })
    expect(usage.headers.get('sforce-limit-info')).toBe('api-usage=2/2')
  })
})

describe('paceRequest: the caller sees every request the vendor counts', () => {
  /** A pacer that records the budget of each request it lets through. */
  const pacer = () => {
    const seen: RequestBudget[] = []
    return {
      seen,
      paceRequest: <T>(budget: RequestBudget, send: () => Promise<T>) => {
        seen.push(budget)
        return send()
      },
    }
  }

  it('HubSpot: searches go through the search budget, everything else through the burst one', async () => {
    const fake = await startHubspotFake({
      rateLimit: { requests: 100, windowMs: 10_000, now },
      searchRateLimit: { requests: 100, windowMs: 1_000, now },
    })
    fakes.push(fake)
    fake.callPropertyDefs.set('switchboard_call_ref', { hasUniqueValue: true })
    const t = fake.issueTokens()
    const p = pacer()
    const connector = new HubspotConnector({
      app: { clientId: 'hs-client', clientSecret: 'hs-secret', redirectUri: 'https://sb.test/cb' },
      tokens: { ...t, expiresAt: null, accountId: '4242', instanceUrl: null },
      onTokens: () => {},
      now,
      baseUrl: fake.url,
      paceRequest: p.paceRequest,
    })
    await connector.lookupByPhone('+14155551212')
    await connector.lookupMany(['+14155551212', '+14155551213'])
    await connector.logCall(call(1), { record: null })
    await connector.logCalls([{ call: call(2) }, { call: call(3) }])
    await connector.logCall(call(1), { record: null, mayExist: true })
    expect(p.seen.filter((b) => b === 'search')).toHaveLength(fake.searchRateStats.requests)
    expect(p.seen.filter((b) => b === 'api')).toHaveLength(fake.rateStats.requests)
    expect(fake.searchRateStats.requests).toBe(2)
  })

  it('Dynamics 365: a logged call is two requests (created, then completed), both paced', async () => {
    const fake = await startDynamicsFake({ requestLimit: 100, windowMs: 300_000, now })
    fakes.push(fake)
    const t = fake.issueTokens()
    const p = pacer()
    const connector = new DynamicsConnector({
      app: { clientId: 'dyn-client', clientSecret: 'dyn-secret', redirectUri: 'https://sb.test/cb' },
      tokens: {
        accessToken: t.accessToken,
        refreshToken: t.refreshToken,
        expiresAt: clock + 3_600_000,
        accountId: fake.organizationId,
        instanceUrl: fake.orgUrl,
      },
      onTokens: () => {},
      now,
      authBaseUrl: fake.url,
      paceRequest: p.paceRequest,
    })
    await connector.logCall(call(1), { record: null })
    expect(fake.rateStats.requests).toBe(2)
    expect(p.seen).toEqual(['api', 'api'])
  })
})
