import { Client } from '@hubspot/api-client'
import type { CallActivityInput } from '@switchboard/shared'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { ConnectorSettingsInput, TokenSet } from '../src/contract.ts'
import { ConnectorError } from '../src/errors.ts'
import { HubspotConnector, hubspotDefinition } from '../src/hubspot/connector.ts'
import { HUBSPOT_OUTCOMES } from '../src/hubspot/mapper.ts'
import { type HubspotFake, startHubspotFake } from '../testing/hubspot-fake.ts'

const app = {
  clientId: 'hs-client',
  clientSecret: 'hs-secret',
  redirectUri: 'https://sb.example.com/oauth/hubspot',
}

const baseCall: CallActivityInput = {
  call_id: 812,
  call_ref: 'sb-call-812',
  direction: 'inbound',
  started_at: 1_790_000_000,
  answered_at: 1_790_000_005,
  ended_at: 1_790_000_100,
  external_number: '+14155551212',
  line: { e164: '+14155550100', name: 'Support' },
  agent: { name: 'Ada Lovelace', email: 'ada@acme.test' },
  tags: [],
  comments: ['Asked about invoice 123'],
  recording_url: 'https://rec.example.com/812.mp3',
}

let fake: HubspotFake
let saved: TokenSet[]
let now: number

function connect(
  opts: { settings?: ConnectorSettingsInput; tokens?: Partial<TokenSet>; timeoutMs?: number } = {},
) {
  const t = fake.issueTokens()
  return new HubspotConnector({
    app,
    tokens: {
      accessToken: t.accessToken,
      refreshToken: t.refreshToken,
      expiresAt: now + 1_800_000,
      accountId: '4242',
      instanceUrl: null,
      ...opts.tokens,
    },
    onTokens: (x) => void saved.push(x),
    settings: opts.settings,
    now: () => now,
    baseUrl: fake.url,
    timeoutMs: opts.timeoutMs ?? 5_000,
  })
}

beforeEach(async () => {
  fake = await startHubspotFake()
  saved = []
  now = Date.UTC(2026, 11, 6, 10)
})
afterEach(() => fake.close())

const writes = () => fake.requests.filter((r) => r.method === 'POST' && r.path === '/crm/v3/objects/calls')

describe('HubSpot OAuth', () => {
  it('sends the user to HubSpot with the contacts scopes and exchanges the code on the v3 token endpoint', async () => {
    const url = new URL(hubspotDefinition.authorizationUrl(app, { state: 'st-1' }))
    expect(url.origin + url.pathname).toBe('https://app.hubspot.com/oauth/authorize')
    expect(url.searchParams.get('scope')).toBe('oauth crm.objects.contacts.read crm.objects.contacts.write')
    expect(url.searchParams.get('state')).toBe('st-1')
    expect(url.searchParams.get('redirect_uri')).toBe(app.redirectUri)

    fake.grantCode('code-1')
    const tokens = await hubspotDefinition.exchangeCode(app, 'code-1', { baseUrl: fake.url, now: () => now })
    expect(tokens.expiresAt).toBe(now + 1_800_000)
    expect(tokens.accountId).toBe('4242')
    expect(tokens.refreshToken).toMatch(/^na1-/)
    // v1 is deprecated on Feb 16 2027: the body carries the secret, not the query string.
    const req = fake.requests.at(-1)!
    expect(req.path).toBe('/oauth/v3/token')
    expect(req.query.toString()).toBe('')

    const again = await hubspotDefinition
      .exchangeCode(app, 'code-1', { baseUrl: fake.url })
      .catch((e: unknown) => e)
    expect(again).toBeInstanceOf(ConnectorError)
    expect(again).toMatchObject({ code: 'reauth', retryable: false, vendorCode: 'BAD_AUTH_CODE' })
  })

  it('refreshes ahead of expiry from expires_in and hands the new tokens to the callback', async () => {
    const c = connect({ tokens: { expiresAt: now + 60_000 } })
    await c.prepare()
    expect(saved).toHaveLength(1)
    expect(saved[0]!.expiresAt).toBe(now + 1_800_000)
    const sent = fake.requests.find((r) => r.path === '/crm/v3/properties/calls')!
    expect(sent.headers.authorization).toBe(`Bearer ${saved[0]!.accessToken}`)
  })

  it('refreshes once on a 401 and replays the request; a refused refresh token asks for a reconnect', async () => {
    const c = connect()
    await c.prepare()
    fake.expireAccessTokens()
    await c.logCall(baseCall)
    expect(saved).toHaveLength(1)
    expect(fake.calls.size).toBe(1)

    fake.expireAccessTokens()
    fake.revokeRefreshTokens()
    const e = await c.lookupByPhone('+14155551212').catch((x: unknown) => x)
    expect(e).toMatchObject({
      code: 'reauth',
      reauth: true,
      retryable: false,
      vendorCode: 'BAD_REFRESH_TOKEN',
    })
    expect(await c.healthCheck()).toMatchObject({ ok: false, reauth: true })
  })
})

describe('HubSpot revoke', () => {
  it('revokes the refresh token on the v3 endpoint: the next refresh is refused; a second revoke is harmless', async () => {
    const c = connect()
    await c.revoke()
    const req = fake.requests.at(-1)!
    expect(req.path).toBe('/oauth/v3/token/revoke')
    expect(req.query.toString()).toBe('')
    expect(fake.revoked).toHaveLength(1)
    expect(await c.refresh().catch((e: unknown) => e)).toMatchObject({
      code: 'reauth',
      vendorCode: 'BAD_REFRESH_TOKEN',
    })
    await c.revoke()
    expect(fake.revoked).toHaveLength(1)
  })
})

describe('HubSpot caller lookup', () => {
  it('finds numbers stored without the country code and ranks phone over mobile, newest first', async () => {
    const older = fake.addContact(
      { firstname: 'Old', lastname: 'Phone', phone: '(415) 555-1212' },
      '2026-01-01T00:00:00.000Z',
    )
    const newer = fake.addContact(
      { firstname: 'New', lastname: 'Phone', phone: '415.555.1212' },
      '2026-06-01T00:00:00.000Z',
    )
    const mobile = fake.addContact(
      { firstname: 'Mo', lastname: 'Bile', mobilephone: '+1 415 555 1212' },
      '2026-09-01T00:00:00.000Z',
    )
    fake.addContact({ firstname: 'Other', lastname: 'Number', phone: '(415) 555-1213' })
    const c = connect()

    const found = await c.lookupByPhone('+14155551212')
    expect(found.map((r) => r.id)).toEqual([newer, older, mobile])
    expect(found[0]).toMatchObject({
      type: 'contact',
      name: 'New Phone',
      url: `https://app.hubspot.com/contacts/4242/record/0-1/${newer}`,
    })

    // HubSpot indexes the area code and local number only: E.164 there would miss.
    const body = JSON.parse(fake.requests.at(-1)!.rawBody)
    expect(body.filterGroups[0].filters[0]).toEqual({
      propertyName: 'hs_searchable_calculated_phone_number',
      operator: 'EQ',
      value: '4155551212',
    })
  })

  it('looks many numbers up with IN filters, ten a search, each ranked on its own', async () => {
    const ann = fake.addContact({ firstname: 'Ann', lastname: 'A', phone: '(415) 555-0101' })
    const mo = fake.addContact({ firstname: 'Mo', lastname: 'B', mobilephone: '+1 415 555 0102' })
    const paris = fake.addContact({ firstname: 'Marie', lastname: 'C', phone: '+33 1 76 11 11 11' })
    const numbers = [
      ...Array.from({ length: 11 }, (_, i) => `+1415555${String(100 + i).padStart(4, '0')}`),
      '+33176111111',
    ]
    const before = fake.requests.length

    const found = await connect().lookupMany!(numbers)
    expect(found.get('+14155550101')!.map((r) => r.id)).toEqual([ann])
    expect(found.get('+14155550102')!.map((r) => r.id)).toEqual([mo])
    expect(found.get('+33176111111')!.map((r) => r.id)).toEqual([paris])
    expect(found.get('+14155550103')).toEqual([])
    const searches = fake.requests.slice(before).filter((r) => r.path.endsWith('/search'))
    expect(searches).toHaveLength(2)
    const body = JSON.parse(searches[0]!.rawBody)
    expect(body.filterGroups[0].filters[0]).toMatchObject({
      propertyName: 'hs_searchable_calculated_phone_number',
      operator: 'IN',
    })
    expect(body.filterGroups[0].filters[0].values).toHaveLength(10)
  })

  it('matches a non-NANP number stored in international format and creates a contact by policy', async () => {
    const paris = fake.addContact({ firstname: 'Marie', lastname: 'Curie', phone: '+33 1 76 11 11 11' })
    expect((await connect().lookupByPhone('+33176111111')).map((r) => r.id)).toEqual([paris])

    expect(await connect().createContact({ e164: '+14155550199' })).toBeNull()
    const created = await connect({ settings: { unknownNumber: 'contact' } }).createContact({
      e164: '+14155550199',
    })
    expect(created).toMatchObject({
      type: 'contact',
      name: '+14155550199 Switchboard new contact',
      phone: '+14155550199',
    })
    expect((await connect().lookupByPhone('+14155550199')).map((r) => r.id)).toEqual([created!.id])
  })
})

describe('HubSpot caller card details', () => {
  it("gives the contact's company and its owner's name (one owner read per owner), none when the owner is unknown", async () => {
    fake.addOwner({ id: '77', email: 'olga@acme.test', firstName: 'Olga', lastName: 'Owner' })
    const a = fake.addContact({
      firstname: 'Ann',
      lastname: 'A',
      phone: '+14155551212',
      company: 'Acme',
      hubspot_owner_id: '77',
    })
    const b = fake.addContact({
      firstname: 'Bob',
      lastname: 'B',
      mobilephone: '+14155551212',
      hubspot_owner_id: '77',
    })
    const c = fake.addContact({
      firstname: 'Cy',
      lastname: 'C',
      mobilephone: '+14155551212',
      hubspot_owner_id: '999',
    })
    const found = await connect().lookupByPhone('+14155551212')
    const byId = new Map(found.map((r) => [r.id, r]))
    expect(byId.get(a)).toMatchObject({ company: 'Acme', owner: 'Olga Owner' })
    expect(byId.get(b)).toMatchObject({ company: null, owner: 'Olga Owner' })
    expect(byId.get(c)).toMatchObject({ owner: null })
    expect(fake.requests.filter((r) => r.path === '/crm/v3/owners/77')).toHaveLength(1)
  })
})

describe('HubSpot call logging', () => {
  it('writes the calls object with HubSpot units and associates it to the contact', async () => {
    const contact = fake.addContact({ firstname: 'Grace', lastname: 'Hopper', phone: '+14155551212' })
    fake.addOwner({ id: '77', email: 'ada@acme.test' })
    const c = connect()
    await c.prepare()
    const logged = await c.logCall(baseCall, {
      record: { id: contact, type: 'contact', name: 'Grace Hopper' },
    })
    expect(logged).toMatchObject({ created: true, callRef: 'sb-call-812' })

    const stored = fake.calls.get(logged.id)!
    expect(stored.properties).toMatchObject({
      switchboard_call_ref: 'sb-call-812',
      hs_timestamp: '2026-09-21T14:13:20.000Z',
      hs_call_title:
        'Inbound answered call from Grace Hopper on Support (+14155550100) answered by Ada Lovelace',
      hs_call_body: 'Asked about invoice 123',
      hs_call_direction: 'INBOUND',
      hs_call_disposition: HUBSPOT_OUTCOMES.connected,
      hs_call_duration: '95000',
      hs_call_from_number: '+14155551212',
      hs_call_to_number: '+14155550100',
      hs_call_recording_url: 'https://rec.example.com/812.mp3',
      hs_call_status: 'COMPLETED',
      hubspot_owner_id: '77',
    })
    expect(stored.associations).toEqual([{ toId: contact, typeId: 194 }])
  })

  it('keeps a recording link HubSpot cannot play (not https) in the notes instead', async () => {
    const c = connect()
    await c.prepare()
    const plain = { ...baseCall, call_ref: 'sb-call-813', recording_url: 'http://localhost:3000/r/813.mp3' }
    const logged = await c.logCall(plain)
    const props = fake.calls.get(logged.id)!.properties
    expect(props.hs_call_recording_url ?? null).toBeNull()
    expect(props.hs_call_body).toBe('Asked about invoice 123\n\nRecording: http://localhost:3000/r/813.mp3')
  })

  it('maps tags to an outcome GUID and a call type; conflicting tags fall back to the default', async () => {
    const settings = {
      tagOutcomes: {
        'wrong number': HUBSPOT_OUTCOMES.wrongNumber,
        'left message': HUBSPOT_OUTCOMES.leftLiveMessage,
      },
      tagCallTypes: { 'first outreach': 'Demo' },
    }
    const c = connect({ settings })
    await c.prepare()
    const outbound = { ...baseCall, direction: 'outbound' as const, answered_at: null }
    const a = await c.logCall({ ...outbound, call_ref: 'a', tags: ['wrong number', 'first outreach'] })
    const b = await c.logCall({ ...outbound, call_ref: 'b', tags: ['wrong number', 'left message'] })
    expect(fake.calls.get(a.id)!.properties).toMatchObject({
      hs_call_disposition: HUBSPOT_OUTCOMES.wrongNumber,
      hs_activity_type: 'Demo',
      hs_call_status: 'NO_ANSWER',
      hs_call_duration: '0',
      hs_call_body: 'Asked about invoice 123\n\nTags: wrong number, first outreach',
    })
    expect(fake.calls.get(b.id)!.properties.hs_call_disposition).toBe(HUBSPOT_OUTCOMES.noAnswer)
  })

  it('logs a voicemail and attaches the voicemail link once it is ready', async () => {
    const c = connect()
    await c.prepare()
    const vm = { ...baseCall, answered_at: null, voicemail: true, recording_url: null }
    const logged = await c.logCall(vm)
    expect(fake.calls.get(logged.id)!.properties).toMatchObject({
      hs_call_title: 'Voicemail from +14155551212 on Support (+14155550100)',
      hs_call_has_voicemail: 'true',
      hs_call_disposition: '',
    })
    await c.attachMedia(logged.id, { voicemailUrl: 'https://rec.example.com/vm-812.mp3' })
    expect(fake.calls.get(logged.id)!.properties.hs_call_recording_url).toBe(
      'https://rec.example.com/vm-812.mp3',
    )
  })

  it('a create retried after the connection died mid-write finds the call instead of writing a second', async () => {
    const c = connect()
    await c.prepare()
    fake.fault({
      match: (r) => r.method === 'POST' && r.path === '/crm/v3/objects/calls',
      dropAfterHandling: true,
    })
    const lost = await c.logCall(baseCall).catch((e: unknown) => e)
    expect(lost).toMatchObject({ code: 'unavailable', retryable: true })
    expect(fake.calls.size).toBe(1)

    // The hub's ledger says "started, no activity id": the retry looks before it writes.
    const first = await c.logCall(
      { ...baseCall, comments: ['Asked about invoice 123', 'Call back Friday'] },
      { mayExist: true },
    )
    expect(first.created).toBe(false)
    expect(fake.calls.size).toBe(1)
    expect(fake.calls.get(first.id)!.properties.hs_call_body).toBe(
      'Asked about invoice 123\n\nCall back Friday',
    )
    expect(writes()).toHaveLength(1)

    // Even without the ledger's hint, the unique call-ref property refuses a second call.
    const second = await c.logCall(baseCall)
    expect(second).toMatchObject({ id: first.id, created: false })
    expect(fake.calls.size).toBe(1)
    expect(await c.findActivity('sb-call-812')).toEqual({ id: first.id, callRef: 'sb-call-812' })
    expect(await c.findActivity('sb-call-999')).toBeNull()
  })

  it('batch-creates calls, reporting per call which were refused (207)', async () => {
    const c = connect()
    await c.prepare()
    await c.logCall({ ...baseCall, call_ref: 'dup' })
    const results = await c.logCalls([
      { call: { ...baseCall, call_ref: 'b1' } },
      { call: { ...baseCall, call_ref: 'dup' } },
      { call: { ...baseCall, call_ref: 'b3', direction: 'outbound' } },
    ])
    expect(results.map((r) => [r.callRef, r.ok])).toEqual([
      ['b1', true],
      ['dup', false],
      ['b3', true],
    ])
    expect(results[1]).toMatchObject({ ok: false, error: { code: 'conflict', retryable: false } })
    expect(fake.calls.size).toBe(3)
    expect(fake.requests.filter((r) => r.path === '/crm/v3/objects/calls/batch/create')).toHaveLength(1)
  })
})

describe('HubSpot errors and SDK quirks', () => {
  it('a 429 is retryable with the wait its policy implies, after exactly one request', async () => {
    const c = connect()
    fake.fault({
      match: (r) => r.path === '/crm/v3/objects/contacts/search',
      response: {
        status: 429,
        headers: {
          'x-hubspot-ratelimit-interval-milliseconds': '10000',
          'x-hubspot-ratelimit-max': '110',
          'x-hubspot-ratelimit-remaining': '0',
        },
        body: {
          status: 'error',
          message: 'You have reached your ten_secondly_rolling limit.',
          errorType: 'RATE_LIMIT',
          correlationId: 'c-1',
          policyName: 'TEN_SECONDLY_ROLLING',
        },
      },
    })
    const e = await c.lookupByPhone('+14155551212').catch((x: unknown) => x)
    expect(e).toMatchObject({
      code: 'rate_limited',
      retryable: true,
      retryAfterMs: 10_000,
      vendorCode: 'TEN_SECONDLY_ROLLING',
    })
    expect(fake.requests.filter((r) => r.path === '/crm/v3/objects/contacts/search')).toHaveLength(1)

    fake.fault({
      match: (r) => r.path === '/crm/v3/objects/contacts/search',
      response: {
        status: 429,
        headers: { 'retry-after': '3' },
        body: { status: 'error', message: 'You have reached your secondly limit.', correlationId: 'c-2' },
      },
    })
    expect(await c.lookupByPhone('+14155551212').catch((x: unknown) => x)).toMatchObject({
      retryAfterMs: 3000,
    })
  })

  it('keeps its own (no) retry policy when another client in the process asked the SDK for retries', async () => {
    const c = connect()
    // The SDK stores retry decorators in a process-wide singleton that each new Client overwrites.
    new Client({ accessToken: 'other-tenant', numberOfApiCallRetries: 3 })
    fake.fault({
      match: (r) => r.path === '/crm/v3/objects/contacts/search',
      times: 3,
      response: {
        status: 502,
        body: { status: 'error', message: 'Bad gateway', correlationId: 'c-3', category: 'BAD_GATEWAY' },
      },
    })
    const e = await c.lookupByPhone('+14155551212').catch((x: unknown) => x)
    expect(e).toMatchObject({ code: 'unavailable', retryable: true, status: 502 })
    expect(fake.requests.filter((r) => r.path === '/crm/v3/objects/contacts/search')).toHaveLength(1)
  })

  it("the SDK accepts only HubSpot's 201 for a create: a 200 is an error, not a silent success", async () => {
    const c = connect()
    await c.prepare()
    fake.fault({
      match: (r) => r.method === 'POST' && r.path === '/crm/v3/objects/calls',
      response: {
        status: 200,
        body: {
          id: '1',
          properties: {},
          createdAt: '2026-01-01T00:00:00Z',
          updatedAt: '2026-01-01T00:00:00Z',
          archived: false,
        },
      },
    })
    expect(await c.logCall(baseCall).catch((e: unknown) => e)).toMatchObject({
      code: 'invalid',
      status: 200,
      retryable: false,
    })
    const ok = await c.logCall(baseCall)
    expect(ok.created).toBe(true)
  })

  it('rejections of what we sent are not retryable; a trailing slash on the base URL is harmless', async () => {
    const t = fake.issueTokens()
    const c = new HubspotConnector({
      app,
      tokens: {
        accessToken: t.accessToken,
        refreshToken: t.refreshToken,
        expiresAt: now + 1_800_000,
        accountId: null,
        instanceUrl: null,
      },
      onTokens: () => {},
      now: () => now,
      baseUrl: `${fake.url}/`,
    })
    // Without prepare() the call-ref property does not exist: HubSpot refuses the write.
    const e = await c.logCall(baseCall).catch((x: unknown) => x)
    expect(e).toMatchObject({
      code: 'invalid',
      retryable: false,
      status: 400,
      vendorCode: 'VALIDATION_ERROR',
    })
    expect(fake.requests.every((r) => !r.path.startsWith('//'))).toBe(true)
    expect(await c.healthCheck()).toMatchObject({ ok: false, reauth: false })
    await c.prepare()
    await c.prepare()
    expect(await c.healthCheck()).toEqual({ ok: true, accountId: null })
  })
})

describe('HubSpot hostile answers', () => {
  const isSearch = (r: { path: string }) => r.path === '/crm/v3/objects/contacts/search'
  const isCreate = (r: { method: string; path: string }) =>
    r.method === 'POST' && r.path === '/crm/v3/objects/calls'

  it('malformed JSON on a 200 is a retryable failure, not a crash or an empty match', async () => {
    fake.fault({ match: isSearch, response: { status: 200, body: '{"total": 1, "results": [{"id": "9' } })
    const e = await connect()
      .lookupByPhone('+14155551212')
      .catch((x: unknown) => x)
    expect(e).toBeInstanceOf(ConnectorError)
    expect(e).toMatchObject({ code: 'unavailable', retryable: true })
  })

  it('a huge error body comes back as a short retryable error', async () => {
    const c = connect()
    await c.prepare()
    fake.fault({ match: isCreate, response: { status: 502, body: `<html>${'x'.repeat(8_000_000)}</html>` } })
    const e = await c.logCall(baseCall).catch((x: unknown) => x)
    expect(e).toMatchObject({ code: 'unavailable', retryable: true, status: 502 })
    expect((e as Error).message.length).toBeLessThan(1_000)
  })

  it('an answer slower than the timeout is a retryable failure', async () => {
    fake.fault({ match: isSearch, delayMs: 10_000 })
    const e = await connect({ timeoutMs: 300 })
      .lookupByPhone('+14155551212')
      .catch((x: unknown) => x)
    expect(e).toMatchObject({ code: 'unavailable', retryable: true })
  })
})
