import type { CallActivityInput } from '@switchboard/shared'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { ConnectorSettingsInput, TokenSet } from '../src/contract.ts'
import { ZendeskConnector, zendeskDefinition } from '../src/zendesk/connector.ts'
import { startZendeskFake, type ZendeskFake } from '../testing/zendesk-fake.ts'

const app = {
  clientId: 'zd-client',
  clientSecret: 'zd-secret',
  redirectUri: 'https://sb.example.com/oauth/zendesk',
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
  tags: ['Follow up'],
  comments: ['Asked about invoice 123'],
  recording_url: 'https://rec.example.com/812.mp3',
}

let fake: ZendeskFake
let saved: TokenSet[]
let now: number

function connect(opts: { settings?: ConnectorSettingsInput; baseUrl?: string; timeoutMs?: number } = {}) {
  const t = fake.issueTokens()
  return new ZendeskConnector({
    app,
    tokens: {
      accessToken: t.accessToken,
      refreshToken: t.refreshToken,
      expiresAt: now + 1_800_000,
      accountId: 'acme',
      instanceUrl: 'https://acme.zendesk.com',
    },
    onTokens: (x) => void saved.push(x),
    settings: opts.settings,
    now: () => now,
    baseUrl: opts.baseUrl ?? fake.url,
    authBaseUrl: fake.url,
    timeoutMs: opts.timeoutMs ?? 5_000,
  })
}

beforeEach(async () => {
  fake = await startZendeskFake()
  saved = []
  now = Date.UTC(2026, 11, 6, 10)
})
afterEach(() => fake.close())

describe('Zendesk OAuth', () => {
  it("authorizes on the account's own host and exchanges the code", async () => {
    const url = new URL(
      zendeskDefinition.authorizationUrl(app, { state: 's', authBaseUrl: 'https://acme.zendesk.com/' }),
    )
    expect(url.origin + url.pathname).toBe('https://acme.zendesk.com/oauth/authorizations/new')
    expect(url.searchParams.get('scope')).toBe('read write')
    fake.grantCode('zc')
    const t = await zendeskDefinition.exchangeCode(app, 'zc', { authBaseUrl: fake.url, now: () => now })
    expect(t).toMatchObject({ expiresAt: now + 1_800_000, instanceUrl: fake.url })
    expect(
      await zendeskDefinition.exchangeCode(app, 'zc', { authBaseUrl: fake.url }).catch((e: unknown) => e),
    ).toMatchObject({
      code: 'reauth',
      vendorCode: 'invalid_grant',
    })
  })

  it('follows refresh-token rotation across two expiries', async () => {
    const c = connect()
    fake.expireAccessTokens()
    await c.lookupByPhone('+14155551212')
    fake.expireAccessTokens()
    await c.lookupByPhone('+14155551212')
    expect(saved).toHaveLength(2)
    expect(saved[1]!.refreshToken).not.toBe(saved[0]!.refreshToken)
    expect(saved[1]!.instanceUrl).toBe('https://acme.zendesk.com')
  })
})

describe('Zendesk revoke', () => {
  it('deletes the current token, refreshing an expired one first; the pair no longer works', async () => {
    const c = connect()
    fake.expireAccessTokens()
    await c.revoke()
    expect(saved).toHaveLength(1)
    expect(fake.revoked).toEqual([saved[0]!.accessToken])
    expect(fake.requests.at(-1)).toMatchObject({
      method: 'DELETE',
      path: '/api/v2/oauth/tokens/current.json',
    })
    expect(await c.healthCheck()).toMatchObject({ ok: false, reauth: true })
    await c.revoke()
    expect(fake.revoked).toHaveLength(1)
  })
})

describe('Zendesk caller lookup', () => {
  it('searches digits without the + and with a leading * so other stored formats match', async () => {
    const older = fake.addUser({ name: 'Old', phone: '(415) 555-1212', updated_at: '2025-01-01T00:00:00Z' })
    const newer = fake.addUser({ name: 'New', phone: '+1 415.555.1212', updated_at: '2026-01-01T00:00:00Z' })
    fake.addUser({ name: 'Agent', phone: '+14155551212', role: 'agent' })
    const found = await connect().lookupByPhone('+14155551212')
    expect(found.map((r) => r.id)).toEqual([String(newer), String(older)])
    expect(found[0]).toMatchObject({ type: 'contact', url: `https://acme.zendesk.com/agent/users/${newer}` })
    const q = fake.requests.find((r) => r.path === '/api/v2/search.json')!.query.get('query')
    expect(q).toBe('role:end-user phone:*4155551212')

    const created = await connect({ settings: { unknownNumber: 'contact' } }).createContact({
      e164: '+14155550199',
    })
    expect(fake.users.get(Number(created!.id))).toMatchObject({
      name: 'Caller +14155550199',
      phone: '+14155550199',
      role: 'end-user',
    })
  })
})

describe('Zendesk call logging (Talk Partner Edition)', () => {
  it('creates a voice ticket with the call as its voice comment and the comments as a private note', async () => {
    const requester = fake.addUser({ name: 'Grace Hopper', phone: '+14155551212' })
    const agent = fake.addUser({ name: 'Ada', email: 'ada@acme.test', role: 'agent' })
    const logged = await connect().logCall(baseCall, {
      record: { id: String(requester), type: 'contact', name: 'Grace Hopper' },
    })
    const t = fake.tickets.get(Number(logged.id))!
    expect(
      fake.requests.some((r) => r.method === 'POST' && r.path === '/api/v2/channels/voice/tickets.json'),
    ).toBe(true)
    expect(t).toMatchObject({
      via_id: 45,
      subject: 'Inbound answered call from Grace Hopper on Support (+14155550100) answered by Ada Lovelace',
      external_id: 'sb-call-812',
      requester_id: requester,
      tags: ['switchboard', 'inbound_answered', 'follow_up'],
    })
    expect(t.comments).toEqual([
      {
        public: false,
        voice: {
          from: '+14155551212',
          to: '+14155550100',
          recording_url: 'https://rec.example.com/812.mp3',
          started_at: '2026-09-21T14:13:20.000Z',
          call_duration: 95,
          answered_by_id: agent,
        },
      },
      {
        body: 'Asked about invoice 123\n\nTags: Follow up\n\nRecording: https://rec.example.com/812.mp3',
        public: false,
      },
    ])
  })

  it('marks voicemails and outbound calls with their via_id', async () => {
    const c = connect()
    const vm = await c.logCall({
      ...baseCall,
      call_ref: 'vm',
      answered_at: null,
      voicemail: true,
      recording_url: null,
      voicemail_url: 'https://rec.example.com/vm.mp3',
    })
    const out = await c.logCall({ ...baseCall, call_ref: 'out', direction: 'outbound' })
    expect(fake.tickets.get(Number(vm.id))!.via_id).toBe(44)
    expect(fake.tickets.get(Number(out.id))!.via_id).toBe(46)
  })

  it('a create retried after the connection died mid-write finds the ticket by external_id', async () => {
    const c = connect()
    fake.fault({ match: (r) => r.path === '/api/v2/channels/voice/tickets.json', dropAfterHandling: true })
    expect(await c.logCall(baseCall).catch((e: unknown) => e)).toMatchObject({
      code: 'unavailable',
      retryable: true,
    })
    expect(fake.tickets.size).toBe(1)
    const retried = await c.logCall({ ...baseCall, comments: ['Call back Friday'] }, { mayExist: true })
    expect(retried.created).toBe(false)
    expect(fake.tickets.size).toBe(1)
    expect(fake.tickets.get(Number(retried.id))!.comments.at(-1)).toMatchObject({
      body: expect.stringContaining('Call back Friday'),
      public: false,
    })
    expect(await c.findActivity('nope')).toBeNull()
  })
})

describe('Zendesk errors and client quirks', () => {
  it('a 429 that node-zendesk resolves instead of throwing still comes back as a retryable error', async () => {
    fake.fault({
      match: (r) => r.path === '/api/v2/search.json',
      response: {
        status: 429,
        headers: { 'retry-after': '7' },
        body: { error: 'TooManyRequests', description: 'Rate limit exceeded' },
      },
    })
    expect(
      await connect()
        .lookupByPhone('+14155551212')
        .catch((e: unknown) => e),
    ).toMatchObject({
      code: 'rate_limited',
      retryable: true,
      retryAfterMs: 7000,
    })
    fake.fault({
      match: (r) => r.path === '/api/v2/search.json',
      response: { status: 502, body: '<html>Bad Gateway</html>' },
    })
    expect(
      await connect()
        .lookupByPhone('+14155551212')
        .catch((e: unknown) => e),
    ).toMatchObject({ code: 'unavailable', status: 502 })
  })

  it('no Talk Partner Edition is a non-retryable refusal; a trailing slash on the base URL is harmless', async () => {
    fake.talkPartnerEdition = false
    const c = connect({ baseUrl: `${fake.url}/` })
    expect(await c.logCall(baseCall).catch((e: unknown) => e)).toMatchObject({
      code: 'forbidden',
      retryable: false,
      status: 403,
    })
    expect(fake.requests.every((r) => !r.path.includes('//'))).toBe(true)
    expect(await c.healthCheck()).toEqual({ ok: true, accountId: 'acme' })
    const bad = await c
      .logCall({ ...baseCall }, { record: { id: '999999', type: 'contact' } })
      .catch((e: unknown) => e)
    expect(bad).toMatchObject({ code: 'forbidden' })
    fake.talkPartnerEdition = true
    expect(
      await c.logCall(baseCall, { record: { id: '999999', type: 'contact' } }).catch((e: unknown) => e),
    ).toMatchObject({
      code: 'invalid',
      vendorCode: 'RecordInvalid',
      retryable: false,
    })
  })
})

describe('Zendesk hostile answers', () => {
  const isSearch = (r: { path: string }) => r.path === '/api/v2/search.json'
  const isCreate = (r: { path: string }) => r.path === '/api/v2/channels/voice/tickets.json'

  it('malformed JSON on a 200 is a retryable failure, not a crash or an empty match', async () => {
    fake.fault({ match: isSearch, response: { status: 200, body: '{"results": [{"id": 5' } })
    const e = await connect()
      .lookupByPhone('+14155551212')
      .catch((x: unknown) => x)
    expect(e).toMatchObject({ name: 'ConnectorError', code: 'unavailable', retryable: true })
  })

  it('a huge error body comes back as a short retryable error', async () => {
    fake.fault({ match: isCreate, response: { status: 502, body: `<html>${'x'.repeat(8_000_000)}</html>` } })
    const e = await connect()
      .logCall(baseCall)
      .catch((x: unknown) => x)
    expect(e).toMatchObject({ name: 'ConnectorError', code: 'unavailable', retryable: true, status: 502 })
    expect((e as Error).message.length).toBeLessThan(1_000)
  })

  it('an answer slower than the timeout is a retryable failure', async () => {
    fake.fault({ match: isSearch, delayMs: 10_000 })
    const e = await connect({ timeoutMs: 300 })
      .lookupByPhone('+14155551212')
      .catch((x: unknown) => x)
    expect(e).toMatchObject({ name: 'ConnectorError', code: 'unavailable', retryable: true })
  })
})
