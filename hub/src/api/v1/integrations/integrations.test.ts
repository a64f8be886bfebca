import { randomBytes } from 'node:crypto'
import { eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestHub, type TestCompany, type TestHub } from '../../../../test/helpers/hub.ts'
import { createTestNumber } from '../../../../test/helpers/numbers-factory.ts'
import {
  approveSandboxConsent,
  connectUrl,
  openOAuthCallback,
  postConsentForm,
} from '../../../../test/helpers/oauth-consent.ts'
import { securityCases } from '../../../../test/helpers/security.ts'
import { integrations } from '../../../db/schema/index.ts'
import { openConnector, openTokens } from '../../../services/integrations/connections.ts'
import { sandboxCrm, stopSandboxCrms } from '../../../services/integrations/sandbox-crms.ts'

let hub: TestHub
beforeAll(async () => {
  hub = await createTestHub({
    env: {
      CRM_TOKEN_KEYS: `k1:${randomBytes(32).toString('base64')}`,
      SALESFORCE_CLIENT_ID: 'sf-prod-client',
      SALESFORCE_CLIENT_SECRET: 'sf-prod-secret',
      DYNAMICS_CLIENT_ID: 'dyn-prod-client',
      DYNAMICS_CLIENT_SECRET: 'dyn-prod-secret',
    },
  })
})
afterAll(async () => {
  await stopSandboxCrms()
  await hub.close()
})

type Integration = {
  id: number
  kind: string
  name: string
  status: string
  active: boolean
  sandbox: boolean
  number_ids: number[]
  numbers_count: number
  account_id: string | null
  settings: Record<string, unknown>
  health: Record<string, unknown>
}

let seq = 0
async function create(
  company: TestCompany,
  body: Record<string, unknown> = { kind: 'hubspot', sandbox: true },
): Promise<Integration> {
  const res = await hub.call('POST', '/v1/integrations', {
    auth: company.basic,
    body: { name: `CRM ${++seq}`, ...body },
  })
  expect(res.status, JSON.stringify(res.body)).toBe(201)
  return res.body.integration
}

const consent = (authorizeUrl: string, tamper: Partial<Record<string, string>> = {}) =>
  approveSandboxConsent(hub, authorizeUrl, tamper)
const callback = (location: string) => openOAuthCallback(hub, location)
const connect = (company: TestCompany, id: number) => connectUrl(hub, company, id)

async function connected(company: TestCompany, kind = 'hubspot') {
  const integration = await create(company, { kind, sandbox: true })
  const location = await consent(await connect(company, integration.id))
  const done = await callback(location)
  expect(done.status, done.html).toBe(200)
  return integration
}

async function rawRow(id: number) {
  const [row] = await hub.db.select().from(integrations).where(eq(integrations.id, id))
  return row!
}

describe('GET /v1/integrations/catalogue', () => {
  it('lists the apps with their auth, whether the OAuth app is set and whether a sandbox exists', async () => {
    const company = await hub.createCompany()
    const res = await hub.call('GET', '/v1/integrations/catalogue', { auth: company.adminBearer })
    expect(res.status).toBe(200)
    const byKind = Object.fromEntries(res.body.catalogue.map((e: { kind: string }) => [e.kind, e]))
    expect(Object.keys(byKind)).toEqual(['hubspot', 'salesforce', 'zendesk', 'dynamics', 'weather'])
    expect(byKind.hubspot).toMatchObject({
      name: 'HubSpot',
      auth: 'oauth',
      oauth_configured: false,
      oauth_env: ['HUBSPOT_CLIENT_ID', 'HUBSPOT_CLIENT_SECRET'],
      sandbox_available: true,
    })
    expect(byKind.salesforce).toMatchObject({ oauth_configured: true, sandbox_available: true })
    expect(byKind.zendesk).toMatchObject({ needs: 'subdomain' })
    expect(byKind.weather).toMatchObject({ auth: 'none', sandbox_available: false, logs_calls: false })
  })

  securityCases(() => hub, { method: 'GET', path: () => '/v1/integrations/catalogue', adminOnly: true })
})

describe('POST /v1/integrations, GET /v1/integrations(/:id)', () => {
  it('creates a pending CRM integration and a weather app connected at once; lists and gets them without tokens', async () => {
    const company = await hub.createCompany()
    const crm = await create(company, { kind: 'hubspot', name: 'Sales HubSpot', sandbox: true })
    expect(crm).toMatchObject({
      kind: 'hubspot',
      name: 'Sales HubSpot',
      custom_name: 'Sales HubSpot',
      service_name: 'HubSpot',
      status: 'pending',
      active: true,
      sandbox: true,
      number_ids: [],
      numbers_count: 0,
      account_id: null,
      connected_at: null,
      health: { last_success_at: null, last_error: null, pending: 0, failed: 0 },
    })
    expect(crm.settings).toMatchObject({
      unknown_number: 'nothing',
      business_hours_only: false,
      call_types: { inbound_missed: { log: 'completed', outcome: null, task_status: null } },
    })
    const weather = await create(company, { kind: 'weather', name: 'Weather' })
    expect(weather).toMatchObject({ status: 'connected', sandbox: false, connected_at: expect.any(Number) })

    const list = await hub.call('GET', '/v1/integrations?per_page=1', { auth: company.adminBearer })
    expect(list.status).toBe(200)
    expect(list.body.integrations.map((i: Integration) => i.id)).toEqual([crm.id])
    expect(list.body.meta).toMatchObject({ total: 2, count: 1, per_page: 1 })
    expect(list.body.meta.next_page_link).toContain('page=2')

    const one = await hub.call('GET', `/v1/integrations/${crm.id}`, { auth: company.basic })
    expect(one.status).toBe(200)
    expect(one.body.integration).toEqual(crm)
    expect(JSON.stringify(one.body)).not.toMatch(/token/i)
  })

  it('another company sees none of them', async () => {
    const owner = await hub.createCompany()
    const other = await hub.createCompany()
    await create(owner)
    const list = await hub.call('GET', '/v1/integrations', { auth: other.basic })
    expect(list.body.integrations).toEqual([])
  })

  it('refuses a duplicate name with 409, another company may use it', async () => {
    const company = await hub.createCompany()
    const other = await hub.createCompany()
    await create(company, { kind: 'hubspot', name: 'Main CRM', sandbox: true })
    const again = await hub.call('POST', '/v1/integrations', {
      auth: company.basic,
      body: { kind: 'salesforce', name: 'Main CRM', sandbox: true },
    })
    expect(again.status).toBe(409)
    expect(again.body.field).toBe('name')
    await create(other, { kind: 'hubspot', name: 'Main CRM', sandbox: true })
  })

  it('refuses a CRM whose OAuth app is not configured, naming the env vars, unless it is a sandbox', async () => {
    const company = await hub.createCompany()
    const res = await hub.call('POST', '/v1/integrations', {
      auth: company.basic,
      body: { kind: 'hubspot', name: 'Real HubSpot' },
    })
    expect(res.status).toBe(400)
    expect(res.body.message).toContain('HUBSPOT_CLIENT_ID')
    expect(res.body.message).toContain('HUBSPOT_CLIENT_SECRET')
    const configured = await create(company, { kind: 'salesforce', name: 'Real Salesforce' })
    expect(configured).toMatchObject({ status: 'pending', sandbox: false })
  })

  it('answers 400 naming the field for invalid input', async () => {
    const company = await hub.createCompany()
    for (const [body, field] of [
      [{ kind: 'pipedrive', name: 'x' }, 'kind'],
      [{ kind: 'hubspot', sandbox: true }, 'name'],
      [{ kind: 'hubspot', name: '  ', sandbox: true }, 'name'],
      [{ kind: 'dynamics', name: 'D', instance_url: 'http://org.crm.dynamics.com' }, 'instance_url'],
      [{ kind: 'zendesk', name: 'Z', sandbox: true, subdomain: 'no spaces' }, 'subdomain'],
      [{ kind: 'hubspot', name: 'H', sandbox: true, extra: 1 }, '(body)'],
    ] as const) {
      const res = await hub.call('POST', '/v1/integrations', { auth: company.basic, body })
      expect(res.status, JSON.stringify(body)).toBe(400)
      if (field !== '(body)') expect(res.body.field, JSON.stringify(body)).toBe(field)
    }
  })

  securityCases(() => hub, {
    method: 'POST',
    path: () => '/v1/integrations',
    body: { kind: 'weather', name: 'Sec' },
    adminOnly: true,
  })
  securityCases(() => hub, { method: 'GET', path: () => '/v1/integrations', adminOnly: true })
  securityCases(() => hub, {
    method: 'GET',
    path: async (company) => `/v1/integrations/${(await create(company)).id}`,
    adminOnly: true,
    ownedResource: true,
  })

  it("an admin's agent token (the extension's) reads nothing here", async () => {
    const company = await hub.createCompany()
    const token = await hub.issueToken(company.id, company.adminUserId, 'agent')
    const res = await hub.call('GET', '/v1/integrations', { auth: `Bearer ${token}` })
    expect(res.status).toBe(403)
  })
})

describe('OAuth connect (sandbox HubSpot, end to end)', () => {
  it('authorize URL with a state → consent → callback exchanges the code; tokens are stored sealed', async () => {
    const company = await hub.createCompany()
    const integration = await create(company, { kind: 'hubspot', name: 'Sandbox HubSpot', sandbox: true })
    const authorizeUrl = await connect(company, integration.id)
    const url = new URL(authorizeUrl)
    expect(url.origin + url.pathname).toBe('http://hub.test/v1/integrations/sandbox/authorize')
    expect(url.searchParams.get('state')).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect(url.searchParams.get('redirect_uri')).toBe('http://hub.test/v1/integrations/oauth/callback')
    expect(url.searchParams.get('scope')).toContain('crm.objects.contacts.write')
    expect(url.searchParams.has('code_challenge')).toBe(false)

    const location = await consent(authorizeUrl)
    expect(location.startsWith('http://hub.test/v1/integrations/oauth/callback?')).toBe(true)
    const done = await callback(location)
    expect(done.status).toBe(200)
    expect(done.headers.get('content-type')).toContain('text/html')
    expect(done.html).toContain('HubSpot connected')
    expect(done.html).toContain('you can close this tab')
    expect(done.html).not.toContain('<script')

    const got = await hub.call('GET', `/v1/integrations/${integration.id}`, { auth: company.basic })
    expect(got.body.integration).toMatchObject({
      status: 'connected',
      account_id: '4242',
      connected_at: expect.any(Number),
      health: { last_success_at: expect.any(Number), last_error: null },
    })
    // prepare() ran: the call-ref property exists in the sandbox HubSpot.
    const fake = await sandboxCrm('hubspot', integration.id)
    expect([...fake.callPropertyDefs.keys()]).toHaveLength(1)

    const row = await rawRow(integration.id)
    const tokens = openTokens(hub.deps.env, row)!
    expect(tokens.accessToken.length).toBeGreaterThan(10)
    expect(row.tokens).not.toContain(tokens.accessToken)
    expect(row.tokens).not.toContain(tokens.refreshToken!)
    expect(row.tokens).toMatch(/^v1\.k1\./)

    // The same link again: the state was used.
    const reused = await callback(location)
    expect(reused.status).toBe(400)
    expect(reused.html).toContain('already used')
  })

  it('an expired state (past 10 minutes) or a tampered one answers a 400 page; the integration stays pending', async () => {
    const company = await hub.createCompany()
    const integration = await create(company)
    const state = new URL(await connect(company, integration.id)).searchParams.get('state')!
    const tampered = await callback(
      `http://hub.test/v1/integrations/oauth/callback?code=x&state=${state.slice(0, -1)}${state.endsWith('A') ? 'B' : 'A'}`,
    )
    expect(tampered.status).toBe(400)
    expect(tampered.html).toContain('unknown')
    hub.clock.advance(10 * 60_000 + 1000)
    const page = await hub.app.request(`http://hub.test/v1/integrations/sandbox/authorize?state=${state}`)
    expect(page.status).toBe(400)
    const expired = await callback(`http://hub.test/v1/integrations/oauth/callback?code=x&state=${state}`)
    expect(expired.status).toBe(400)
    expect(expired.html).toContain('expired')
    const row = await rawRow(integration.id)
    expect(row.status).toBe('pending')
    expect(row.tokens).toBeNull()
  })

  it('"Deny" on the consent page comes back as access_denied: a 400 page, nothing connected', async () => {
    const company = await hub.createCompany()
    const integration = await create(company)
    const state = new URL(await connect(company, integration.id)).searchParams.get('state')!
    const answer = await postConsentForm(hub, { state, decision: 'deny' })
    expect(answer.status).toBe(302)
    const location = answer.headers.get('location')!
    expect(new URL(location).searchParams.get('error')).toBe('access_denied')
    const page = await callback(location)
    expect(page.status).toBe(400)
    expect(page.html).toContain('access was refused')
    expect((await rawRow(integration.id)).status).toBe('pending')
  })

  it('Salesforce gets PKCE (S256): the verifier sent at exchange must match the challenge of the URL', async () => {
    const company = await hub.createCompany()
    const sf = await create(company, { kind: 'salesforce', sandbox: true })
    const authorizeUrl = await connect(company, sf.id)
    const url = new URL(authorizeUrl)
    expect(url.searchParams.get('code_challenge_method')).toBe('S256')
    expect(url.searchParams.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/)
    // A code bound to another challenge: the hub's verifier does not match it, the CRM refuses.
    const wrong = await callback(await consent(authorizeUrl, { code_challenge: 'A'.repeat(43) }))
    expect(wrong.status).toBe(400)
    expect(wrong.html).toContain('refused the authorization code')
    expect((await rawRow(sf.id)).status).toBe('pending')

    const done = await callback(await consent(await connect(company, sf.id)))
    expect(done.status).toBe(200)
    expect(done.html).toContain('Salesforce connected')
    const fake = await sandboxCrm('salesforce', sf.id)
    const exchange = fake.requests.filter((r) => r.path === '/services/oauth2/token').at(-1)!
    expect(new URLSearchParams(exchange.rawBody).get('code_verifier')).toMatch(/^[A-Za-z0-9_-]{64}$/)
    expect((await rawRow(sf.id)).status).toBe('connected')
  })

  it('a real Salesforce integration is sent to the vendor login with state and PKCE; HubSpot gets no PKCE', async () => {
    const company = await hub.createCompany()
    const sf = await create(company, { kind: 'salesforce' })
    const url = new URL(await connect(company, sf.id))
    expect(url.origin + url.pathname).toBe('https://login.salesforce.com/services/oauth2/authorize')
    expect(url.searchParams.get('client_id')).toBe('sf-prod-client')
    expect(url.searchParams.get('code_challenge_method')).toBe('S256')
    expect(url.searchParams.get('state')).toBeTruthy()
  })

  it('a real Dynamics integration is sent to Entra ID asking for its own org, with state and PKCE', async () => {
    const company = await hub.createCompany()
    const dyn = await create(company, {
      kind: 'dynamics',
      instance_url: 'https://contoso.crm4.dynamics.com/',
    })
    const url = new URL(await connect(company, dyn.id))
    expect(url.origin + url.pathname).toBe(
      'https://login.microsoftonline.com/organizations/oauth2/v2.0/authorize',
    )
    expect(url.searchParams.get('client_id')).toBe('dyn-prod-client')
    expect(url.searchParams.get('scope')).toContain(
      'https://contoso.crm4.dynamics.com/.default offline_access',
    )
    expect(url.searchParams.get('code_challenge_method')).toBe('S256')
    expect(url.searchParams.get('state')).toBeTruthy()
  })

  it('the callback and the consent page are rate limited per client address', async () => {
    const path = '/v1/integrations/oauth/callback?state=nope&code=x'
    const from = (clientAddress: string) => hub.call('GET', path, { clientAddress })
    for (let i = 0; i < 30; i++) expect((await from('203.0.113.9')).status).toBe(400)
    const limited = await from('203.0.113.9')
    expect(limited.status).toBe(429)
    expect(limited.headers.get('retry-after')).toBeTruthy()
    expect((await from('203.0.113.10')).status).toBe(400)
  })

  securityCases(() => hub, {
    method: 'POST',
    path: async (company) => `/v1/integrations/${(await create(company)).id}/connect`,
    adminOnly: true,
    ownedResource: true,
  })
})

describe('PUT /v1/integrations/:id/settings', () => {
  it('changes only what is given and shows it back', async () => {
    const company = await hub.createCompany()
    const integration = await create(company, { kind: 'salesforce', sandbox: true })
    const res = await hub.call('PUT', `/v1/integrations/${integration.id}/settings`, {
      auth: company.basic,
      body: {
        call_types: {
          inbound_missed: { log: 'off' },
          outbound_answered: { log: 'in_progress', outcome: 'Reached' },
        },
        unknown_number: 'lead',
        business_hours_only: true,
        tag_outcomes: { Won: 'Deal', '42': 'Other' },
        tag_call_types: { Demo: 'Meeting' },
      },
    })
    expect(res.status, JSON.stringify(res.body)).toBe(200)
    expect(res.body.integration.settings).toEqual({
      call_types: {
        inbound_answered: { log: 'completed', outcome: null, task_status: null },
        inbound_missed: { log: 'off', outcome: null, task_status: null },
        inbound_voicemail: { log: 'completed', outcome: null, task_status: null },
        outbound_answered: { log: 'in_progress', outcome: 'Reached', task_status: null },
        outbound_unanswered: { log: 'completed', outcome: null, task_status: null },
      },
      unknown_number: 'lead',
      business_hours_only: true,
      tag_outcomes: { Won: 'Deal', '42': 'Other' },
      tag_call_types: { Demo: 'Meeting' },
    })
    const again = await hub.call('PUT', `/v1/integrations/${integration.id}/settings`, {
      auth: company.basic,
      body: { business_hours_only: false },
    })
    expect(again.body.integration.settings).toMatchObject({
      unknown_number: 'lead',
      business_hours_only: false,
    })
    // Stored in the form the connector and the sync pipeline read.
    const row = await rawRow(integration.id)
    expect(row.settings).toMatchObject({
      unknownNumber: 'lead',
      log: { inbound_missed: 'off' },
      outcomes: { outbound_answered: 'Reached' },
    })
  })

  it('answers 400 with the field path of what is wrong', async () => {
    const company = await hub.createCompany()
    const integration = await create(company)
    for (const [body, field] of [
      [{ call_types: { inbound_missed: { log: 'sometimes' } } }, 'call_types.inbound_missed.log'],
      [{ call_types: { inbound_lost: { log: 'off' } } }, 'call_types'],
      [{ unknown_number: 'lead' }, 'unknown_number'],
      [{ unknown_number: 'everyone' }, 'unknown_number'],
      [{ business_hours_only: 'yes' }, 'business_hours_only'],
      [{ tag_outcomes: { Won: 3 } }, 'tag_outcomes.Won'],
    ] as const) {
      const res = await hub.call('PUT', `/v1/integrations/${integration.id}/settings`, {
        auth: company.basic,
        body,
      })
      expect(res.status, JSON.stringify(body)).toBe(400)
      expect(res.body.field, JSON.stringify(body)).toBe(field)
      if (field === 'call_types') expect(res.body.message).toContain('inbound_lost')
    }
    const contact = await hub.call('PUT', `/v1/integrations/${integration.id}/settings`, {
      auth: company.basic,
      body: { unknown_number: 'contact' },
    })
    expect(contact.status).toBe(200)
  })

  securityCases(() => hub, {
    method: 'PUT',
    path: async (company) => `/v1/integrations/${(await create(company)).id}/settings`,
    body: { business_hours_only: true },
    adminOnly: true,
    ownedResource: true,
  })
})

describe('enable / disable', () => {
  it('turns the integration off and on', async () => {
    const company = await hub.createCompany()
    const integration = await create(company)
    const off = await hub.call('POST', `/v1/integrations/${integration.id}/disable`, { auth: company.basic })
    expect(off.status).toBe(200)
    expect(off.body.integration.active).toBe(false)
    const on = await hub.call('POST', `/v1/integrations/${integration.id}/enable`, { auth: company.basic })
    expect(on.body.integration.active).toBe(true)
  })

  for (const action of ['enable', 'disable']) {
    securityCases(() => hub, {
      method: 'POST',
      path: async (company) => `/v1/integrations/${(await create(company)).id}/${action}`,
      adminOnly: true,
      ownedResource: true,
    })
  }
})

describe('linked numbers', () => {
  it('links numbers of the company, refuses another company’s with 404, unlinks', async () => {
    const company = await hub.createCompany()
    const other = await hub.createCompany()
    const integration = await create(company)
    const a = await createTestNumber(hub.db, { companyId: company.id })
    const b = await createTestNumber(hub.db, { companyId: company.id })
    const foreign = await createTestNumber(hub.db, { companyId: other.id })
    const linked = await hub.call('POST', `/v1/integrations/${integration.id}/numbers`, {
      auth: company.basic,
      body: { number_ids: [b.id, a.id, a.id] },
    })
    expect(linked.status).toBe(200)
    expect(linked.body.integration).toMatchObject({
      number_ids: [a.id, b.id].sort((x, y) => x - y),
      numbers_count: 2,
    })

    const intruding = await hub.call('POST', `/v1/integrations/${integration.id}/numbers`, {
      auth: company.basic,
      body: { number_ids: [a.id, foreign.id] },
    })
    expect(intruding.status).toBe(404)

    const number = await hub.call('GET', `/v1/numbers/${a.id}`, { auth: company.basic })
    expect(number.body.number.integrations).toEqual([
      { id: integration.id, name: integration.name, kind: 'hubspot' },
    ])

    const unlinked = await hub.call('DELETE', `/v1/integrations/${integration.id}/numbers/${a.id}`, {
      auth: company.basic,
    })
    expect(unlinked.status).toBe(204)
    const after = await hub.call('GET', `/v1/integrations/${integration.id}`, { auth: company.basic })
    expect(after.body.integration.number_ids).toEqual([b.id])
    const twice = await hub.call('DELETE', `/v1/integrations/${integration.id}/numbers/${a.id}`, {
      auth: company.basic,
    })
    expect(twice.status).toBe(404)
  })

  securityCases(() => hub, {
    method: 'POST',
    path: async (company) => `/v1/integrations/${(await create(company)).id}/numbers`,
    body: { number_ids: [1] },
    adminOnly: true,
    ownedResource: true,
  })
  securityCases(() => hub, {
    method: 'DELETE',
    path: async (company) => {
      const integration = await create(company)
      const n = await createTestNumber(hub.db, { companyId: company.id })
      await hub.call('POST', `/v1/integrations/${integration.id}/numbers`, {
        auth: company.basic,
        body: { number_ids: [n.id] },
      })
      return `/v1/integrations/${integration.id}/numbers/${n.id}`
    },
    adminOnly: true,
    ownedResource: true,
  })
})

describe('health check and the sandbox CRM contents', () => {
  it('a working connection reports success; a revoked grant marks it reauth and unhealthy', async () => {
    const company = await hub.createCompany()
    const integration = await connected(company)
    hub.clock.advance(60_000)
    const ok = await hub.call('POST', `/v1/integrations/${integration.id}/health-check`, {
      auth: company.basic,
    })
    expect(ok.status).toBe(200)
    expect(ok.body.integration.health).toMatchObject({
      last_success_at: expect.any(Number),
      unhealthy_since: null,
    })

    const fake = await sandboxCrm('hubspot', integration.id)
    fake.expireAccessTokens()
    fake.revokeRefreshTokens()
    const bad = await hub.call('POST', `/v1/integrations/${integration.id}/health-check`, {
      auth: company.basic,
    })
    expect(bad.status).toBe(200)
    expect(bad.body.integration).toMatchObject({
      status: 'reauth',
      health: {
        last_error: expect.any(String),
        unhealthy_since: expect.any(Number),
        last_error_at: expect.any(Number),
      },
    })
  })

  it('a pending integration cannot be checked (409)', async () => {
    const company = await hub.createCompany()
    const integration = await create(company)
    const res = await hub.call('POST', `/v1/integrations/${integration.id}/health-check`, {
      auth: company.basic,
    })
    expect(res.status).toBe(409)
  })

  it('lists what the sandbox CRM received, and only this integration’s', async () => {
    const company = await hub.createCompany()
    const mine = await connected(company)
    const theirs = await connected(await hub.createCompany())
    const connector = await openConnector(hub.deps, await rawRow(mine.id))
    await connector.logCall({
      call_id: 1,
      call_ref: 'sb-test-1',
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
    const res = await hub.call('GET', `/v1/integrations/${mine.id}/sandbox/activities`, {
      auth: company.basic,
    })
    expect(res.status).toBe(200)
    expect(res.body.activities).toHaveLength(1)
    expect(res.body.activities[0]).toMatchObject({
      type: 'call',
      properties: { hs_call_direction: 'INBOUND' },
    })
    const other = await hub.call('GET', `/v1/integrations/${theirs.id}/sandbox/activities`, {
      auth: company.basic,
    })
    expect(other.status).toBe(404)
  })

  securityCases(() => hub, {
    method: 'POST',
    path: async (company) =>
      `/v1/integrations/${(await create(company, { kind: 'weather' })).id}/health-check`,
    adminOnly: true,
    ownedResource: true,
  })
  securityCases(() => hub, {
    method: 'GET',
    path: async (company) => `/v1/integrations/${(await create(company)).id}/sandbox/activities`,
    adminOnly: true,
    ownedResource: true,
  })
})

describe('DELETE /v1/integrations/:id', () => {
  it('revokes the tokens at the CRM, then deletes the integration', async () => {
    const company = await hub.createCompany()
    const integration = await connected(company)
    const tokens = openTokens(hub.deps.env, await rawRow(integration.id))!
    const fake = await sandboxCrm('hubspot', integration.id)
    const res = await hub.call('DELETE', `/v1/integrations/${integration.id}`, { auth: company.basic })
    expect(res.status).toBe(204)
    expect(fake.revoked).toEqual([tokens.refreshToken])
    const gone = await hub.call('GET', `/v1/integrations/${integration.id}`, { auth: company.basic })
    expect(gone.status).toBe(404)
  })

  it('a Salesforce grant no longer works once deleted', async () => {
    const company = await hub.createCompany()
    const integration = await connected(company, 'salesforce')
    const row = await rawRow(integration.id)
    const tokens = openTokens(hub.deps.env, row)!
    const fake = await sandboxCrm('salesforce', integration.id)
    const replay = async () =>
      fetch(`${fake.url}/services/oauth2/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'refresh_token',
          refresh_token: tokens.refreshToken!,
          client_id: 'switchboard-sandbox',
          client_secret: 'switchboard-sandbox-secret',
        }),
      })
    expect((await replay()).status).toBe(200)
    const res = await hub.call('DELETE', `/v1/integrations/${integration.id}`, { auth: company.basic })
    expect(res.status).toBe(204)
    expect(fake.revoked).toEqual([tokens.refreshToken])
    expect((await replay()).status).toBe(400)
  })

  it('a pending integration is deleted without calling the CRM', async () => {
    const company = await hub.createCompany()
    const integration = await create(company)
    const res = await hub.call('DELETE', `/v1/integrations/${integration.id}`, { auth: company.basic })
    expect(res.status).toBe(204)
  })

  securityCases(() => hub, {
    method: 'DELETE',
    path: async (company) => `/v1/integrations/${(await create(company)).id}`,
    adminOnly: true,
    ownedResource: true,
  })
})

describe('OpenAPI', () => {
  it('documents the integrations routes, the OAuth callback without security', async () => {
    const doc = await hub.call('GET', '/v1/openapi.json')
    expect(doc.body.paths['/v1/integrations'].post).toBeDefined()
    expect(doc.body.paths['/v1/integrations/{id}/settings'].put).toBeDefined()
    expect(doc.body.paths['/v1/integrations/{id}/numbers/{number_id}'].delete).toBeDefined()
    const cb = doc.body.paths['/v1/integrations/oauth/callback'].get
    expect(cb.security).toBeUndefined()
    expect(cb.parameters.map((p: { name: string }) => p.name)).toEqual([
      'code',
      'state',
      'error',
      'error_description',
    ])
  })
})
