import { eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { apiTag } from '../../../../test/helpers/call-scenes.ts'
import {
  addAgent,
  addTeam,
  advanceUntilApplied,
  callableNumber,
  callRow,
  finalEventsOf,
  recordCarrierCommands,
  timelineOf,
  ttsSec,
  until,
} from '../../../../test/helpers/calls.ts'
import { createTestHub, type TestCompany, type TestHub } from '../../../../test/helpers/hub.ts'
import { calls } from '../../../db/schema/index.ts'
import { estimateMp3DurationMs, isMp3 } from '../../../services/numbers/mp3.ts'

/**
 * Whole inbound calls through the simulation API on the fake clock: the call as the API
 * stores it, its timeline, what agents' clients receive and what a webhook receiver gets.
 */
let hub: TestHub
beforeAll(async () => {
  hub = await createTestHub({ workers: true })
})
afterAll(() => hub.close())

const CALLER = '+33612345678'

async function dial(company: TestCompany, to: string, from = CALLER) {
  const res = await hub.call('POST', '/v1/sandbox/calls', { auth: company.basic, body: { from, to } })
  expect(res.status, JSON.stringify(res.body)).toBe(201)
  return res.body.call as { id: number; status: string; [k: string]: unknown }
}

async function post(company: TestCompany, path: string, body?: unknown) {
  const res = await hub.call('POST', path, { auth: company.basic, body })
  expect(res.status, JSON.stringify(res.body)).toBe(204)
}

/** Waits until the user's clients got a frame of that type for the call. */
const framesUntil = (userId: number, callId: number, type: string) =>
  until(
    async () => hub.agentChannel.framesOf(userId, callId).some((m) => m.type === type),
    `${type} to ${userId}`,
  )

const events = async (company: TestCompany, callId: number) =>
  (await finalEventsOf(hub, company.id, callId)).map((e) => e.event)

describe('closed number', () => {
  it('plays the closed message, then records a voicemail; missed out_of_opening_hours', async () => {
    const company = await hub.createCompany()
    const number = await callableNumber(hub, company, (s) => ({
      business_hours: { ...s.business_hours, mode: 'always_closed' },
    }))
    const closedText = (number.settings.messages.closed as { text: string }).text
    const call = await dial(company, number.e164)
    expect(call).toMatchObject({
      status: 'initial',
      direction: 'inbound',
      raw_digits: CALLER,
      ended_at: null,
    })

    const afterMessage = await advanceUntilApplied(hub, call.id, ttsSec(closedText) * 1000)
    expect(afterMessage.state).toMatchObject({ phase: 'voicemail' })
    hub.clock.advance(15_000)
    await post(company, `/v1/sandbox/calls/${call.id}/voicemail`, { duration_sec: 15 })

    const row = await callRow(hub, call.id)
    expect(row).toMatchObject({
      status: 'done',
      missedCallReason: 'out_of_opening_hours',
      voicemailDurationSec: 15,
    })
    expect(row.answeredAt).toBeNull()
    const received = await finalEventsOf(hub, company.id, call.id)
    expect((await timelineOf(hub, call.id)).map((t) => [t.type, t.data.phase])).toEqual([
      ['start', 'closed_message'],
      ['timer', 'voicemail'],
      ['voicemail_left', 'ended'],
      ['finalized', undefined],
    ])
    // call.hungup at once; the voicemail's events once its file is stored, then call.ended.
    expect(received.map((e) => e.event)).toEqual([
      'call.created',
      'call.hungup',
      'call.voicemail_left',
      'call.comm_assets_generated',
      'call.ended',
    ])
    expect(received[1]!.data.voicemail).toBeNull()
    const ended = received.at(-1)!.data
    // The voicemail: a 15 s MP3 behind a signed link that needs no credentials, valid 1 h.
    for (const e of received.slice(2)) expect(e.data.voicemail).toBe(ended.voicemail)
    expect(ended.recording).toBeNull()
    const link = new URL(ended.voicemail)
    expect(Number(link.searchParams.get('expires')) - Math.floor(hub.clock.now().getTime() / 1000)).toBe(3600)
    const file = await hub.app.request(`${link.pathname}${link.search}`)
    expect(file.status).toBe(200)
    expect(file.headers.get('content-type')).toBe('audio/mpeg')
    const bytes = new Uint8Array(await file.arrayBuffer())
    expect(isMp3(bytes)).toBe(true)
    expect(Math.abs(estimateMp3DurationMs(bytes)! - 15_000)).toBeLessThan(200)
    const api = await hub.call('GET', `/v1/calls/${call.id}`, { auth: company.basic })
    expect(new URL(api.body.call.voicemail).pathname).toBe(link.pathname)
    expect(ended).toMatchObject({
      id: call.id,
      direction: 'inbound',
      status: 'done',
      missed_call_reason: 'out_of_opening_hours',
      raw_digits: CALLER,
      answered_at: null,
      number: { id: number.id, digits: number.e164 },
      user: null,
    })
    expect(ended.duration).toBe(ended.ended_at - ended.started_at)
    expect(ended.duration).toBe(ttsSec(closedText) + 15)
  })
})

describe('distribution', () => {
  it('rings the first step, then the team of the second when it times out; an agent answers and hangs up', async () => {
    const company = await hub.createCompany()
    const first = await addAgent(hub, company)
    const a = await addAgent(hub, company)
    const b = await addAgent(hub, company)
    const team = await addTeam(hub, company, 'Support', [a.id, b.id])
    for (const u of [first, a, b]) hub.setOnline(company.id, u.id)
    const number = await callableNumber(hub, company, (s) => ({
      messages: { ...s.messages, welcome: null },
      distribution: {
        ...s.distribution,
        steps: [
          { type: 'user', user_id: first.id, ring_time_sec: 15 },
          { type: 'team', team_id: team.id, ring_time_sec: 30, strategy: 'simultaneous' },
        ],
      },
    }))
    const call = await dial(company, number.e164)
    expect((await callRow(hub, call.id)).ringing).toEqual([first.id])
    expect(hub.agentChannel.framesOf(first.id, call.id)).toMatchObject([
      {
        type: 'call.ringing',
        call: { call_id: call.id, status: 'ringing', external_number: CALLER, team: null },
      },
    ])

    const second = await advanceUntilApplied(hub, call.id, 15_000)
    expect(second.ringing).toEqual([a.id, b.id])
    expect(second.teamId).toBe(team.id)
    // Agents hear of it once the commit's effects ran (the timer's job, in the background).
    await framesUntil(first.id, call.id, 'call.ring_stopped')
    expect(hub.agentChannel.framesOf(first.id, call.id).map((m) => m.type)).toEqual([
      'call.ringing',
      'call.ring_stopped',
    ])

    hub.clock.advance(4_000)
    await post(company, `/v1/sandbox/calls/${call.id}/agents/${b.id}/answer`)
    const answered = await callRow(hub, call.id)
    expect(answered).toMatchObject({ status: 'answered', userId: b.id, missedCallReason: null, ringing: [] })
    expect(hub.agentChannel.framesOf(a.id, call.id).at(-1)).toEqual({
      type: 'call.ring_stopped',
      call_id: call.id,
      reason: 'answered_elsewhere',
    })
    expect(hub.agentChannel.framesOf(b.id, call.id).at(-1)).toMatchObject({
      type: 'call.answered',
      call: { status: 'answered', team: { id: team.id, name: 'Support' } },
    })
    // A duplicated carrier event changes nothing.
    await post(company, `/v1/sandbox/calls/${call.id}/agents/${b.id}/answer`)
    expect((await callRow(hub, call.id)).version).toBe(answered.version)

    hub.clock.advance(60_000)
    await post(company, `/v1/sandbox/calls/${call.id}/hangup`)
    const done = await callRow(hub, call.id)
    expect(done.status).toBe('done')
    expect(await events(company, call.id)).toEqual([
      'call.created',
      'call.ringing_on_agent',
      'call.ringing_on_agent',
      'call.ringing_on_agent',
      'call.answered',
      'call.hungup',
      'call.comm_assets_generated',
      'call.ended',
    ])
    const received = await finalEventsOf(hub, company.id, call.id)
    // The number records inbound calls from the answer: a 60 s recording behind a signed link.
    const recording = new URL(received.at(-1)!.data.recording)
    const file = new Uint8Array(
      await (await hub.app.request(`${recording.pathname}${recording.search}`)).arrayBuffer(),
    )
    expect(Math.abs(estimateMp3DurationMs(file)! - 60_000)).toBeLessThan(300)
    expect(received.at(-1)!.data.voicemail).toBeNull()
    expect(received.filter((e) => e.event === 'call.ringing_on_agent').map((e) => e.data.user.id)).toEqual([
      first.id,
      a.id,
      b.id,
    ])
    expect(received.at(-1)!.data).toMatchObject({
      status: 'done',
      user: { id: b.id },
      teams: [{ id: team.id, name: 'Support' }],
      missed_call_reason: null,
      duration: 15 + 4 + 60,
    })
    expect(received.at(-1)!.data.answered_at - received.at(-1)!.data.started_at).toBe(19)
  })
})

describe('IVR', () => {
  it('plays the welcome, replays the menu after a wrong key, routes on a valid one; a decline leads to voicemail', async () => {
    const company = await hub.createCompany()
    const agent = await addAgent(hub, company)
    hub.setOnline(company.id, agent.id)
    const welcome = 'Welcome to Acme support.'
    const number = await callableNumber(
      hub,
      company,
      (s) => ({
        messages: {
          ...s.messages,
          welcome: { type: 'tts', text: welcome, language: 'en-US', voice: 'female' },
        },
        ivr: {
          options: [{ key: '1', destination: { type: 'user', user_id: agent.id, ring_time_sec: 20 } }],
          fallback: { type: 'voicemail' },
          timeout_sec: 5,
        },
      }),
      { type: 'ivr' },
    )
    const call = await dial(company, number.e164)
    expect((await callRow(hub, call.id)).state).toMatchObject({ phase: 'welcome' })
    const menu = await advanceUntilApplied(hub, call.id, ttsSec(welcome) * 1000)
    expect(menu.state).toMatchObject({ phase: 'ivr_menu', ivrPlays: 1 })
    const seconds = () => Math.floor(hub.clock.now().getTime() / 1000)
    const menuAt = seconds()

    hub.clock.advance(3_000)
    await post(company, `/v1/sandbox/calls/${call.id}/digits`, { digits: '7' })
    expect((await callRow(hub, call.id)).state).toMatchObject({ phase: 'ivr_menu', ivrPlays: 2 })
    hub.clock.advance(4_000)
    const chosenAt = seconds()
    await post(company, `/v1/sandbox/calls/${call.id}/digits`, { digits: '1' })
    expect((await callRow(hub, call.id)).ringing).toEqual([agent.id])
    expect(hub.agentChannel.framesOf(agent.id, call.id)).toMatchObject([
      { type: 'call.ringing', call: { ivr_path: ['1'] } },
    ])

    await post(company, `/v1/sandbox/calls/${call.id}/agents/${agent.id}/decline`)
    const declined = await callRow(hub, call.id)
    expect(declined.state).toMatchObject({ phase: 'unavailable_message', declined: [agent.id] })
    expect(hub.agentChannel.framesOf(agent.id, call.id).at(-1)).toEqual({
      type: 'call.ring_stopped',
      call_id: call.id,
      reason: 'declined',
    })
    const unavailableText = (number.settings.messages.unavailable as { text: string }).text
    await advanceUntilApplied(hub, call.id, ttsSec(unavailableText) * 1000)
    await post(company, `/v1/sandbox/calls/${call.id}/voicemail`, { duration_sec: 8 })

    const received = await finalEventsOf(hub, company.id, call.id)
    expect(received.map((e) => e.event)).toEqual([
      'call.created',
      'call.ivr_option_selected',
      'call.ringing_on_agent',
      'call.agent_declined',
      'call.hungup',
      'call.voicemail_left',
      'call.comm_assets_generated',
      'call.ended',
    ])
    expect(received[3]!.data.user.id).toBe(agent.id)
    expect(received.at(-1)!.data).toMatchObject({
      status: 'done',
      missed_call_reason: 'agents_did_not_answer',
    })
    // The wrong key is not a choice; the menu's span runs from its first play to the choice.
    const selected = [
      {
        key: '1',
        title: null,
        created_at: chosenAt,
        transition_started_at: menuAt,
        transition_ended_at: chosenAt,
      },
    ]
    expect(received.at(-1)!.data.ivr_options_selected).toEqual(selected)
    const api = await hub.call('GET', `/v1/calls/${call.id}`, { auth: company.basic })
    expect(api.body.call.ivr_options_selected).toEqual(selected)

    // A call stored before the times were kept shows its keys alone.
    const {
      ivrKeysAt: _at,
      ivrMenuAt: _menu,
      ...older
    } = (await callRow(hub, call.id)).state as Record<string, unknown>
    await hub.db.update(calls).set({ state: older }).where(eq(calls.id, call.id))
    const before = await hub.call('GET', `/v1/calls/${call.id}`, { auth: company.basic })
    expect(before.body.call.ivr_options_selected).toEqual([{ key: '1' }])
  })

  it('takes the fallback after the menu played twice without a key', async () => {
    const company = await hub.createCompany()
    const number = await callableNumber(
      hub,
      company,
      (s) => ({
        ivr: { ...s.ivr, options: [{ key: '1', destination: { type: 'hangup' } }], timeout_sec: 5 },
      }),
      { type: 'ivr' },
    )
    const menuText = (number.settings.messages.ivr_menu as { text: string }).text
    const call = await dial(company, number.e164)
    const menuAt = Math.floor(hub.clock.now().getTime() / 1000)
    expect((await callRow(hub, call.id)).state).toMatchObject({ phase: 'ivr_menu', ivrPlays: 1 })
    const replay = await advanceUntilApplied(hub, call.id, (ttsSec(menuText) + 5) * 1000)
    expect(replay.state).toMatchObject({ phase: 'ivr_menu', ivrPlays: 2 })
    const fallback = await advanceUntilApplied(hub, call.id, (ttsSec(menuText) + 5) * 1000)
    // Fallback voicemail: the unavailable message, then the recording.
    expect(fallback.state).toMatchObject({ phase: 'unavailable_message', ivrKeys: ['fallback'] })
    hub.clock.advance(3_000)
    await post(company, `/v1/sandbox/calls/${call.id}/hangup`)
    const received = await finalEventsOf(hub, company.id, call.id)
    expect(received.map((e) => e.event)).toEqual([
      'call.created',
      'call.ivr_option_selected',
      'call.hungup',
      'call.ended',
    ])
    // Two plays of the menu and their waits, then the fallback.
    const fallbackAt = menuAt + 2 * (ttsSec(menuText) + 5)
    expect(received.at(-1)!.data).toMatchObject({
      ivr_options_selected: [
        {
          key: 'fallback',
          created_at: fallbackAt,
          transition_started_at: menuAt,
          transition_ended_at: fallbackAt,
        },
      ],
      missed_call_reason: 'no_available_agent',
    })
  })
})

describe('rejections', () => {
  it('rejects a blacklisted caller before anything plays; nobody rings', async () => {
    const company = await hub.createCompany()
    const agent = await addAgent(hub, company)
    hub.setOnline(company.id, agent.id)
    const number = await callableNumber(hub, company, (s) => ({
      distribution: { ...s.distribution, steps: [{ type: 'user', user_id: agent.id, ring_time_sec: 20 }] },
    }))
    const blocked = await hub.call('POST', '/v1/blacklist', { auth: company.basic, body: { number: CALLER } })
    expect(blocked.status).toBe(201)
    const call = await dial(company, number.e164)
    expect(call).toMatchObject({ status: 'done', answered_at: null, duration: 0 })
    expect((await timelineOf(hub, call.id)).map((t) => t.data.instruction)).toEqual([
      { action: 'reject', reason: 'blacklisted' },
    ])
    expect(await events(company, call.id)).toEqual(['call.created', 'call.hungup', 'call.ended'])
    expect(hub.agentChannel.framesOf(agent.id, call.id)).toEqual([])
  })

  it('refuses calls to a number that is not live yet', async () => {
    const company = await hub.createCompany()
    const number = await callableNumber(hub, company, () => ({}), { verificationState: 'pending_documents' })
    const call = await dial(company, number.e164)
    expect(call.status).toBe('done')
    expect((await timelineOf(hub, call.id)).map((t) => t.data.instruction)).toEqual([
      { action: 'reject', reason: 'number_inactive' },
    ])
  })
})

describe('caller hangs up', () => {
  it('while ringing: short_abandoned within 10 s, abandoned_in_classic after; the agent stops ringing', async () => {
    const company = await hub.createCompany()
    const agent = await addAgent(hub, company)
    hub.setOnline(company.id, agent.id)
    const number = await callableNumber(hub, company, (s) => ({
      distribution: { ...s.distribution, steps: [{ type: 'user', user_id: agent.id, ring_time_sec: 60 }] },
    }))
    const short = await dial(company, number.e164)
    hub.clock.advance(5_000)
    await post(company, `/v1/sandbox/calls/${short.id}/hangup`)
    expect(await callRow(hub, short.id)).toMatchObject({
      status: 'done',
      missedCallReason: 'short_abandoned',
    })
    expect(hub.agentChannel.framesOf(agent.id, short.id).at(-1)).toEqual({
      type: 'call.ring_stopped',
      call_id: short.id,
      reason: 'caller_hung_up',
    })

    const long = await dial(company, number.e164)
    expect((await callRow(hub, long.id)).ringing).toEqual([agent.id])
    hub.clock.advance(30_000)
    await post(company, `/v1/sandbox/calls/${long.id}/hangup`)
    // A second hang-up (a carrier retrying its callback) is harmless.
    await post(company, `/v1/sandbox/calls/${long.id}/hangup`)
    const received = await finalEventsOf(hub, company.id, long.id)
    expect(received.map((e) => e.event)).toEqual([
      'call.created',
      'call.ringing_on_agent',
      'call.hungup',
      'call.ended',
    ])
    expect(received.at(-1)!.data).toMatchObject({ missed_call_reason: 'abandoned_in_classic', duration: 30 })
    expect((await timelineOf(hub, long.id)).map((t) => t.type)).toEqual([
      'start',
      'caller_hungup',
      'finalized',
    ])
  })
})

describe('agents', () => {
  it('with nobody online, the call goes straight to the unavailable message and voicemail (no_available_agent)', async () => {
    const company = await hub.createCompany()
    const agent = await addAgent(hub, company)
    const number = await callableNumber(hub, company, (s) => ({
      distribution: { ...s.distribution, steps: [{ type: 'user', user_id: agent.id, ring_time_sec: 20 }] },
    }))
    const call = await dial(company, number.e164)
    const row = await callRow(hub, call.id)
    expect(row.state).toMatchObject({ phase: 'unavailable_message', missedReason: 'no_available_agent' })
    expect(row.ringing).toEqual([])
  })

  it('a simulated device answers after N s and hangs up after M s', async () => {
    const company = await hub.createCompany()
    const agent = await addAgent(hub, company)
    const device = await hub.call('PUT', `/v1/sandbox/agents/${agent.id}`, {
      auth: company.basic,
      body: { answer_after_sec: 3, talk_sec: 20 },
    })
    expect(device.status).toBe(200)
    expect(device.body).toEqual({ agent: { user_id: agent.id, answer_after_sec: 3, talk_sec: 20 } })
    const number = await callableNumber(hub, company, (s) => ({
      distribution: { ...s.distribution, steps: [{ type: 'user', user_id: agent.id, ring_time_sec: 20 }] },
    }))
    const call = await dial(company, number.e164)
    expect((await callRow(hub, call.id)).ringing).toEqual([agent.id])
    const answered = await advanceUntilApplied(hub, call.id, 3_000)
    expect(answered).toMatchObject({ status: 'answered', userId: agent.id })
    // The device's hang-up is queued by the carrier once the answer is committed.
    await framesUntil(agent.id, call.id, 'call.answered')
    const done = await advanceUntilApplied(hub, call.id, 20_000)
    expect(done.status).toBe('done')
    const ended = (await finalEventsOf(hub, company.id, call.id)).at(-1)!
    expect(ended).toMatchObject({ event: 'call.ended', data: { duration: 23, user: { id: agent.id } } })
    expect(ended.data.answered_at - ended.data.started_at).toBe(3)
  })

  it('longest idle rings the member idle the longest, one at a time, within the step ring time', async () => {
    const company = await hub.createCompany()
    const a = await addAgent(hub, company)
    const b = await addAgent(hub, company)
    const team = await addTeam(hub, company, 'Sales', [a.id, b.id])
    for (const u of [a, b]) hub.setOnline(company.id, u.id)
    const number = await callableNumber(hub, company, (s) => ({
      distribution: {
        ...s.distribution,
        steps: [{ type: 'team', team_id: team.id, ring_time_sec: 40, strategy: 'longest_idle' }],
      },
    }))
    // a takes a call first: b is then the one idle the longest.
    const earlier = await dial(company, number.e164)
    expect((await callRow(hub, earlier.id)).ringing).toEqual([a.id])
    await post(company, `/v1/sandbox/calls/${earlier.id}/agents/${a.id}/answer`)
    hub.clock.advance(10_000)
    await post(company, `/v1/sandbox/calls/${earlier.id}/hangup`)

    const call = await dial(company, number.e164)
    expect((await callRow(hub, call.id)).ringing).toEqual([b.id])
    // Each member rings 25 s at most; the second gets what is left of the step's 40 s.
    const next = await advanceUntilApplied(hub, call.id, 25_000)
    expect(next.ringing).toEqual([a.id])
    expect(next.timerAt!.getTime() - hub.clock.now().getTime()).toBe(15_000)
    const over = await advanceUntilApplied(hub, call.id, 15_000)
    expect(over.state).toMatchObject({ phase: 'unavailable_message', missedReason: 'agents_did_not_answer' })
  })

  it('random rings one idle member at a time, each once, skipping those in a call, until the step ends', async () => {
    const company = await hub.createCompany()
    const members = [await addAgent(hub, company), await addAgent(hub, company), await addAgent(hub, company)]
    const busy = await addAgent(hub, company)
    const team = await addTeam(
      hub,
      company,
      'Support',
      [...members, busy].map((u) => u.id),
    )
    for (const u of [...members, busy]) hub.setOnline(company.id, u.id)
    const number = await callableNumber(hub, company, (s) => ({
      messages: { ...s.messages, welcome: null },
      distribution: {
        ...s.distribution,
        steps: [{ type: 'team', team_id: team.id, ring_time_sec: 80, strategy: 'random' }],
      },
    }))
    // `busy` takes a call on another number that rings only them.
    const direct = await callableNumber(hub, company, (s) => ({
      messages: { ...s.messages, welcome: null },
      distribution: { ...s.distribution, steps: [{ type: 'user', user_id: busy.id, ring_time_sec: 60 }] },
    }))
    const other = await dial(company, direct.e164)
    await post(company, `/v1/sandbox/calls/${other.id}/agents/${busy.id}/answer`)

    const call = await dial(company, number.e164)
    const rung: number[] = []
    let row = await callRow(hub, call.id)
    for (let i = 0; i < members.length; i++) {
      expect(row.ringing).toHaveLength(1)
      rung.push(row.ringing[0]!)
      // Each member rings 25 s (the step's 80 s covers all three).
      row = await advanceUntilApplied(hub, call.id, 25_000)
    }
    // Each idle member once, in some order; never the one in a call.
    expect([...rung].sort((x, y) => x - y)).toEqual(members.map((u) => u.id).sort((x, y) => x - y))
    // Everyone idle was tried and `busy` is still in their call: the caller waits out the step.
    expect(row.ringing).toEqual([])
    expect(row.state).toMatchObject({ phase: 'distribution' })
    const over = await advanceUntilApplied(hub, call.id, 5_000)
    expect(over.state).toMatchObject({ phase: 'unavailable_message', missedReason: 'agents_did_not_answer' })
  })

  it('simultaneous rings every idle member at once; the first to answer takes it, the others stop ringing', async () => {
    const company = await hub.createCompany()
    const [a, b, c] = [
      await addAgent(hub, company),
      await addAgent(hub, company),
      await addAgent(hub, company),
    ]
    const team = await addTeam(hub, company, 'Sales', [a!.id, b!.id, c!.id])
    for (const u of [a!, b!]) hub.setOnline(company.id, u.id)
    const number = await callableNumber(hub, company, (s) => ({
      messages: { ...s.messages, welcome: null },
      distribution: {
        ...s.distribution,
        steps: [{ type: 'team', team_id: team.id, ring_time_sec: 30, strategy: 'simultaneous' }],
      },
    }))
    const call = await dial(company, number.e164)
    // c is offline: skipped.
    expect([...(await callRow(hub, call.id)).ringing].sort((x, y) => x - y)).toEqual([a!.id, b!.id])
    await post(company, `/v1/sandbox/calls/${call.id}/agents/${b!.id}/answer`)
    expect(await callRow(hub, call.id)).toMatchObject({ status: 'answered', userId: b!.id, ringing: [] })
    await framesUntil(a!.id, call.id, 'call.ring_stopped')
    expect(
      hub.agentChannel.framesOf(a!.id, call.id).find((m) => m.type === 'call.ring_stopped'),
    ).toMatchObject({ reason: 'answered_elsewhere' })
    await post(company, `/v1/sandbox/calls/${call.id}/hangup`)
    await until(async () => (await events(company, call.id)).includes('call.ended'), 'call.ended')
    expect(await events(company, call.id)).toEqual(
      expect.arrayContaining([
        'call.created',
        'call.ringing_on_agent',
        'call.answered',
        'call.hungup',
        'call.ended',
      ]),
    )
  })

  it('an agent in wrap-up is waited for, not rung, and rung once the wrap-up is over', async () => {
    const company = await hub.createCompany()
    const agent = await addAgent(hub, company, { wrapUpTime: 30 })
    hub.setOnline(company.id, agent.id)
    const number = await callableNumber(hub, company, (s) => ({
      distribution: { ...s.distribution, steps: [{ type: 'user', user_id: agent.id, ring_time_sec: 60 }] },
    }))
    const first = await dial(company, number.e164)
    await post(company, `/v1/sandbox/calls/${first.id}/agents/${agent.id}/answer`)
    await post(company, `/v1/sandbox/calls/${first.id}/hangup`)
    const second = await dial(company, number.e164)
    const row = await callRow(hub, second.id)
    expect(row.ringing).toEqual([])
    expect((await timelineOf(hub, second.id))[0]!.data.instruction).toEqual({
      action: 'wait',
      timeoutSec: 60,
      step: 0,
    })
    const rung = await advanceUntilApplied(hub, second.id, 30_000)
    expect(rung.ringing).toEqual([agent.id])
    expect((await timelineOf(hub, second.id)).at(-1)!.type).toBe('presence_changed')
  })

  it('a caller waiting for an agent in a call rings them as soon as they hang up', async () => {
    const company = await hub.createCompany()
    const agent = await addAgent(hub, company)
    hub.setOnline(company.id, agent.id)
    const number = await callableNumber(hub, company, (s) => ({
      distribution: { ...s.distribution, steps: [{ type: 'user', user_id: agent.id, ring_time_sec: 60 }] },
    }))
    const first = await dial(company, number.e164)
    await post(company, `/v1/sandbox/calls/${first.id}/agents/${agent.id}/answer`)
    const second = await dial(company, number.e164)
    expect((await callRow(hub, second.id)).ringing).toEqual([])
    await post(company, `/v1/sandbox/calls/${first.id}/hangup`)
    await until(
      async () => (await callRow(hub, second.id)).ringing.includes(agent.id),
      'the waiting call to ring',
    )
    await framesUntil(agent.id, second.id, 'call.ringing')
  })
})

describe('music on hold', () => {
  it("a caller waiting for an agent in a call is held with the number's music", async () => {
    const commands = recordCarrierCommands(hub)
    const company = await hub.createCompany()
    const agent = await addAgent(hub, company)
    hub.setOnline(company.id, agent.id)
    const number = await callableNumber(hub, company, (s) => ({
      messages: { ...s.messages, welcome: null, music_on_hold: { type: 'library', track: 'jazz' } },
      distribution: { ...s.distribution, steps: [{ type: 'user', user_id: agent.id, ring_time_sec: 60 }] },
    }))
    const first = await dial(company, number.e164)
    await post(company, `/v1/sandbox/calls/${first.id}/agents/${agent.id}/answer`)
    const second = await dial(company, number.e164)
    expect((await callRow(hub, second.id)).ringing).toEqual([])
    expect(commands.get(second.id)).toContainEqual({
      verb: 'hold',
      music: { kind: 'library', track: 'jazz' },
    })
    // The call that rang at once was never held.
    expect(commands.get(first.id)?.some((c) => c.verb === 'hold')).toBe(false)
  })

  it("a transferred caller waits with the number's music while the target rings", async () => {
    const commands = recordCarrierCommands(hub)
    const company = await hub.createCompany()
    const [first, target] = [await addAgent(hub, company), await addAgent(hub, company)]
    hub.setOnline(company.id, first.id)
    hub.setOnline(company.id, target.id)
    const number = await callableNumber(hub, company, (s) => ({
      messages: { ...s.messages, welcome: null, music_on_hold: { type: 'library', track: 'classical' } },
      distribution: { ...s.distribution, steps: [{ type: 'user', user_id: first.id, ring_time_sec: 60 }] },
    }))
    const call = await dial(company, number.e164)
    await post(company, `/v1/sandbox/calls/${call.id}/agents/${first.id}/answer`)
    expect(commands.get(call.id)?.some((c) => c.verb === 'hold')).toBe(false)

    const transfer = await hub.call('POST', `/v1/calls/${call.id}/transfers`, {
      auth: company.basic,
      body: { user_id: target.id },
    })
    expect(transfer.status, JSON.stringify(transfer.body)).toBe(204)
    expect((await callRow(hub, call.id)).ringing).toEqual([target.id])
    expect(commands.get(call.id)?.filter((c) => c.verb === 'hold')).toEqual([
      { verb: 'hold', music: { kind: 'library', track: 'classical' } },
    ])
    await post(company, `/v1/sandbox/calls/${call.id}/agents/${target.id}/answer`)
    expect(await callRow(hub, call.id)).toMatchObject({ status: 'answered', userId: target.id })
  })
})

describe('mandatory tagging', () => {
  it('an agent is not rung while their last call is untagged, nor during their wrap-up after it', async () => {
    const company = await hub.createCompany()
    const agent = company.agentUserId
    hub.setOnline(company.id, agent)
    const wrapUp = await hub.call('PUT', `/v1/users/${agent}`, {
      auth: company.basic,
      body: { wrap_up_time: 20 },
    })
    expect(wrapUp.status).toBe(200)
    const number = await callableNumber(hub, company, (s) => ({
      mandatory_tagging: true,
      messages: { ...s.messages, welcome: null },
      distribution: { ...s.distribution, steps: [{ type: 'user', user_id: agent, ring_time_sec: 120 }] },
    }))
    const vip = await apiTag(hub, company, 'VIP')
    const tag = (callId: number) =>
      hub.call('POST', `/v1/calls/${callId}/tags`, { auth: company.agentBearer, body: { tags: [vip.id] } })
    const settle = () => new Promise((r) => setTimeout(r, 200))

    const first = await dial(company, number.e164)
    await post(company, `/v1/sandbox/calls/${first.id}/agents/${agent}/answer`)
    hub.clock.advance(30_000)
    await post(company, `/v1/sandbox/calls/${first.id}/hangup`)
    await framesUntil(agent, first.id, 'call.tag_required')

    // Untagged: the next caller waits, past the wrap-up too.
    const second = await dial(company, number.e164)
    hub.clock.advance(60_000)
    await settle()
    expect((await callRow(hub, second.id)).ringing).toEqual([])
    // Tagged from the agent's app token: the wrap-up is long over, so the waiting call rings.
    expect((await tag(first.id)).status).toBe(201)
    await until(
      async () => (await callRow(hub, second.id)).ringing.includes(agent),
      'the second call to ring',
    )
    const tagged = (await finalEventsOf(hub, company.id, first.id)).find((e) => e.event === 'call.tagged')
    expect(tagged?.data.tags).toEqual([expect.objectContaining({ id: vip.id, name: 'VIP' })])

    // Tagged at once this time: the 20 s of wrap-up after the hang-up still hold the next caller.
    await post(company, `/v1/sandbox/calls/${second.id}/agents/${agent}/answer`)
    hub.clock.advance(30_000)
    await post(company, `/v1/sandbox/calls/${second.id}/hangup`)
    expect((await tag(second.id)).status).toBe(201)
    const third = await dial(company, number.e164)
    hub.clock.advance(10_000)
    await settle()
    expect((await callRow(hub, third.id)).ringing).toEqual([])
    hub.clock.advance(10_000)
    await until(async () => (await callRow(hub, third.id)).ringing.includes(agent), 'the third call to ring')
  })
})
