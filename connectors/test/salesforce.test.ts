import type { CallActivityInput } from '@switchboard/shared'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { ConnectorSettingsInput, TokenSet } from '../src/contract.ts'
import { createPkcePair } from '../src/pkce.ts'
import { SalesforceConnector, salesforceDefinition } from '../src/salesforce/connector.ts'
import { type SalesforceFake, startSalesforceFake } from '../testing/salesforce-fake.ts'

const app = {
  clientId: 'sf-client',
  clientSecret: 'sf-secret',
  redirectUri: 'https://sb.example.com/oauth/salesforce',
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
  tags: ['vip'],
  comments: ['Asked about invoice 123'],
  recording_url: 'https://rec.example.com/812.mp3',
}

let fake: SalesforceFake
let saved: TokenSet[]

function connect(settings?: ConnectorSettingsInput, timeoutMs = 5_000) {
  const t = fake.issueTokens()
  return new SalesforceConnector({
    app,
    tokens: {
      accessToken: t.accessToken,
      refreshToken: t.refreshToken,
      expiresAt: null,
      accountId: '00D000000000001AAA',
      instanceUrl: t.instanceUrl,
    },
    onTokens: (x) => void saved.push(x),
    settings,
    authBaseUrl: fake.url,
    timeoutMs,
  })
}

beforeEach(async () => {
  fake = await startSalesforceFake()
  saved = []
})
afterEach(() => fake.close())

const apiRequests = () => fake.requests.filter((r) => r.path.startsWith('/services/data/'))

describe('Salesforce OAuth', () => {
  it('authorizes on the login URL and exchanges the code for tokens naming the org and its instance', async () => {
    const url = new URL(salesforceDefinition.authorizationUrl(app, { state: 'st-9' }))
    expect(url.origin + url.pathname).toBe('https://login.salesforce.com/services/oauth2/authorize')
    expect(Object.fromEntries(url.searchParams)).toMatchObject({
      response_type: 'code',
      client_id: 'sf-client',
      redirect_uri: app.redirectUri,
      scope: 'api refresh_token',
      state: 'st-9',
    })
    fake.grantCode('c-1')
    const tokens = await salesforceDefinition.exchangeCode(app, 'c-1', { authBaseUrl: fake.url })
    expect(tokens).toMatchObject({ accountId: '00D000000000001AAA', instanceUrl: fake.url, expiresAt: null })
    expect(tokens.refreshToken).toMatch(/^5Aep/)
    const bad = await salesforceDefinition
      .exchangeCode(app, 'c-1', { authBaseUrl: fake.url })
      .catch((e: unknown) => e)
    expect(bad).toMatchObject({ code: 'reauth', vendorCode: 'invalid_grant', retryable: false })
  })

  it('sends a PKCE challenge and proves the verifier when exchanging the code', async () => {
    const { codeVerifier, codeChallenge } = createPkcePair()
    const url = new URL(salesforceDefinition.authorizationUrl(app, { state: 'st-p', codeChallenge }))
    expect(url.searchParams.get('code_challenge')).toBe(codeChallenge)
    expect(url.searchParams.get('code_challenge_method')).toBe('S256')
    fake.grantCode('c-p', { codeChallenge })
    const wrong = await salesforceDefinition
      .exchangeCode(app, 'c-p', { authBaseUrl: fake.url, codeVerifier: createPkcePair().codeVerifier })
      .catch((e: unknown) => e)
    expect(wrong).toMatchObject({ code: 'reauth', vendorCode: 'invalid_grant' })
    fake.grantCode('c-p2', { codeChallenge })
    const tokens = await salesforceDefinition.exchangeCode(app, 'c-p2', {
      authBaseUrl: fake.url,
      codeVerifier,
    })
    expect(tokens.accessToken).toMatch(/^00D/)
    expect(new URLSearchParams(fake.requests.at(-1)!.rawBody).get('code_verifier')).toBe(codeVerifier)
  })

  it('revoke ends the refresh token and its sessions; revoking again is harmless', async () => {
    const c = connect()
    await c.lookupByPhone('+14155551212')
    await c.revoke()
    expect(fake.requests.at(-1)!.path).toBe('/services/oauth2/revoke')
    expect(fake.revoked).toHaveLength(1)
    const after = await c.lookupByPhone('+14155551212').catch((e: unknown) => e)
    expect(after).toMatchObject({ code: 'reauth' })
    await c.revoke()
    expect(fake.revoked).toHaveLength(1)
  })

  it('keeps the rotated refresh token, so the second expiry refreshes too', async () => {
    fake.rotateRefreshTokens = true
    const c = connect()
    fake.expireSessions()
    await c.lookupByPhone('+14155551212')
    expect(saved).toHaveLength(1)
    fake.expireSessions()
    await c.lookupByPhone('+14155551212')
    expect(saved).toHaveLength(2)
    expect(saved[1]!.refreshToken).not.toBe(saved[0]!.refreshToken)
    expect(saved[1]!.instanceUrl).toBe(fake.url)
    expect(fake.requests.filter((r) => r.path === '/services/oauth2/token')).toHaveLength(2)
  })

  it('a refused refresh token asks for a reconnect, not a retry', async () => {
    const c = connect()
    fake.expireSessions()
    fake.revokeRefreshTokens()
    const e = await c.findActivity('sb-call-1').catch((x: unknown) => x)
    expect(e).toMatchObject({ code: 'reauth', reauth: true, retryable: false, vendorCode: 'invalid_grant' })
    expect(await c.healthCheck()).toMatchObject({ ok: false, reauth: true })
  })
})

describe('Salesforce caller lookup', () => {
  it('searches bare digits over phone fields and ranks Contact > Lead > Account, newest first', async () => {
    const acct = fake.add('Account', { Name: 'Acme', Phone: '+1 (415) 555-1212' })
    const lead = fake.add('Lead', { LastName: 'Lead', Company: 'X', MobilePhone: '415-555-1212' })
    fake.add('Lead', { LastName: 'Converted', Company: 'X', Phone: '4155551212', IsConverted: true })
    const oldContact = fake.add(
      'Contact',
      { LastName: 'Old', Phone: '(415) 555-1212', AccountId: acct },
      '2025-01-01T00:00:00.000Z',
    )
    const newContact = fake.add(
      'Contact',
      { LastName: 'New', HomePhone: '+14155551212' },
      '2026-05-01T00:00:00.000Z',
    )
    fake.add('Contact', { LastName: 'Longer', Phone: '+1 415 555 12123' })

    const found = await connect().lookupByPhone('+14155551212')
    expect(found.map((r) => [r.type, r.id])).toEqual([
      ['contact', newContact],
      ['contact', oldContact],
      ['lead', lead],
      ['account', acct],
    ])
    expect(found[1]).toMatchObject({
      accountId: acct,
      url: `${fake.url}/lightning/r/Contact/${oldContact}/view`,
    })

    // The card's details: the contact's account name and owner, the lead's company.
    const owner = fake.add('User', { Name: 'Olga Owner', Email: 'olga@acme.test', IsActive: true })
    const owned = fake.add('Contact', {
      LastName: 'Owned',
      Phone: '4155551212',
      AccountId: acct,
      OwnerId: owner,
    })
    const again = await connect().lookupByPhone('+14155551212')
    expect(again.find((r) => r.id === owned)).toMatchObject({ company: 'Acme', owner: 'Olga Owner' })
    expect(again.find((r) => r.id === lead)).toMatchObject({ company: 'X', owner: null })
    expect(again.find((r) => r.id === acct)).toMatchObject({ company: null })

    // '+' and '-' are SOSL operators: the query carries digits only, on the pinned API version.
    const search = apiRequests().at(-1)!
    expect(search.path).toBe('/services/data/v67.0/search')
    expect(search.query.get('q')).toMatch(/^FIND \{4155551212\} IN PHONE FIELDS RETURNING Contact\(/)
  })

  it('looks many numbers up in one SOSL (terms joined by OR), each ranked on its own', async () => {
    const ann = fake.add('Contact', { LastName: 'Ann', Phone: '(415) 555-0101' })
    const lead = fake.add('Lead', { LastName: 'Lee', Company: 'X', MobilePhone: '415-555-0102' })
    fake.add('Contact', { LastName: 'Near', Phone: '(415) 555-0109' })
    const numbers = Array.from({ length: 25 }, (_, i) => `+1415555${String(100 + i).padStart(4, '0')}`)
    const before = apiRequests().length

    const found = await connect().lookupMany!(numbers)
    expect(found.get('+14155550101')!.map((r) => r.id)).toEqual([ann])
    expect(found.get('+14155550102')!.map((r) => [r.type, r.id])).toEqual([['lead', lead]])
    expect(found.get('+14155550103')).toEqual([])
    expect(found.get('+14155550124')).toEqual([])
    // 25 numbers: two searches of at most 20, digits only.
    const searches = apiRequests().slice(before)
    expect(searches).toHaveLength(2)
    expect(searches[0]!.query.get('q')).toMatch(
      /^FIND \{4155550100 OR 4155550101 OR .* OR 4155550119\} IN PHONE FIELDS/,
    )
  })

  it('creates a Contact, a Lead or an Account for an unknown number, as the policy says', async () => {
    expect(await connect().createContact({ e164: '+14155550199' })).toBeNull()
    const contact = await connect({ unknownNumber: 'contact' }).createContact({
      e164: '+14155550199',
      name: 'Grace Hopper',
    })
    const lead = await connect({ unknownNumber: 'lead' }).createContact({ e164: '+14155550198' })
    const account = await connect({ unknownNumber: 'account' }).createContact({ e164: '+14155550197' })
    expect(fake.records.get(contact!.id)).toMatchObject({
      type: 'Contact',
      FirstName: 'Grace',
      LastName: 'Hopper',
      Phone: '+14155550199',
    })
    expect(fake.records.get(lead!.id)).toMatchObject({
      type: 'Lead',
      LastName: 'Switchboard new contact',
      Company: 'Unknown',
    })
    expect(fake.records.get(account!.id)).toMatchObject({ type: 'Account', Name: '+14155550197' })
    expect((await connect().lookupByPhone('+14155550198')).map((r) => r.id)).toEqual([lead!.id])
  })
})

describe('Salesforce call logging', () => {
  it('writes a call Task on the contact and its account, owned by the agent', async () => {
    const acct = fake.add('Account', { Name: 'Acme' })
    const contact = fake.add('Contact', {
      LastName: 'Hopper',
      FirstName: 'Grace',
      Phone: '+14155551212',
      AccountId: acct,
    })
    const user = fake.add('User', { Email: 'ada@acme.test', IsActive: true, Name: 'Ada Lovelace' })
    const logged = await connect().logCall(baseCall, {
      record: { id: contact, type: 'contact', accountId: acct, name: 'Grace Hopper' },
    })
    expect(logged.created).toBe(true)
    expect(fake.records.get(logged.id)).toMatchObject({
      Subject: 'Inbound answered call from Grace Hopper on Support (+14155550100) answered by Ada Lovelace',
      TaskSubtype: 'Call',
      Type: 'Call',
      CallType: 'Inbound',
      CallDurationInSeconds: 95,
      CallDisposition: 'switchboard, vip, inbound, answered_call, 14155550100',
      CallObject: 'sb-call-812',
      Description: 'Asked about invoice 123\n\nTags: vip\n\nRecording: https://rec.example.com/812.mp3',
      WhoId: contact,
      WhatId: acct,
      ActivityDate: '2026-09-21',
      Status: 'Completed',
      OwnerId: user,
    })
  })

  it('logs on a lead without a related record, and maps tags to the call result and type', async () => {
    const lead = fake.add('Lead', { LastName: 'Lead', Company: 'X', Phone: '+14155551212' })
    const c = connect({
      tagOutcomes: { 'wrong number': 'Wrong number' },
      tagCallTypes: { demo: 'Demo' },
      taskStatus: { outbound_unanswered: 'Not Started' },
    })
    const logged = await c.logCall(
      {
        ...baseCall,
        direction: 'outbound',
        answered_at: null,
        tags: ['wrong number', 'demo'],
        recording_url: null,
      },
      { record: { id: lead, type: 'lead', accountId: 'should-not-be-used' } },
    )
    expect(fake.records.get(logged.id)).toMatchObject({
      Subject: 'Outbound unanswered call via Support (+14155550100) made by Ada Lovelace to +14155551212',
      CallType: 'Outbound',
      CallDurationInSeconds: 0,
      CallDisposition: 'Wrong number',
      Type: 'Demo',
      Status: 'Not Started',
      WhoId: lead,
    })
    expect(fake.records.get(logged.id)!.WhatId).toBeUndefined()
  })

  it('updates a logged Task without resending the create-only TaskSubtype, and appends the voicemail link once', async () => {
    const c = connect()
    const first = await c.logCall({ ...baseCall, ended_at: null })
    const again = await c.logCall(
      { ...baseCall, comments: ['Asked about invoice 123', 'Call back'] },
      { activityId: first.id },
    )
    expect(again).toMatchObject({ id: first.id, created: false })
    expect(fake.records.get(first.id)!.Description).toContain('Call back')
    await c.attachMedia(first.id, { voicemailUrl: 'https://rec.example.com/vm.mp3' })
    await c.attachMedia(first.id, { voicemailUrl: 'https://rec.example.com/vm.mp3' })
    expect(String(fake.records.get(first.id)!.Description).match(/Voicemail: /g)).toHaveLength(1)
    expect(fake.tasks()).toHaveLength(1)
  })

  it('a create retried after the connection died mid-write finds the Task instead of writing a second', async () => {
    const c = connect()
    fake.fault({
      match: (r) => r.method === 'POST' && r.path.endsWith('/sobjects/Task'),
      dropAfterHandling: true,
    })
    const lost = await c.logCall(baseCall).catch((e: unknown) => e)
    expect(lost).toMatchObject({ code: 'unavailable', retryable: true })
    expect(fake.tasks()).toHaveLength(1)

    const retried = await c.logCall(baseCall, { mayExist: true })
    expect(retried).toMatchObject({ id: fake.tasks()[0]!.Id, created: false })
    expect(fake.tasks()).toHaveLength(1)
    expect(await c.findActivity("o'brien-1")).toBeNull()
  })

  it('batches Tasks through sObject Collections, reporting each refused one', async () => {
    const lead = fake.add('Lead', { LastName: 'L', Company: 'X' })
    const results = await connect().logCalls([
      { call: { ...baseCall, call_ref: 'b1' } },
      { call: { ...baseCall, call_ref: 'b2' }, record: { id: '003000000000999AAA', type: 'contact' } },
      { call: { ...baseCall, call_ref: 'b3' }, record: { id: lead, type: 'lead' } },
    ])
    expect(results.map((r) => [r.callRef, r.ok])).toEqual([
      ['b1', true],
      ['b2', false],
      ['b3', true],
    ])
    expect(results[1]).toMatchObject({
      error: { code: 'invalid', vendorCode: 'INVALID_CROSS_REFERENCE_KEY', retryable: false },
    })
    expect(apiRequests().filter((r) => r.path === '/services/data/v67.0/composite/sobjects')).toHaveLength(1)
    expect(fake.tasks()).toHaveLength(2)
  })
})

describe('Salesforce errors', () => {
  it('a 503 on a search comes back retryable after one request (jsforce would retry for 15 s)', async () => {
    fake.fault({
      match: (r) => r.path.endsWith('/search'),
      times: 6,
      response: { status: 503, body: 'Service Unavailable' },
    })
    const e = await connect()
      .lookupByPhone('+14155551212')
      .catch((x: unknown) => x)
    expect(e).toMatchObject({ code: 'unavailable', retryable: true, status: 503 })
    expect(fake.requests.filter((r) => r.path.endsWith('/search'))).toHaveLength(1)
  })

  it('the daily API limit is retryable; a refused write is not', async () => {
    fake.fault({
      match: (r) => r.path.endsWith('/query'),
      response: {
        status: 403,
        body: [{ message: 'TotalRequests Limit exceeded.', errorCode: 'REQUEST_LIMIT_EXCEEDED' }],
      },
    })
    expect(
      await connect()
        .findActivity('x')
        .catch((e: unknown) => e),
    ).toMatchObject({ code: 'rate_limited', retryable: true })
    fake.callCenter = false
    const e = await connect()
      .logCall(baseCall)
      .catch((x: unknown) => x)
    expect(e).toMatchObject({ code: 'invalid', retryable: false, vendorCode: 'INVALID_FIELD' })
    expect(await connect().healthCheck()).toMatchObject({
      ok: false,
      reauth: false,
      reason: expect.stringContaining('CallType'),
    })
    fake.callCenter = true
    expect(await connect().healthCheck()).toEqual({ ok: true, accountId: '00D000000000001AAA' })
  })
})

describe('Salesforce hostile answers', () => {
  const isSearch = (r: { path: string }) => r.path.endsWith('/search')

  it('malformed JSON on a 200 is a retryable failure, not a crash or an empty match', async () => {
    fake.fault({ match: isSearch, response: { status: 200, body: '{"searchRecords": [{"attributes": ' } })
    const e = await connect()
      .lookupByPhone('+14155551212')
      .catch((x: unknown) => x)
    expect(e).toMatchObject({ name: 'ConnectorError', code: 'unavailable', retryable: true })
  })

  it('a huge error body comes back as a short retryable error', async () => {
    fake.fault({ match: isSearch, response: { status: 503, body: `<html>${'x'.repeat(8_000_000)}</html>` } })
    const e = await connect()
      .lookupByPhone('+14155551212')
      .catch((x: unknown) => x)
    expect(e).toMatchObject({ name: 'ConnectorError', code: 'unavailable', retryable: true })
    expect((e as Error).message.length).toBeLessThan(1_000)
  })

  it('an answer slower than the timeout is a retryable failure', async () => {
    fake.fault({ match: isSearch, delayMs: 10_000 })
    const e = await connect(undefined, 300)
      .lookupByPhone('+14155551212')
      .catch((x: unknown) => x)
    expect(e).toMatchObject({ name: 'ConnectorError', code: 'unavailable', retryable: true })
  })
})
