import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  addAgent,
  addTeam,
  advanceUntilApplied,
  callableNumber,
  callRow,
  timelineOf,
  ttsSec,
  webhookEventsOf,
} from '../../../../test/helpers/calls.ts'
import { createTestHub, type TestCompany, type TestHub } from '../../../../test/helpers/hub.ts'

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

const events = async (company: TestCompany, callId: number) =>
  (await webhookEventsOf(hub, company.id, callId)).map((e) => e.event)

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
    expect((await timelineOf(hub, call.id)).map((t) => [t.type, t.data.phase])).toEqual([
      ['start', 'closed_message'],
      ['timer', 'voicemail'],
      ['voicemail_left', 'ended'],
    ])
    const received = await webhookEventsOf(hub, company.id, call.id)
    expect(received.map((e) => e.event)).toEqual([
      'call.created',
      'call.voicemail_left',
      'call.hungup',
      'call.ended',
    ])
    const ended = received.at(-1)!.data
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
      'call.ended',
    ])
    const received = await webhookEventsOf(hub, company.id, call.id)
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
