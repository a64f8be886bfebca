import { eq, inArray } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestHub, type TestCompany, type TestHub } from '../../../../test/helpers/hub.ts'
import { securityCases } from '../../../../test/helpers/security.ts'
import { blacklistedNumbers, numbers, users as usersTable } from '../../../db/schema/index.ts'
import { addTeam, addUser, createNumber } from './numbers-fixtures.ts'

let hub: TestHub
beforeAll(async () => {
  hub = await createTestHub()
})
afterAll(() => hub.close())

const CALLER = '+33 6 12 34 56 78'
/** Monday 2 March 2026, 10:00 in Paris. */
const MONDAY_10 = '2026-03-02T10:00:00+01:00'
/** Christmas Day 2026, 10:00 in Paris (a Friday). */
const CHRISTMAS_10 = '2026-12-25T10:00:00+01:00'

const holidays = [
  { name: 'Christmas', start: '2026-12-24T18:00', end: '2026-12-27T00:00', destination: null },
]
const office = {
  time_zone: 'Europe/Paris',
  mode: 'custom',
  weekly: Object.fromEntries(
    ['monday', 'tuesday', 'wednesday', 'thursday', 'friday'].map((d) => [
      d,
      [{ from: '09:00', to: '18:00' }],
    ]),
  ),
  exceptions: holidays,
}
const tts = (text: string) => ({ type: 'tts', text, language: 'en-GB' })

type Setup = Awaited<ReturnType<typeof setUp>>

/**
 * The scenario: an IVR front desk with holidays whose option 1 transfers to a sales
 * line with holidays and a three-step distribution (Alice, then team Support, then Dave).
 */
async function setUp(company: TestCompany) {
  const alice = await addUser(hub, company, { first: 'Alice', last: 'Martin' })
  const bob = await addUser(hub, company, { first: 'Bob', last: 'Durand' })
  const carol = await addUser(hub, company, { first: 'Carol', last: 'Petit' })
  const dave = await addUser(hub, company, { first: 'Dave', last: 'Moreau' })
  const support = await addTeam(hub, company, 'Support', [bob, carol])
  const sales = await createNumber(hub, company, { country: 'FR', area: '1', name: 'Sales' })
  const desk = await createNumber(hub, company, { type: 'ivr', country: 'FR', area: '1', name: 'Front desk' })
  // French numbers wait for documents and refuse calls until then: approve them as the
  // operator would (the approval flow has its own tests).
  await hub.db
    .update(numbers)
    .set({ verificationState: 'active' })
    .where(inArray(numbers.id, [sales.id, desk.id]))
  const salesSettings = await hub.call('PATCH', `/v1/numbers/${sales.id}/settings`, {
    auth: company.basic,
    body: {
      business_hours: office,
      messages: {
        welcome: tts('Welcome to Acme Sales'), // 21 characters: 2 s
        closed: tts('Sales is closed'),
        unavailable: tts('Nobody can take your call right now'), // 35 characters: 3 s
      },
      distribution: {
        steps: [
          { type: 'user', user_id: alice },
          { type: 'team', team_id: support },
          { type: 'user', user_id: dave, ring_time_sec: 30 },
        ],
      },
    },
  })
  expect(salesSettings.status, JSON.stringify(salesSettings.body)).toBe(200)
  const deskSettings = await hub.call('PATCH', `/v1/numbers/${desk.id}/settings`, {
    auth: company.basic,
    body: {
      business_hours: office,
      messages: {
        welcome: null,
        closed: tts('Our offices are closed for the holidays'), // 39 characters: 3 s
        unavailable: tts('Please leave a message'),
        ivr_menu: tts('Press 1 for sales, 2 for support'), // 32 characters: 3 s
      },
      ivr: {
        options: [
          { key: '1', destination: { type: 'number', number_id: sales.id } },
          { key: '2', destination: { type: 'team', team_id: support } },
        ],
        fallback: { type: 'voicemail' },
        timeout_sec: 5,
      },
    },
  })
  expect(deskSettings.status, JSON.stringify(deskSettings.body)).toBe(200)
  return { alice, bob, carol, dave, support, sales, desk }
}

const preview = (company: TestCompany, numberId: number, body: Record<string, unknown>) =>
  hub.call('POST', `/v1/numbers/${numberId}/preview`, {
    auth: company.basic,
    body: { from: CALLER, ...body },
  })

const timeline = (steps: { t: number; action: string }[]) => steps.map((s) => `${s.t} ${s.action}`)

describe('POST /v1/numbers/:id/preview', () => {
  it('explains a call through the IVR, to the sales line and down its three-step distribution', async () => {
    const company = await hub.createCompany()
    const s: Setup = await setUp(company)
    const res = await preview(company, s.desk.id, {
      at: MONDAY_10,
      digits: '1',
      presence: { [s.alice]: 'offline' },
    })
    expect(res.status, JSON.stringify(res.body)).toBe(200)
    const steps = res.body.steps
    expect(timeline(steps)).toEqual([
      '0 hours',
      '0 gather',
      '3 digit',
      '3 transfer',
      '3 hours',
      '3 play',
      '5 skip',
      '5 ring',
      '25 ring',
      '55 play',
      '58 voicemail',
    ])
    expect(steps[0].detail).toBe('Open: within business hours (monday 10:00 in Europe/Paris).')
    expect(steps[1]).toMatchObject({
      at: '2026-03-02T09:00:00.000Z',
      detail:
        'Plays the IVR menu "Press 1 for sales, 2 for support" (play 1 of 2, 3 s), then waits 5 s for a key.',
      timeout_sec: 5,
    })
    expect(steps[2].detail).toBe('The caller presses 1.')
    expect(steps[3].detail).toContain('Transfers the call to the number "Sales"')
    expect(steps[5].detail).toBe('Plays the welcome message "Welcome to Acme Sales" (2 s).')
    expect(steps[6].detail).toBe(
      'Skipped (step 1/3, Alice Martin): nobody can take the call (Alice Martin: offline).',
    )
    expect(steps[7]).toMatchObject({
      at: '2026-03-02T09:00:05.000Z',
      detail: 'Rings Bob Durand, Carol Petit for 20 s (step 2/3, team Support (simultaneous)).',
      users: [
        { id: s.bob, name: 'Bob Durand' },
        { id: s.carol, name: 'Carol Petit' },
      ],
      timeout_sec: 20,
    })
    expect(steps[8]).toMatchObject({
      detail: 'Rings Dave Moreau for 30 s (step 3/3, Dave Moreau).',
      users: [{ id: s.dave, name: 'Dave Moreau' }],
    })
    expect(steps[9].detail).toBe('Plays the unavailable message "Nobody can take your call right now" (3 s).')
    expect(res.body).toMatchObject({
      outcome: 'voicemail',
      missed_call_reason: 'agents_did_not_answer',
      ivr_keys: ['1'],
    })
  })

  it('takes the holiday path on Christmas Day', async () => {
    const company = await hub.createCompany()
    const s = await setUp(company)
    const res = await preview(company, s.desk.id, { at: CHRISTMAS_10, digits: '1' })
    expect(res.status).toBe(200)
    expect(timeline(res.body.steps)).toEqual(['0 hours', '0 play', '3 voicemail'])
    expect(res.body.steps[0].detail).toBe(
      'Exceptional period "Christmas" (until 2026-12-27T00:00, friday 10:00 in Europe/Paris): closed.',
    )
    expect(res.body.steps[1].detail).toBe(
      'Plays the closed message "Our offices are closed for the holidays" (3 s).',
    )
    expect(res.body).toMatchObject({
      outcome: 'voicemail',
      missed_call_reason: 'out_of_opening_hours',
      ivr_keys: [],
    })
  })

  it('takes the closed path for a holiday sent to voicemail: closed message, out_of_opening_hours', async () => {
    const company = await hub.createCompany()
    const s = await setUp(company)
    const put = await hub.call('PUT', `/v1/numbers/${s.sales.id}/settings/business_hours`, {
      auth: company.basic,
      body: { ...office, exceptions: [{ ...holidays[0], destination: { type: 'voicemail' } }] },
    })
    expect(put.status, JSON.stringify(put.body)).toBe(200)
    const res = await preview(company, s.sales.id, { at: CHRISTMAS_10 })
    expect(res.status).toBe(200)
    expect(timeline(res.body.steps)).toEqual(['0 hours', '0 play', '2 voicemail'])
    expect(res.body.steps[0].detail).toBe(
      'Exceptional period "Christmas" (until 2026-12-27T00:00, friday 10:00 in Europe/Paris): closed, then voicemail.',
    )
    expect(res.body.steps[1].detail).toBe('Plays the closed message "Sales is closed" (2 s).')
    expect(res.body).toMatchObject({ outcome: 'voicemail', missed_call_reason: 'out_of_opening_hours' })
  })

  it('says a number that is not live yet refuses calls, whatever the hours and agents', async () => {
    const company = await hub.createCompany()
    const alice = await addUser(hub, company, { first: 'Alice', last: 'Martin' })
    const n = await createNumber(hub, company, { country: 'FR', area: '1', name: 'New line' })
    expect(n.verification_state).toBe('pending_documents')
    await hub.call('PUT', `/v1/numbers/${n.id}/settings/distribution`, {
      auth: company.basic,
      body: { steps: [{ type: 'user', user_id: alice }] },
    })
    const cases = [
      ['pending_documents', 'This number is not live yet (documents pending): calls are refused.'],
      ['in_review', 'This number is not live yet (documents in review): calls are refused.'],
      ['rejected', 'This number is not live yet (documents rejected): calls are refused.'],
    ] as const
    for (const [state, sentence] of cases) {
      await hub.db.update(numbers).set({ verificationState: state }).where(eq(numbers.id, n.id))
      const res = await preview(company, n.id, { at: MONDAY_10 })
      expect(res.status).toBe(200)
      expect(res.body.steps, state).toEqual([
        { at: '2026-03-02T09:00:00.000Z', t: 0, action: 'reject', detail: sentence },
      ])
      expect(res.body).toMatchObject({ outcome: 'rejected', missed_call_reason: null, ivr_keys: [] })
    }
    // Once the documents are approved, the same call rings Alice.
    await hub.db.update(numbers).set({ verificationState: 'active' }).where(eq(numbers.id, n.id))
    const live = await preview(company, n.id, { at: MONDAY_10 })
    expect(live.body.steps.map((st: { action: string }) => st.action)).toContain('ring')
  })

  it('replays the menu once when no key is pressed, then takes the fallback', async () => {
    const company = await hub.createCompany()
    const s = await setUp(company)
    const res = await preview(company, s.desk.id, { at: 1772442000 }) // MONDAY_10 in UNIX seconds
    expect(res.status).toBe(200)
    expect(timeline(res.body.steps)).toEqual([
      '0 hours',
      '0 gather',
      '8 no_input',
      '8 gather',
      '16 no_input',
      '16 play',
      '18 voicemail',
    ])
    expect(res.body.steps[3].detail).toContain('(play 2 of 2, 3 s)')
    expect(res.body).toMatchObject({
      outcome: 'voicemail',
      ivr_keys: ['fallback'],
      missed_call_reason: 'no_available_agent',
    })
  })

  it('uses availability settings by default, and * while waiting asks for a callback', async () => {
    const company = await hub.createCompany()
    const s = await setUp(company)
    await hub.call('PUT', `/v1/numbers/${s.sales.id}/settings/distribution`, {
      auth: company.basic,
      body: { steps: [{ type: 'user', user_id: s.alice }], respect_queue_time: false },
    })
    // Alice is available by default: she is rung; the caller presses * while it rings.
    const star = await preview(company, s.sales.id, { at: MONDAY_10, digits: '*' })
    expect(timeline(star.body.steps)).toEqual([
      '0 hours',
      '0 play',
      '2 ring',
      '2 digit',
      '2 play',
      '6 hangup',
    ])
    expect(star.body.steps[3].detail).toBe('The caller presses * to ask to be called back.')
    // The French number's default confirmation (setting other messages left it in place).
    expect(star.body.steps[4].detail).toBe(
      'Plays the callback confirmation message "Merci, nous vous rappellerons dès que possible." (4 s).',
    )
    expect(star.body.outcome).toBe('callback')

    // Marked unavailable in her settings, she is skipped and the call goes to voicemail.
    await hub.db
      .update(usersTable)
      .set({ availabilityStatus: 'unavailable' })
      .where(eq(usersTable.id, s.alice))
    const skipped = await preview(company, s.sales.id, { at: MONDAY_10 })
    expect(timeline(skipped.body.steps)).toEqual(['0 hours', '0 play', '2 skip', '2 play', '5 voicemail'])
    expect(skipped.body.steps[2].detail).toContain('Alice Martin: unavailable')
    expect(skipped.body.missed_call_reason).toBe('no_available_agent')

    // A busy member with respect queue time makes the caller wait for the step's time.
    await hub.call('PUT', `/v1/numbers/${s.sales.id}/settings/distribution`, {
      auth: company.basic,
      body: { steps: [{ type: 'team', team_id: s.support }], respect_queue_time: true },
    })
    const waiting = await preview(company, s.sales.id, {
      at: MONDAY_10,
      presence: { [s.bob]: 'in_call', [s.carol]: 'after_call_work' },
    })
    expect(timeline(waiting.body.steps)).toEqual(['0 hours', '0 play', '2 wait', '22 play', '25 voicemail'])
    expect(waiting.body.steps[2]).toMatchObject({ timeout_sec: 20 })
  })

  it('waits for agents ringing with another call or finishing one (tag pending), and says so', async () => {
    const company = await hub.createCompany()
    const s = await setUp(company)
    const res = await preview(company, s.sales.id, {
      at: MONDAY_10,
      presence: { [s.alice]: 'pending_tag', [s.bob]: 'ringing', [s.carol]: 'offline', [s.dave]: 'available' },
    })
    expect(res.status, JSON.stringify(res.body)).toBe(200)
    const steps = res.body.steps
    expect(timeline(steps)).toEqual([
      '0 hours',
      '0 play',
      '2 wait',
      '27 wait',
      '47 ring',
      '77 play',
      '80 voicemail',
    ])
    expect(steps[2]).toMatchObject({
      timeout_sec: 25,
      detail:
        'Nobody is free yet (step 1/3, Alice Martin): Alice Martin is finishing a call (tag pending): waited for. ' +
        'The caller hears music on hold for up to 25 s.',
    })
    expect(steps[3]).toMatchObject({
      timeout_sec: 20,
      detail:
        'Nobody is free yet (step 2/3, team Support (simultaneous)): Bob Durand is ringing with another call: ' +
        'waited for; Carol Petit is offline. The caller hears music on hold for up to 20 s.',
    })
    expect(steps[4].detail).toBe('Rings Dave Moreau for 30 s (step 3/3, Dave Moreau).')
    expect(res.body.missed_call_reason).toBe('agents_did_not_answer')

    // Nobody busy and nobody available: no waiting, straight to voicemail.
    const away = await preview(company, s.sales.id, {
      at: MONDAY_10,
      presence: { [s.alice]: 'offline', [s.bob]: 'unavailable', [s.carol]: 'offline', [s.dave]: 'offline' },
    })
    expect(timeline(away.body.steps)).toEqual([
      '0 hours',
      '0 play',
      '2 skip',
      '2 skip',
      '2 skip',
      '2 play',
      '5 voicemail',
    ])
    expect(away.body.missed_call_reason).toBe('no_available_agent')
  })

  it('rejects blacklisted callers before anything else', async () => {
    const company = await hub.createCompany()
    const s = await setUp(company)
    await hub.db
      .insert(blacklistedNumbers)
      .values({ companyId: company.id, e164: '+33612345678', rawDigits: CALLER })
    const res = await preview(company, s.desk.id, { at: MONDAY_10, digits: '1' })
    expect(res.status).toBe(200)
    expect(timeline(res.body.steps)).toEqual(['0 reject'])
    expect(res.body.outcome).toBe('rejected')
    const other = await preview(company, s.desk.id, { from: '+33 6 98 76 54 32', at: MONDAY_10, digits: '1' })
    expect(other.body.outcome).toBe('voicemail')
  })

  it('defaults to now and refuses bad input, naming the field', async () => {
    const company = await hub.createCompany()
    const n = await createNumber(hub, company)
    const ok = await preview(company, n.id, {})
    expect(ok.status).toBe(200)
    expect(ok.body.steps[0]).toMatchObject({ at: hub.clock.now().toISOString(), t: 0, action: 'hours' })
    const other = await hub.createCompany()
    const cases: [Record<string, unknown>, string][] = [
      [{ from: 'not a phone' }, 'from'],
      [{ at: 'tomorrow' }, 'at'],
      [{ at: '2026-03-02T10:00' }, 'at'],
      [{ digits: '12a' }, 'digits'],
      [{ presence: { [company.agentUserId]: 'sleeping' } }, `presence.${company.agentUserId}`],
      [{ presence: { [other.agentUserId]: 'available' } }, `presence.${other.agentUserId}`],
    ]
    for (const [body, field] of cases) {
      const res = await preview(company, n.id, body)
      expect(res.status, JSON.stringify(body)).toBe(400)
      expect(res.body.field, JSON.stringify(res.body)).toBe(field)
    }
  })

  securityCases(() => hub, {
    method: 'POST',
    path: async (company) => `/v1/numbers/${(await createNumber(hub, company)).id}/preview`,
    body: { from: CALLER },
    adminOnly: true,
    ownedResource: true,
  })
})
