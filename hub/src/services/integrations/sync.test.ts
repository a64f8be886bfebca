import { HUBSPOT_OUTCOMES } from '@switchboard/connectors'
import { type HubspotFake, startHubspotFake } from '@switchboard/connectors/testing/hubspot-fake'
import { type SalesforceFake, startSalesforceFake } from '@switchboard/connectors/testing/salesforce-fake'
import { eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { addAgent, callableNumber, callRow, until } from '../../../test/helpers/calls.ts'
import { createTestHub, type TestCompany, type TestHub } from '../../../test/helpers/hub.ts'
import {
  connectTestIntegration,
  fakeCrmApps,
  ledgerOf,
  testCrmTokenKeys,
} from '../../../test/helpers/integrations.ts'
import { ledgerCounts, seedSyncBacklog } from '../../../test/helpers/sync-load.ts'
import { failedSyncs, replaySync } from '../../cli/commands/sync.ts'
import { integrations, tags } from '../../db/schema/index.ts'
import { openTokens } from './connections.ts'

/**
 * The CRM sync as the CRM sees it: a call on a linked number becomes exactly one activity,
 * kept up to date as the call gets tags and comments, whatever the CRM answers in between.
 */
let hub: TestHub
let hubspot: HubspotFake
let salesforce: SalesforceFake

beforeAll(async () => {
  hubspot = await startHubspotFake()
  salesforce = await startSalesforceFake()
  hub = await createTestHub({
    workers: true,
    env: {
      // HubSpot plays recordings from https links only.
      PUBLIC_URL: 'https://hub.test',
      CRM_TOKEN_KEYS: testCrmTokenKeys(),
      HUBSPOT_API_URL: hubspot.url,
      SALESFORCE_API_URL: salesforce.url,
      SALESFORCE_LOGIN_URL: salesforce.url,
      ...fakeCrmApps,
    },
  })
})
afterAll(async () => {
  await hub.close()
  await hubspot.close()
  await salesforce.close()
})

/** The tokens an integration holds (to tell its requests at the fake from other tests'). */
async function tokensOf(integrationId: number) {
  const [row] = await hub.db.select().from(integrations).where(eq(integrations.id, integrationId))
  return openTokens(hub.deps.env, row!)!
}

const CALLER = '+14155551212'
let callerSeq = 0
const newCaller = () => `+1415555${String(1000 + ++callerSeq).slice(-4)}`

async function post(company: TestCompany, path: string, body?: unknown, status = 204) {
  const res = await hub.call('POST', path, { auth: company.basic, body })
  expect(res.status, JSON.stringify(res.body)).toBe(status)
  return res.body
}

/** A company with an agent online and a number ringing them, linked to a new CRM integration. */
async function setup(
  kind: 'hubspot' | 'salesforce',
  settings: Record<string, unknown> = {},
  company?: TestCompany,
) {
  const c = company ?? (await hub.createCompany())
  const agent = await addAgent(hub, c, { firstName: 'Ada', lastName: 'Lovelace' })
  hub.setOnline(c.id, agent.id)
  const number = await callableNumber(hub, c, (s) => ({
    messages: { ...s.messages, welcome: null },
    distribution: { ...s.distribution, steps: [{ type: 'user', user_id: agent.id, ring_time_sec: 30 }] },
  }))
  const fake = kind === 'hubspot' ? hubspot : salesforce
  const tokens = fake.issueTokens()
  const integration = await connectTestIntegration(hub.db, hub.deps.env, {
    companyId: c.id,
    kind,
    tokens,
    numberIds: [number.id],
    settings,
  })
  /** This integration's requests (faults armed with it leave other tests' traffic alone). */
  const ours = (r: { headers: Record<string, unknown> }) =>
    r.headers.authorization === `Bearer ${tokens.accessToken}`
  return { company: c, agent, number, integration, ours }
}

/** An answered call of `talkMs`, tagged and commented while it runs; its id once hung up. */
async function answeredCall(
  s: Awaited<ReturnType<typeof setup>>,
  opts: { from?: string; tagIds?: number[]; comment?: string; talkMs?: number } = {},
) {
  const call = await post(
    s.company,
    '/v1/sandbox/calls',
    { from: opts.from ?? CALLER, to: s.number.e164 },
    201,
  )
  const id: number = call.call.id
  hub.clock.advance(3_000)
  await post(s.company, `/v1/sandbox/calls/${id}/agents/${s.agent.id}/answer`)
  if (opts.tagIds) await post(s.company, `/v1/calls/${id}/tags`, { tags: opts.tagIds }, 201)
  if (opts.comment) await post(s.company, `/v1/calls/${id}/comments`, { content: opts.comment }, 201)
  hub.clock.advance(opts.talkMs ?? 8_000)
  await post(s.company, `/v1/sandbox/calls/${id}/hangup`)
  return id
}

/** Waits until the CRM reflects the call as it stands now. */
async function synced(callId: number, integrationId: number) {
  return until(async () => {
    const [ledger, call] = await Promise.all([ledgerOf(hub.db, callId, integrationId), callRow(hub, callId)])
    return ledger?.state === 'synced' && ledger.syncedVersion >= call.version ? ledger : null
  }, `call ${callId} synced to integration ${integrationId}`)
}

async function addTag(company: TestCompany, name: string) {
  const [tag] = await hub.db
    .insert(tags)
    .values({ companyId: company.id, name, color: '#00aa00' })
    .returning()
  return tag!
}

const hubspotCallsOf = (callId: number) =>
  [...hubspot.calls.values()].filter((c) => c.properties.switchboard_call_ref === `sb-call-${callId}`)

describe('HubSpot', () => {
  it('logs an ended call once: recording link, outcome from its tag, comments in the body; a later tag updates it', async () => {
    const s = await setup('hubspot', { tagOutcomes: { 'Wrong number': HUBSPOT_OUTCOMES.wrongNumber } })
    const contactId = hubspot.addContact({ firstname: 'Grace', lastname: 'Hopper', phone: CALLER })
    const wrong = await addTag(s.company, 'Wrong number')
    const id = await answeredCall(s, { tagIds: [wrong.id], comment: 'Asked about invoice 123' })
    const ledger = await synced(id, s.integration.id)

    const logged = hubspotCallsOf(id)
    expect(logged).toHaveLength(1)
    const activity = logged[0]!
    expect(ledger.activityId).toBe(activity.id)
    expect(activity.properties).toMatchObject({
      hs_call_direction: 'INBOUND',
      hs_call_status: 'COMPLETED',
      hs_call_disposition: HUBSPOT_OUTCOMES.wrongNumber,
      hs_call_duration: '8000',
      hs_call_from_number: CALLER,
      hs_call_to_number: s.number.e164,
    })
    expect(activity.properties.hs_call_body).toContain('Asked about invoice 123')
    expect(activity.properties.hs_call_body).toContain('Tags: Wrong number')
    expect(activity.properties.hs_call_title).toContain('answered by Ada Lovelace')
    expect(activity.associations).toEqual([{ toId: contactId, typeId: 194 }])
    // A signed link the CRM can fetch for a week, not the Call object's hour.
    const recording = new URL(activity.properties.hs_call_recording_url!)
    expect(recording.origin + recording.pathname).toMatch(
      new RegExp(`^https://hub.test/v1/call-assets/${s.company.id}/${id}/recording-`),
    )
    const expires = Number(recording.searchParams.get('expires'))
    expect(expires - hub.clock.now().getTime() / 1000).toBeGreaterThan(6 * 24 * 3600)
    const file = await hub.app.request(`${recording.pathname}${recording.search}`)
    expect(file.status).toBe(200)

    const api = await hub.call('GET', `/v1/calls/${id}`, { auth: s.company.basic })
    expect(api.body.call.sync).toEqual([
      {
        integration_id: s.integration.id,
        integration_name: s.integration.name,
        kind: 'hubspot',
        state: 'synced',
        external_id: activity.id,
        // One write per version the sync saw: the end, then maybe the tag and the comment
        // (how many of the call's last events one round takes depends on the relay's timing).
        attempts: expect.any(Number),
        last_error: null,
        synced_at: expect.any(String),
      },
    ])
    expect(api.body.call.sync[0].attempts).toBeGreaterThanOrEqual(1)

    // A tag after the end: the same activity, updated.
    const followUp = await addTag(s.company, 'Follow up')
    await post(s.company, `/v1/calls/${id}/tags`, { tags: [followUp.id] }, 201)
    await synced(id, s.integration.id)
    expect(hubspotCallsOf(id)).toHaveLength(1)
    expect(hubspot.calls.get(activity.id)!.properties.hs_call_body).toContain('Tags: Wrong number, Follow up')
    const [health] = await hub.db.select().from(integrations).where(eq(integrations.id, s.integration.id))
    expect(health!.lastSuccessAt).not.toBeNull()
    expect(health!.unhealthySince).toBeNull()
  })
})

describe('Salesforce', () => {
  it('logs an ended call as one Task with the call ref, and updates it with a later comment', async () => {
    const s = await setup('salesforce')
    const from = newCaller()
    const contact = salesforce.add('Contact', { FirstName: 'Linus', LastName: 'T', Phone: from })
    const id = await answeredCall(s, { from, comment: 'Wants a callback' })
    await synced(id, s.integration.id)
    const tasks = salesforce.tasks().filter((t) => t.CallObject === `sb-call-${id}`)
    expect(tasks).toHaveLength(1)
    expect(tasks[0]).toMatchObject({ WhoId: contact, CallType: 'Inbound', CallDurationInSeconds: 8 })
    expect(String(tasks[0]!.Description)).toContain('Wants a callback')

    await post(s.company, `/v1/calls/${id}/comments`, { content: 'Called back, sorted' }, 201)
    await synced(id, s.integration.id)
    const after = salesforce.tasks().filter((t) => t.CallObject === `sb-call-${id}`)
    expect(after).toHaveLength(1)
    expect(String(after[0]!.Description)).toContain('Called back, sorted')
  })

  it("a backlog goes out in full collections, however small the org's allocation makes the per-second budget", async () => {
    // 100,000 requests a day is about one a second: the calls of ten seconds' budget must still
    // fill the 200-record collections, not one Task per request's worth of budget.
    // The calls wait for a reconnection, so the whole backlog is in the ledger when the run
    // starts (otherwise the first run may take the calls the relay has handed over so far).
    const backlog = await seedSyncBacklog(hub.db, hub.deps.env, {
      kind: 'salesforce',
      tokens: salesforce.issueTokens(),
      count: 150,
      callers: 3,
      status: 'reauth',
    })
    await until(
      async () => (await ledgerCounts(hub.db, backlog.integrationId)).pending?.n === 150,
      'the relay to hand the 150 calls to the sync',
    )
    await hub.db
      .update(integrations)
      .set({ status: 'connected' })
      .where(eq(integrations.id, backlog.integrationId))
    const enable = await hub.call('POST', `/v1/integrations/${backlog.integrationId}/enable`, {
      auth: `Basic ${Buffer.from(`${backlog.apiId}:${backlog.apiToken}`).toString('base64')}`,
    })
    expect(enable.status).toBeLessThan(300)
    const { accessToken } = await tokensOf(backlog.integrationId)
    await until(
      async () => (await ledgerCounts(hub.db, backlog.integrationId)).synced?.n === 150,
      '150 calls synced to Salesforce',
    )
    const collections = salesforce.requests.filter(
      (r) => r.path.endsWith('/composite/sobjects') && r.headers.authorization === `Bearer ${accessToken}`,
    )
    expect(collections.map((r) => (JSON.parse(r.rawBody) as { records: unknown[] }).records.length)).toEqual([
      150,
    ])
    const refs = new Set(salesforce.tasks().map((t) => t.CallObject))
    for (const id of backlog.callIds) expect(refs.has(`sb-call-${id}`)).toBe(true)
  })
})

/** Polls until `check` holds, moving the hub's clock on so backoffs and Retry-After waits pass. */
async function untilWithClock<T>(
  check: () => Promise<T | false | null | undefined>,
  what: string,
  stepMs = 20_000,
) {
  return until(async () => {
    const v = await check()
    if (!v) hub.clock.advance(stepMs)
    return v
  }, what)
}

const allSynced = (ids: number[], integrationId: number) => async () => {
  for (const id of ids) {
    const [ledger, call] = await Promise.all([ledgerOf(hub.db, id, integrationId), callRow(hub, id)])
    if (ledger?.state !== 'synced' || ledger.syncedVersion < call.version) return false
  }
  return true
}

const callWrites = (r: { method: string; path: string }) =>
  (r.method === 'POST' || r.method === 'PATCH') && r.path.startsWith('/crm/v3/objects/calls')

describe('when the CRM fails', () => {
  it('503s, then 429s for a while: once it recovers, each call is there exactly once', async () => {
    const s = await setup('hubspot')
    const before = hubspot.requests.length
    hubspot.fault({
      match: (r) => s.ours(r) && callWrites(r),
      times: 3,
      response: {
        status: 503,
        body: {
          status: 'error',
          message: 'Service Unavailable',
          category: 'SERVICE_UNAVAILABLE',
          correlationId: 'c-503',
        },
      },
    })
    hubspot.fault({
      match: (r) => s.ours(r) && callWrites(r),
      times: 2,
      response: {
        status: 429,
        headers: { 'x-hubspot-ratelimit-interval-milliseconds': '10000' },
        body: {
          status: 'error',
          message: 'You have reached your ten_secondly_rolling limit.',
          errorType: 'RATE_LIMIT',
          correlationId: 'c-429',
          policyName: 'TEN_SECONDLY_ROLLING',
        },
      },
    })
    const ids: number[] = []
    for (let i = 0; i < 3; i++) ids.push(await answeredCall(s, { from: newCaller(), talkMs: 2_000 }))
    await untilWithClock(allSynced(ids, s.integration.id), 'every call synced after the outage')
    for (const id of ids) expect(hubspotCallsOf(id)).toHaveLength(1)
    const answered = hubspot.requests.slice(before).filter(callWrites)
    // The outage was seen (3 × 503, 2 × 429) before the writes went through.
    expect(answered.length).toBeGreaterThanOrEqual(6)
    const [ledger] = await Promise.all(ids.map((id) => ledgerOf(hub.db, id, s.integration.id)))
    expect(ledger!.attempts).toBeGreaterThan(1)
    const [health] = await hub.db.select().from(integrations).where(eq(integrations.id, s.integration.id))
    expect(health!.unhealthySince).toBeNull()
    expect(health!.lastError).not.toBeNull()
  })

  it('a create whose answer was lost after HubSpot saved it is not made twice', async () => {
    const s = await setup('hubspot')
    hubspot.fault({
      match: (r) => s.ours(r) && r.method === 'POST' && r.path.startsWith('/crm/v3/objects/calls'),
      dropAfterHandling: true,
    })
    const id = await answeredCall(s, { from: newCaller(), talkMs: 2_000 })
    await untilWithClock(allSynced([id], s.integration.id), 'the call synced after the lost answer', 5_000)
    expect(hubspotCallsOf(id)).toHaveLength(1)
    const ledger = await ledgerOf(hub.db, id, s.integration.id)
    expect(ledger!.activityId).toBe(hubspotCallsOf(id)[0]!.id)
  })

  it('a 403 fails the calls, marks the integration unhealthy and mails the admins once; the next success heals it', async () => {
    const s = await setup('hubspot')
    const forbidden = {
      status: 403,
      body: {
        status: 'error',
        message: "This app hasn't been granted all required scopes",
        category: 'MISSING_SCOPES',
        correlationId: 'c-403',
      },
    }
    hubspot.fault({ match: (r) => s.ours(r) && callWrites(r), times: 2, response: forbidden })
    const first = await answeredCall(s, { from: newCaller(), talkMs: 2_000 })
    await until(
      async () => (await ledgerOf(hub.db, first, s.integration.id))?.state === 'failed',
      'the first call failed',
    )
    const second = await answeredCall(s, { from: newCaller(), talkMs: 2_000 })
    await until(
      async () => (await ledgerOf(hub.db, second, s.integration.id))?.state === 'failed',
      'the second call failed',
    )
    const failed = await ledgerOf(hub.db, second, s.integration.id)
    expect(failed!.lastError).toContain('scopes')
    expect(hubspotCallsOf(first)).toHaveLength(0)
    const mails = () => hub.mailer.sent.filter((m) => m.subject.includes(s.integration.name))
    await until(async () => mails().length > 0, 'the admin mail')
    const admin = await hub.userById(s.company.adminUserId)
    const [unhealthy] = await hub.db.select().from(integrations).where(eq(integrations.id, s.integration.id))
    expect(unhealthy!.unhealthySince).not.toBeNull()
    expect(unhealthy!.status).toBe('connected')
    expect(mails()).toHaveLength(1)
    expect(mails()[0]!.to).toBe(admin!.email)
    expect(mails()[0]!.text).toContain('scopes')

    // The admin fixed the scopes and replays the first call: logged, the spell is over.
    const replay = await hub.call('POST', `/v1/calls/${first}/sync/replay`, {
      auth: s.company.basic,
      body: {},
    })
    expect(replay.status, JSON.stringify(replay.body)).toBe(202)
    await synced(first, s.integration.id)
    expect(hubspotCallsOf(first)).toHaveLength(1)
    // The round records the success once its writes are in, a statement after the ledger's.
    await until(async () => {
      const [healed] = await hub.db.select().from(integrations).where(eq(integrations.id, s.integration.id))
      return healed!.unhealthySince === null
    }, 'the integration healthy again')
    expect((await ledgerOf(hub.db, second, s.integration.id))!.state).toBe('failed')
    expect(mails()).toHaveLength(1)

    // The operator's view: `sb sync:failed` lists the second call, `sb sync:replay` sends it.
    const listed = await failedSyncs({ db: hub.db }, {})
    expect(listed.filter((f) => f.integration_id === s.integration.id).map((f) => f.call_id)).toEqual([
      second,
    ])
    await replaySync(
      { db: hub.db, clock: hub.clock, queue: async () => hub.queue },
      { call_id: String(second) },
    )
    await synced(second, s.integration.id)
    expect(hubspotCallsOf(second)).toHaveLength(1)
  })
})

describe('tenants', () => {
  it("another company's call or integration is not found: no sync shown, no replay", async () => {
    const a = await setup('hubspot')
    const id = await answeredCall(a, { from: newCaller(), talkMs: 2_000 })
    await synced(id, a.integration.id)
    const b = await hub.createCompany()
    const bSetup = await setup('hubspot', {}, b)
    const bCall = await answeredCall(bSetup, { from: newCaller(), talkMs: 2_000 })

    expect((await hub.call('GET', `/v1/calls/${id}`, { auth: b.basic })).status).toBe(404)
    const replay = await hub.call('POST', `/v1/calls/${id}/sync/replay`, { auth: b.basic, body: {} })
    expect(replay.status).toBe(404)
    const foreignIntegration = await hub.call('POST', `/v1/calls/${bCall}/sync/replay`, {
      auth: b.basic,
      body: { integration_id: a.integration.id },
    })
    expect(foreignIntegration.status).toBe(404)
    const agent = await hub.call('POST', `/v1/calls/${id}/sync/replay`, {
      auth: a.company.agentBearer,
      body: {},
    })
    expect(agent.status).toBe(403)
    expect((await ledgerOf(hub.db, id, a.integration.id))!.state).toBe('synced')
    expect(hubspotCallsOf(id)).toHaveLength(1)
  })
})
