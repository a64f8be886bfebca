import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { apiTag } from '../../../../test/helpers/call-scenes.ts'
import { addAgent, callableNumber, until } from '../../../../test/helpers/calls.ts'
import { createTestHub, type TestCompany, type TestHub } from '../../../../test/helpers/hub.ts'
import { testCrmTokenKeys } from '../../../../test/helpers/integrations.ts'
import {
  approveSandboxConsent,
  connectUrl,
  openOAuthCallback,
} from '../../../../test/helpers/oauth-consent.ts'
import { stopSandboxCrms } from '../../../services/integrations/sandbox-crms.ts'

/**
 * What the product promises a new user, for each of the four CRMs: connect the sandbox CRM,
 * link a number, take a call, and find in the CRM the call's activity with its recording link,
 * tag and comment, on the caller's record. Through the HTTP API only, as the admin's API key:
 * the test reads the CRM where a user reads it (`GET /v1/integrations/:id/sandbox/activities`).
 */
let hub: TestHub
beforeAll(async () => {
  hub = await createTestHub({
    workers: true,
    env: {
      // HubSpot plays recordings from https links only.
      PUBLIC_URL: 'https://hub.test',
      CRM_TOKEN_KEYS: testCrmTokenKeys(),
    },
  })
})
afterAll(async () => {
  await stopSandboxCrms()
  await hub.close()
})

/** One item of the sandbox CRM, as `GET /v1/integrations/:id/sandbox/activities` lists it. */
type Item = { type: string; id: string; created_at: string | null; properties: Record<string, unknown> }

const CALLER = '+14155550123'
const TAG = 'Invoice question'
const COMMENT = 'Wants the invoice of March again'

const text = (v: unknown) => (typeof v === 'string' ? v : '')
const linkIn = (notes: unknown) => text(notes).match(/^Recording: (\S+)$/m)?.[1] ?? null

/** A Zendesk ticket's comments: the voice comment, then private notes. */
const comments = (a: Item) => a.properties.comments as { body?: string; voice?: { recording_url?: string } }[]

/** How each CRM shows a call: where its notes, recording link and tag are, and whose it is. */
const crms: Record<
  'hubspot' | 'salesforce' | 'zendesk' | 'dynamics',
  {
    name: string
    activity: string
    /** The type of record a caller it does not know becomes. */
    record: string
    notes(a: Item): string
    recordingUrl(a: Item): string | null
    /** Where the tag shows, and how it reads there. */
    tag(a: Item): string | string[]
    shownTag: string
    /** The records the activity is attached to. */
    attachedTo(a: Item): string[]
    phone(r: Item): unknown
  }
> = {
  hubspot: {
    name: 'HubSpot',
    activity: 'call',
    record: 'contact',
    notes: (a) => text(a.properties.hs_call_body),
    recordingUrl: (a) => text(a.properties.hs_call_recording_url) || null,
    tag: (a) => text(a.properties.hs_call_body),
    shownTag: `Tags: ${TAG}`,
    attachedTo: (a) => (a.properties.associations as { toId: unknown }[]).map((x) => String(x.toId)),
    phone: (r) => r.properties.phone,
  },
  salesforce: {
    name: 'Salesforce',
    activity: 'task',
    record: 'contact',
    notes: (a) => text(a.properties.Description),
    recordingUrl: (a) => linkIn(a.properties.Description),
    // The Call Result: the integration, the tags, the direction…
    tag: (a) => text(a.properties.CallDisposition).split(', '),
    shownTag: TAG,
    attachedTo: (a) => [text(a.properties.WhoId)],
    phone: (r) => r.properties.Phone,
  },
  zendesk: {
    name: 'Zendesk',
    activity: 'ticket',
    record: 'user',
    notes: (a) =>
      comments(a)
        .map((c) => text(c.body))
        .join('\n\n'),
    // The ticket's voice comment, which plays it.
    recordingUrl: (a) => text(comments(a).find((c) => c.voice)?.voice?.recording_url) || null,
    // Zendesk tags: lower case, no spaces.
    tag: (a) => a.properties.tags as string[],
    shownTag: 'invoice_question',
    attachedTo: (a) => [String(a.properties.requester_id)],
    phone: (r) => r.properties.phone,
  },
  dynamics: {
    name: 'Microsoft Dynamics 365',
    activity: 'phonecall',
    record: 'contact',
    notes: (a) => text(a.properties.description),
    recordingUrl: (a) => linkIn(a.properties.description),
    tag: (a) => text(a.properties.description),
    shownTag: `Tags: ${TAG}`,
    // Regarding the caller, who is also its Sender ("Call From") party.
    attachedTo: (a) => [
      text(a.properties._regardingobjectid_value),
      ...(a.properties.parties as { participationtypemask: number; partyId: string }[])
        .filter((p) => p.participationtypemask === 1)
        .map((p) => p.partyId),
    ],
    phone: (r) => r.properties.telephone1,
  },
}

/** A request as the admin's API key; the answer's body once its status is the expected one. */
async function api(company: TestCompany, method: string, path: string, body?: unknown, status = 200) {
  const res = await hub.call(method, path, { auth: company.basic, body })
  expect(res.status, `${method} ${path}: ${JSON.stringify(res.body)}`).toBe(status)
  return res.body
}

describe.each(Object.keys(crms) as (keyof typeof crms)[])('a new user with the sandbox %s', (kind) => {
  const crm = crms[kind]

  it('connects it, links a number, takes a recorded call and finds it in the CRM, tagged and commented, on the caller', async () => {
    const company = await hub.createCompany()
    const { catalogue } = await api(company, 'GET', '/v1/integrations/catalogue')
    expect(catalogue.find((e: { kind: string }) => e.kind === kind)).toMatchObject({
      sandbox_available: true,
    })

    // Create it and connect it: the consent page, Allow, the callback.
    const { integration } = await api(
      company,
      'POST',
      '/v1/integrations',
      { kind, name: `Sandbox ${crm.name}`, sandbox: true },
      201,
    )
    const location = await approveSandboxConsent(hub, await connectUrl(hub, company, integration.id))
    const page = await openOAuthCallback(hub, location)
    expect(page.status, page.html).toBe(200)
    expect(page.html).toContain(`<h1>${crm.name} connected</h1>`)
    const got = await api(company, 'GET', `/v1/integrations/${integration.id}`)
    expect(got.integration).toMatchObject({ status: 'connected', health: { last_error: null } })
    // A caller the CRM does not know gets a record, so the call has one to be attached to.
    await api(company, 'PUT', `/v1/integrations/${integration.id}/settings`, { unknown_number: 'contact' })

    // A number that records its inbound calls, ringing an agent who is online, linked.
    const agent = await addAgent(hub, company, { firstName: 'Ada', lastName: 'Lovelace' })
    hub.setOnline(company.id, agent.id)
    const number = await callableNumber(hub, company, (s) => ({
      messages: { ...s.messages, welcome: null },
      distribution: { ...s.distribution, steps: [{ type: 'user', user_id: agent.id, ring_time_sec: 30 }] },
      recording: { ...s.recording, inbound: { ...s.recording.inbound, auto_start: true } },
    }))
    await api(company, 'POST', `/v1/integrations/${integration.id}/numbers`, { number_ids: [number.id] })

    // The call: answered after 3 s, talked on 40 s, the caller hangs up; then tagged and commented.
    const placed = await api(company, 'POST', '/v1/sandbox/calls', { from: CALLER, to: number.e164 }, 201)
    const callId: number = placed.call.id
    hub.clock.advance(3_000)
    await api(company, 'POST', `/v1/sandbox/calls/${callId}/agents/${agent.id}/answer`, undefined, 204)
    hub.clock.advance(40_000)
    await api(company, 'POST', `/v1/sandbox/calls/${callId}/hangup`, undefined, 204)
    const tag = await apiTag(hub, company, TAG)
    await api(company, 'POST', `/v1/calls/${callId}/tags`, { tags: [tag.id] }, 201)
    await api(company, 'POST', `/v1/calls/${callId}/comments`, { content: COMMENT }, 201)

    // Synced, and since the comment: a first sync of the ended call may come before the tag.
    const { sync, activities, records } = await until(async () => {
      const { call } = await api(company, 'GET', `/v1/calls/${callId}`)
      const s = (call.sync as { integration_id: number; state: string; external_id: string }[]).find(
        (x) => x.integration_id === integration.id,
      )
      if (s?.state !== 'synced') return null
      const seen: { activities: Item[]; records: Item[] } = await api(
        company,
        'GET',
        `/v1/integrations/${integration.id}/sandbox/activities`,
      )
      return seen.activities.some((a) => crm.notes(a).includes(COMMENT)) ? { sync: s, ...seen } : null
    }, `call ${callId} synced to the sandbox ${kind}, with its comment`)
    expect(sync).toMatchObject({ kind, state: 'synced', last_error: null, external_id: expect.any(String) })

    // Exactly one activity for the call: the one the sync names.
    expect(activities).toHaveLength(1)
    const activity = activities[0]!
    expect(activity).toMatchObject({ type: crm.activity, id: sync.external_id })

    // The recording link: the hub's signed asset, which the CRM (or whoever clicks it) can fetch.
    const link = crm.recordingUrl(activity)
    expect(link).toMatch(new RegExp(`^https://hub\\.test/v1/call-assets/${company.id}/${callId}/recording-`))
    const recording = new URL(link!)
    expect((await hub.app.request(`${recording.pathname}${recording.search}`)).status).toBe(200)

    expect(crm.tag(activity)).toContain(crm.shownTag)
    expect(crm.notes(activity)).toContain(COMMENT)

    // On the caller's record, the only one the CRM holds.
    expect(records).toHaveLength(1)
    const caller = records[0]!
    expect(caller.type).toBe(crm.record)
    expect(crm.phone(caller)).toBe(CALLER)
    expect([...new Set(crm.attachedTo(activity))]).toEqual([caller.id])
  })
})
