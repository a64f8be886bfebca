import type { CallActivityInput } from '@switchboard/shared'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { ConnectorSettingsInput, TokenSet } from '../src/contract.ts'
import { DynamicsConnector, dynamicsDefinition } from '../src/dynamics/connector.ts'
import { createPkcePair } from '../src/pkce.ts'
import { connectorFor } from '../src/registry.ts'
import { type DynamicsFake, type DynamicsFakeOptions, startDynamicsFake } from '../testing/dynamics-fake.ts'

const app = {
  clientId: 'dyn-client',
  clientSecret: 'dyn-secret',
  redirectUri: 'https://sb.example.com/v1/integrations/oauth/callback',
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

let fake: DynamicsFake
let saved: TokenSet[]
let now: number

async function start(opts: DynamicsFakeOptions = {}) {
  fake = await startDynamicsFake({ now: () => now, ...opts })
}

function connect(
  opts: { settings?: ConnectorSettingsInput; tokens?: Partial<TokenSet>; timeoutMs?: number } = {},
) {
  const t = fake.issueTokens()
  return new DynamicsConnector({
    app,
    tokens: {
      accessToken: t.accessToken,
      refreshToken: t.refreshToken,
      expiresAt: now + 3_600_000,
      accountId: fake.organizationId,
      instanceUrl: fake.orgUrl,
      ...opts.tokens,
    },
    onTokens: (x) => void saved.push(x),
    settings: opts.settings,
    now: () => now,
    authBaseUrl: fake.url,
    timeoutMs: opts.timeoutMs ?? 5_000,
  })
}

beforeEach(async () => {
  now = Date.UTC(2026, 11, 6, 10)
  saved = []
  await start()
})
afterEach(() => fake.close())

const web = () => fake.requests.filter((r) => r.path.startsWith('/api/data/v9.2/'))
const tokenRequests = () => fake.requests.filter((r) => r.path.endsWith('/oauth2/v2.0/token'))
const calls = () => fake.phonecalls()

describe('Dynamics OAuth (Microsoft Entra, MSAL)', () => {
  it('sends the admin to Entra with the org scope and PKCE, then exchanges the code for tokens of that org', async () => {
    expect(connectorFor('dynamics')).toBe(dynamicsDefinition)
    const { codeVerifier, codeChallenge } = createPkcePair()
    const url = new URL(
      dynamicsDefinition.authorizationUrl(app, { state: 'st-1', instanceUrl: fake.orgUrl, codeChallenge }),
    )
    expect(
      `${
        new URL(
          dynamicsDefinition.authorizationUrl(app, {
            state: 's',
            instanceUrl: 'contoso.crm4.dynamics.com/main.aspx',
          }),
        ).origin
      }`,
    ).toBe('https://login.microsoftonline.com')
    expect(url.pathname).toBe('/organizations/oauth2/v2.0/authorize')
    expect(url.searchParams.get('scope')).toBe(`${fake.orgUrl}/.default offline_access openid profile`)
    expect(url.searchParams.get('code_challenge_method')).toBe('S256')

    // The fake's authorize endpoint approves at once, as a sandbox would.
    const authorize = new URL(`${fake.url}${url.pathname}${url.search}`)
    const redirect = await fetch(authorize, { redirect: 'manual' })
    expect(redirect.status).toBe(302)
    const back = new URL(redirect.headers.get('location')!)
    expect(back.origin + back.pathname).toBe(app.redirectUri)
    expect(back.searchParams.get('state')).toBe('st-1')
    const code = back.searchParams.get('code')!

    const tokens = await dynamicsDefinition.exchangeCode(app, code, {
      now: () => now,
      authBaseUrl: fake.url,
      instanceUrl: fake.orgUrl,
      codeVerifier,
    })
    expect(tokens).toMatchObject({ instanceUrl: fake.orgUrl, accountId: fake.organizationId })
    expect(tokens.refreshToken).toMatch(/^0\.ARoA/)
    expect(tokens.expiresAt).toBeGreaterThan(now + 3_000_000)
    const form = new URLSearchParams(tokenRequests().at(-1)!.rawBody)
    expect(form.get('grant_type')).toBe('authorization_code')
    expect(form.get('code_verifier')).toBe(codeVerifier)

    // A code is redeemed once; a code whose verifier does not match is refused.
    const again = await dynamicsDefinition
      .exchangeCode(app, code, { authBaseUrl: fake.url, instanceUrl: fake.orgUrl, codeVerifier })
      .catch((e: unknown) => e)
    expect(again).toMatchObject({ code: 'reauth', retryable: false, vendorCode: 'invalid_grant' })
    const other = new URL(
      (await fetch(authorize, { redirect: 'manual' })).headers.get('location')!,
    ).searchParams.get('code')!
    const wrong = await dynamicsDefinition
      .exchangeCode(app, other, {
        authBaseUrl: fake.url,
        instanceUrl: fake.orgUrl,
        codeVerifier: createPkcePair().codeVerifier,
      })
      .catch((e: unknown) => e)
    expect(wrong).toMatchObject({ code: 'reauth', vendorCode: 'invalid_grant' })
  })

  it('refuses an org URL that is not a Dynamics host, so tokens never go elsewhere', () => {
    for (const instanceUrl of [
      'https://evil.example.com',
      'http://contoso.crm.dynamics.com',
      'https://dynamics.com.evil.io',
    ])
      expect(() => dynamicsDefinition.authorizationUrl(app, { state: 's', instanceUrl })).toThrow(
        /Not a Dynamics 365 org URL/,
      )
    expect(() => connect({ tokens: { instanceUrl: 'https://attacker.example.com' } })).toThrow(
      /Not a Dynamics 365 org URL/,
    )
  })

  it('a denied consent comes back to the redirect URI as an error, without a code', async () => {
    fake.autoApprove = false
    const url = new URL(dynamicsDefinition.authorizationUrl(app, { state: 'st-2', instanceUrl: fake.orgUrl }))
    const res = await fetch(`${fake.url}${url.pathname}${url.search}`, { redirect: 'manual' })
    const back = new URL(res.headers.get('location')!)
    expect(back.searchParams.get('error')).toBe('access_denied')
    expect(back.searchParams.get('code')).toBeNull()
  })

  it('refreshes a token about to expire before calling, and reports the new set', async () => {
    const c = connect({ tokens: { expiresAt: now + 60_000 } })
    const before = fake.requests.length
    await c.lookupByPhone('+14155551212')
    expect(saved).toHaveLength(1)
    expect(saved[0]).toMatchObject({ instanceUrl: fake.orgUrl, accountId: fake.organizationId })
    expect(saved[0]!.refreshToken).toMatch(/^0\.ARoA/)
    const form = new URLSearchParams(tokenRequests().at(-1)!.rawBody)
    expect(form.get('grant_type')).toBe('refresh_token')
    expect(form.get('scope')).toContain(`${fake.orgUrl}/.default`)
    // The token request went first, then the two lookups with the new token.
    expect(fake.requests.slice(before).map((r) => r.path.split('/').at(-1))).toEqual([
      'token',
      'contacts',
      'leads',
    ])
  })

  it('a 401 gets one refresh and one retry; a refused refresh token asks for a reconnect', async () => {
    const c = connect()
    fake.expireAccessTokens()
    expect(await c.findActivity('sb-call-1')).toBeNull()
    expect(saved).toHaveLength(1)
    expect(tokenRequests()).toHaveLength(1)
    expect(web().map((r) => r.path)).toEqual(['/api/data/v9.2/phonecalls', '/api/data/v9.2/phonecalls'])

    fake.expireAccessTokens()
    fake.revokeRefreshTokens()
    const e = await c.findActivity('sb-call-1').catch((x: unknown) => x)
    expect(e).toMatchObject({ code: 'reauth', reauth: true, retryable: false, vendorCode: 'invalid_grant' })
    expect(await c.healthCheck()).toMatchObject({ ok: false, reauth: true })
  })

  it('health check is WhoAmI and names the organization', async () => {
    expect(await connect().healthCheck()).toEqual({ ok: true, accountId: fake.organizationId })
  })
})

describe('Dynamics caller lookup', () => {
  it('finds contacts then open leads whatever the number layout, and sends + as %2B', async () => {
    const old = fake.add(
      'contacts',
      { firstname: 'Old', lastname: 'Contact', telephone1: '+1 (415) 555-1212' },
      { modifiedon: '2025-01-01T00:00:00Z' },
    )
    const recent = fake.add(
      'contacts',
      { firstname: 'New', lastname: 'Contact', mobilephone: '+14155551212', emailaddress1: 'new@x.test' },
      { modifiedon: '2026-05-01T00:00:00Z' },
    )
    const home = fake.add(
      'contacts',
      { lastname: 'Home', telephone2: '415-555-1212' },
      { modifiedon: '2024-01-01T00:00:00Z' },
    )
    const lead = fake.add('leads', { lastname: 'Lead', subject: 'x', telephone1: '(415) 555-1212' })
    fake.add('leads', {
      lastname: 'Qualified',
      subject: 'x',
      telephone1: '4155551212',
      statecode: 1,
      statuscode: 3,
    })
    fake.add('contacts', { lastname: 'Same last digits', telephone1: '+1 212 555 1212' })
    fake.add('contacts', { lastname: 'Inactive', telephone1: '+14155551212', statecode: 1, statuscode: 2 })

    const found = await connect().lookupByPhone('+14155551212')
    expect(found.map((r) => [r.type, r.id])).toEqual([
      ['contact', recent],
      ['contact', old],
      ['contact', home],
      ['lead', lead],
    ])
    expect(found[0]).toMatchObject({
      name: 'New Contact',
      email: 'new@x.test',
      phone: '+14155551212',
      url: `${fake.orgUrl}/main.aspx?pagetype=entityrecord&etn=contact&id=${recent}`,
    })
    // A '+' sent unencoded would reach Dataverse as a space and match nothing.
    const filter = web()
      .find((r) => r.path.endsWith('/contacts'))!
      .query.get('$filter')!
    expect(filter).toContain("telephone1 eq '+14155551212'")
    expect(filter).toContain("endswith(mobilephone,'1212')")
  })

  it('creates a contact, a lead or an account for an unknown number, as the policy says', async () => {
    expect(await connect().createContact({ e164: '+14155550199' })).toBeNull()
    const contact = await connect({ settings: { unknownNumber: 'contact' } }).createContact({
      e164: '+14155550199',
      name: 'Grace Hopper',
    })
    const lead = await connect({ settings: { unknownNumber: 'lead' } }).createContact({
      e164: '+14155550198',
    })
    const account = await connect({ settings: { unknownNumber: 'account' } }).createContact({
      e164: '+14155550197',
    })
    expect(fake.rows.contacts.get(contact!.id)).toMatchObject({
      firstname: 'Grace',
      lastname: 'Hopper',
      telephone1: '+14155550199',
    })
    expect(fake.rows.leads.get(lead!.id)).toMatchObject({
      lastname: 'Switchboard new contact',
      subject: 'Call from +14155550198',
    })
    expect(fake.rows.accounts.get(account!.id)).toMatchObject({
      name: '+14155550197',
      telephone1: '+14155550197',
    })
    expect((await connect().lookupByPhone('+14155550198')).map((r) => r.id)).toEqual([lead!.id])
  })
})

describe('Dynamics call logging', () => {
  it('creates the phonecall open with every field, then completes it as Received', async () => {
    const contact = fake.add('contacts', {
      firstname: 'Grace',
      lastname: 'Hopper',
      telephone1: '+14155551212',
    })
    const user = fake.add('systemusers', {
      internalemailaddress: 'ada@acme.test',
      isdisabled: false,
      fullname: 'Ada Lovelace',
    })
    const logged = await connect().logCall(baseCall, {
      record: { id: contact, type: 'contact', name: 'Grace Hopper' },
    })
    expect(logged).toMatchObject({
      created: true,
      callRef: 'sb-call-812',
      record: { id: contact, type: 'contact' },
    })
    const [call] = calls()
    expect(call).toMatchObject({
      activityid: logged.id,
      subject: 'Inbound answered call from Grace Hopper on Support (+14155550100) answered by Ada Lovelace',
      description: 'Asked about invoice 123\n\nTags: vip\n\nRecording: https://rec.example.com/812.mp3',
      phonenumber: '+14155551212',
      directioncode: false,
      actualstart: '2026-09-21T14:13:20.000Z',
      actualend: '2026-09-21T14:15:00.000Z',
      actualdurationminutes: 2,
      leftvoicemail: false,
      subcategory: 'switchboard:sb-call-812',
      _regardingobjectid_value: contact,
      statecode: 1,
      statuscode: 4,
    })
    expect(call!.parties).toEqual([
      { participationtypemask: 1, partyType: 'contact', partyId: contact },
      { participationtypemask: 2, partyType: 'systemuser', partyId: user },
    ])
    const writes = web().filter((r) => r.method !== 'GET')
    expect(writes.map((r) => r.method)).toEqual(['POST', 'PATCH'])
    expect(JSON.parse(writes[0]!.rawBody)).not.toHaveProperty('statecode')
    expect(JSON.parse(writes[0]!.rawBody).directioncode).toBe(false)
    expect(JSON.parse(writes[1]!.rawBody)).toEqual({ statecode: 1, statuscode: 4 })
    expect(writes[1]!.headers['if-match']).toBe('*')
  })

  it('an outbound call on a lead is Made, outgoing, with the lead as the recipient', async () => {
    const lead = fake.add('leads', { lastname: 'Lead', subject: 'x' })
    const user = fake.add('systemusers', { internalemailaddress: 'ada@acme.test', isdisabled: false })
    const c = connect({ settings: { tagOutcomes: { 'wrong number': 'Wrong number' } } })
    const logged = await c.logCall(
      { ...baseCall, direction: 'outbound', answered_at: null, tags: ['wrong number'], recording_url: null },
      { record: { id: lead, type: 'lead' } },
    )
    expect(fake.rows.phonecalls.get(logged.id)).toMatchObject({
      subject: 'Outbound unanswered call via Support (+14155550100) made by Ada Lovelace to +14155551212',
      directioncode: true,
      actualdurationminutes: 0,
      category: 'Wrong number',
      statecode: 1,
      statuscode: 2,
    })
    expect(calls()[0]!.parties).toEqual([
      { participationtypemask: 2, partyType: 'lead', partyId: lead },
      { participationtypemask: 1, partyType: 'systemuser', partyId: user },
    ])
  })

  it('a call still running stays open; its final log writes the fields, then completes it', async () => {
    const c = connect()
    const live = await c.logCall({ ...baseCall, ended_at: null })
    expect(fake.rows.phonecalls.get(live.id)).toMatchObject({ statecode: 0, statuscode: 1 })
    await c.logCall({ ...baseCall, comments: ['Call back Tuesday'] }, { activityId: live.id })
    expect(fake.rows.phonecalls.get(live.id)).toMatchObject({
      statecode: 1,
      statuscode: 4,
      description: expect.stringContaining('Call back Tuesday'),
      actualend: '2026-09-21T14:15:00.000Z',
    })
    expect(calls()).toHaveLength(1)
  })

  it('updating a completed call reopens it, writes, and completes it again; media links are appended once', async () => {
    const c = connect()
    const first = await c.logCall({ ...baseCall, recording_url: null })
    expect(fake.rows.phonecalls.get(first.id)).toMatchObject({ statecode: 1 })

    const again = await c.logCall({ ...baseCall, comments: ['Edited later'] }, { activityId: first.id })
    expect(again).toMatchObject({ id: first.id, created: false })
    expect(fake.rows.phonecalls.get(first.id)).toMatchObject({
      statecode: 1,
      statuscode: 4,
      description: expect.stringContaining('Edited later'),
    })
    const patches = web()
      .filter((r) => r.method === 'PATCH')
      .slice(1)
      .map((r) => JSON.parse(r.rawBody))
    expect(patches[0]).toEqual({ statecode: 0, statuscode: 1 })
    expect(patches.at(-1)).toEqual({ statecode: 1, statuscode: 4 })

    await c.attachMedia(first.id, { voicemailUrl: 'https://rec.example.com/vm.mp3' })
    await c.attachMedia(first.id, { voicemailUrl: 'https://rec.example.com/vm.mp3' })
    const row = fake.rows.phonecalls.get(first.id)!
    expect(String(row.description).match(/Voicemail: /g)).toHaveLength(1)
    expect(row).toMatchObject({ statecode: 1, statuscode: 4 })
    expect(calls()).toHaveLength(1)
  })

  it('a create whose answer was lost is found by its call ref and completed, not written twice', async () => {
    const c = connect()
    fake.fault({
      match: (r) => r.method === 'POST' && r.path.endsWith('/phonecalls'),
      dropAfterHandling: true,
    })
    const lost = await c.logCall(baseCall).catch((e: unknown) => e)
    expect(lost).toMatchObject({ code: 'unavailable', retryable: true })
    expect(calls()).toHaveLength(1)
    expect(calls()[0]).toMatchObject({ statecode: 0 })

    const retried = await c.logCall(baseCall, { mayExist: true })
    expect(retried).toMatchObject({ id: calls()[0]!.activityid, created: false })
    expect(calls()).toHaveLength(1)
    expect(calls()[0]).toMatchObject({ statecode: 1, statuscode: 4 })
    expect(await c.findActivity("o'brien-1")).toBeNull()
  })

  it('an update of a record that is gone is an error (412 on If-Match), not a silent no-op', async () => {
    const c = connect()
    const missing = '0b0b0b0b-0000-4000-8000-000000000001'
    const e = await c.logCall(baseCall, { activityId: missing }).catch((x: unknown) => x)
    expect(e).toMatchObject({ code: 'not_found', status: 404, retryable: false })

    // Deleted between the read and the write: the PATCH answers 412.
    fake.fault({
      match: (r) => r.method === 'GET' && r.path.includes(`(${missing})`),
      response: { status: 200, body: { activityid: missing, statecode: 0, statuscode: 1 } },
    })
    const gone = await c
      .attachMedia(missing, { recordingUrl: 'https://rec.example.com/1.mp3' })
      .catch((x: unknown) => x)
    expect(gone).toMatchObject({ code: 'not_found', status: 412, retryable: false })
    expect(calls()).toHaveLength(0)
  })

  it('logs many calls one by one; a refused one is reported and the rest go on', async () => {
    const lead = fake.add('leads', { lastname: 'L', subject: 'x' })
    const results = await connect().logCalls([
      { call: { ...baseCall, call_ref: 'b1' } },
      {
        call: { ...baseCall, call_ref: 'b2' },
        record: { id: '0b0b0b0b-0000-4000-8000-000000000009', type: 'contact' },
      },
      { call: { ...baseCall, call_ref: 'b3' }, record: { id: lead, type: 'lead' } },
    ])
    expect(results.map((r) => [r.callRef, r.ok])).toEqual([
      ['b1', true],
      ['b2', false],
      ['b3', true],
    ])
    expect(results[1]).toMatchObject({ error: { code: 'invalid', status: 400, retryable: false } })
    expect(
      calls()
        .map((c) => c.subcategory)
        .sort(),
    ).toEqual(['switchboard:b1', 'switchboard:b3'])
  })
})

describe('Dynamics errors and limits', () => {
  it('service protection: a 429 is retryable after Retry-After, and the window frees up', async () => {
    await fake.close()
    await start({ requestLimit: 3, windowMs: 60_000 })
    const c = connect()
    await c.findActivity('a')
    now += 10_000
    await c.findActivity('b')
    await c.findActivity('c')
    const e = await c.findActivity('d').catch((x: unknown) => x)
    expect(e).toMatchObject({
      code: 'rate_limited',
      retryable: true,
      status: 429,
      vendorCode: '0x80072322',
      retryAfterMs: 50_000,
    })
    const results = await c.logCalls([
      { call: { ...baseCall, call_ref: 'r1' } },
      { call: { ...baseCall, call_ref: 'r2' } },
    ])
    expect(results.map((r) => (r.ok ? 'ok' : r.error.code))).toEqual(['rate_limited', 'rate_limited'])
    now += 60_000
    expect(await c.findActivity('e')).toBeNull()
  })

  it('5xx is retryable; 403 and validation errors are not', async () => {
    const c = connect()
    fake.fault({
      match: (r) => r.path.endsWith('/contacts'),
      response: { status: 503, body: { error: { code: '0x80040216', message: 'Service unavailable' } } },
    })
    expect(await c.lookupByPhone('+14155551212').catch((e: unknown) => e)).toMatchObject({
      code: 'unavailable',
      retryable: true,
      status: 503,
    })
    fake.fault({
      match: (r) => r.method === 'POST',
      response: {
        status: 403,
        body: {
          error: { code: '0x80040220', message: 'Principal user is missing prvCreateActivity privilege' },
        },
      },
    })
    expect(await c.logCall(baseCall).catch((e: unknown) => e)).toMatchObject({
      code: 'forbidden',
      retryable: false,
      vendorCode: '0x80040220',
    })
    const bad = await c
      .logCall(baseCall, { record: { id: '0b0b0b0b-0000-4000-8000-000000000009', type: 'contact' } })
      .catch((e: unknown) => e)
    expect(bad).toMatchObject({ code: 'invalid', retryable: false, status: 400 })
    expect(calls()).toHaveLength(0)
  })

  it('the fake refuses what Dataverse refuses: statecode on create, edits of a completed call', async () => {
    const { accessToken } = fake.issueTokens()
    const post = (path: string, method: string, body: unknown) =>
      fetch(`${fake.url}/api/data/v9.2/${path}`, {
        method,
        headers: { authorization: `Bearer ${accessToken}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      })
    const created = await post('phonecalls', 'POST', { subject: 'x', statecode: 1, statuscode: 4 })
    expect(created.status).toBe(400)
    expect(await created.json()).toMatchObject({ error: { message: expect.stringContaining('statecode') } })
    const logged = await connect().logCall(baseCall)
    const edit = await post(`phonecalls(${logged.id})`, 'PATCH', { subject: 'changed' })
    expect(edit.status).toBe(400)
    expect(fake.rows.phonecalls.get(logged.id)!.subject).not.toBe('changed')
  })

  it('hostile answers become retryable errors: malformed JSON, a huge body, an answer past the timeout', async () => {
    const c = connect({ timeoutMs: 300 })
    fake.fault({
      match: (r) => r.path.endsWith('/contacts'),
      response: {
        status: 200,
        headers: { 'content-type': 'application/json; odata.metadata=minimal' },
        body: '{"value":[{"contactid":',
      },
    })
    expect(await c.lookupByPhone('+14155551212').catch((e: unknown) => e)).toMatchObject({
      code: 'unavailable',
      retryable: true,
    })

    // 6 MB of rows, none of them the caller: answered, filtered, nothing matched.
    const many = Array.from({ length: 40_000 }, (_, i) => ({
      contactid: `c-${i}`,
      fullname: 'x'.repeat(100),
      telephone1: '+1 212 555 1212',
    }))
    fake.fault({
      match: (r) => r.path.endsWith('/contacts'),
      response: { status: 200, body: { value: many } },
    })
    expect(await connect().lookupByPhone('+14155551212')).toEqual([])
    fake.fault({
      match: (r) => r.path.endsWith('/contacts'),
      response: {
        status: 200,
        headers: { 'content-type': 'application/json' },
        body: `{"value":[${'1,'.repeat(3_000_000)}`,
      },
    })
    expect(
      await connect()
        .lookupByPhone('+14155551212')
        .catch((e: unknown) => e),
    ).toMatchObject({ code: 'unavailable' })

    fake.fault({
      match: (r) => r.path.endsWith('/phonecalls'),
      delayMs: 1_000,
      response: { status: 200, body: { value: [] } },
    })
    const slow = await c.findActivity('sb-call-812').catch((e: unknown) => e)
    expect(slow).toMatchObject({
      code: 'unavailable',
      retryable: true,
      message: expect.stringContaining('300 ms'),
    })

    // A body that is not the expected shape is refused too, not half-read.
    fake.fault({
      match: (r) => r.path.endsWith('/phonecalls'),
      response: { status: 200, body: { value: 'nope' } },
    })
    expect(await c.findActivity('x').catch((e: unknown) => e)).toBeInstanceOf(Error)
  })
})
