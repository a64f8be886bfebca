import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  addAgent,
  addTeam,
  advanceUntilApplied,
  callableNumber,
  callRow,
  finalEventsOf,
  outboundCallOf,
  recordCarrierCommands,
  timelineOf,
} from '../../../../test/helpers/calls.ts'
import { createTestHub, type TestCompany, type TestHub } from '../../../../test/helpers/hub.ts'
import { connectAgent, tokenOf } from '../../../../test/helpers/realtime-client.ts'
import { setForwarding } from '../../../../test/helpers/users.ts'
import type { CallCommand } from '../../../telephony/carrier/call-control.ts'
import { OUTBOUND_FORWARDED_RING_SEC } from '../../../telephony/outbound.ts'

/**
 * External forwarding through the simulation API: an agent who added an external number to
 * their profile rings there with no client open, showing the caller ID they chose, and
 * answers or declines like any agent; with no app open, their click-to-call rings there first.
 * What is observed: the call as the API returns it (with its timeline), what a webhook
 * receiver gets, the agent's client when they have one, and what the carrier is told to dial.
 */
let hub: TestHub
let base: string
let carrierCommands: Map<number, CallCommand[]>
beforeAll(async () => {
  hub = await createTestHub({ workers: true })
  base = await hub.listen()
  carrierCommands = recordCarrierCommands(hub)
})
afterAll(() => hub.close())

const CALLER = '+33612345678'
const MOBILE = '+33698765432'

async function dial(company: TestCompany, to: string) {
  const res = await hub.call('POST', '/v1/sandbox/calls', { auth: company.basic, body: { from: CALLER, to } })
  expect(res.status, JSON.stringify(res.body)).toBe(201)
  return res.body.call as { id: number }
}

async function post(company: TestCompany, path: string, body?: unknown) {
  const res = await hub.call('POST', path, { auth: company.basic, body })
  expect(res.status, JSON.stringify(res.body)).toBe(204)
}

const forwardTo = (company: TestCompany, userId: number, numbers: string[], callerIdNumberId?: number) =>
  setForwarding(hub, company, userId, numbers, callerIdNumberId)

async function availability(company: TestCompany, userId: number) {
  const res = await hub.call('GET', `/v1/users/${userId}/availability`, { auth: company.basic })
  return res.body.availability as string
}

async function apiCall(company: TestCompany, id: number) {
  const res = await hub.call('GET', `/v1/calls/${id}?fetch_call_timeline=true`, { auth: company.basic })
  expect(res.status).toBe(200)
  return res.body.call
}

describe('external forwarding', () => {
  it('rings an agent with no client open on their external number, showing the number they chose; they answer', async () => {
    const company = await hub.createCompany()
    const agent = await addAgent(hub, company)
    const line = await callableNumber(hub, company, (s) => ({
      messages: { ...s.messages, welcome: null },
      distribution: { ...s.distribution, steps: [{ type: 'user', user_id: agent.id, ring_time_sec: 20 }] },
    }))
    const shown = await callableNumber(hub, company, () => ({}))
    await forwardTo(company, agent.id, ['+33 6 98 76 54 32', '+442079460958'], shown.id)

    const { id } = await dial(company, line.e164)
    expect((await callRow(hub, id)).ringing).toEqual([agent.id])
    const ringing = await apiCall(company, id)
    expect(ringing.timeline[0]).toMatchObject({
      type: 'start',
      forwarded: [{ user_id: agent.id, to: MOBILE, caller_id: shown.e164 }],
    })

    hub.clock.advance(5_000)
    await post(company, `/v1/sandbox/calls/${id}/agents/${agent.id}/answer`)
    hub.clock.advance(30_000)
    await post(company, `/v1/sandbox/calls/${id}/hangup`)

    const call = await apiCall(company, id)
    expect(call).toMatchObject({ status: 'done', user: { id: agent.id }, missed_call_reason: null })
    expect(call.answered_at - call.started_at).toBe(5)
    expect(call.timeline.map((t: { type: string }) => t.type).slice(0, 3)).toEqual([
      'start',
      'leg_answered',
      'caller_hungup',
    ])
    const received = await finalEventsOf(hub, company.id, id)
    expect(received.map((e) => e.event)).toContain('call.answered')
    expect(received.find((e) => e.event === 'call.ringing_on_agent')!.data.user.id).toBe(agent.id)
  })

  it('shows the caller when no caller ID is chosen; forwarding off or DND is not rung; a decline moves on', async () => {
    const company = await hub.createCompany()
    const forwarded = await addAgent(hub, company)
    const noDevice = await addAgent(hub, company)
    const dnd = await addAgent(hub, company, { doNotDisturb: true })
    const team = await addTeam(hub, company, 'Sales', [forwarded.id, noDevice.id, dnd.id])
    const line = await callableNumber(hub, company, (s) => ({
      messages: { ...s.messages, welcome: null },
      distribution: {
        ...s.distribution,
        steps: [{ type: 'team', team_id: team.id, ring_time_sec: 20, strategy: 'simultaneous' }],
      },
    }))
    await forwardTo(company, forwarded.id, [MOBILE])
    await forwardTo(company, dnd.id, ['+442079460958'])

    const { id } = await dial(company, line.e164)
    expect((await callRow(hub, id)).ringing).toEqual([forwarded.id])
    expect((await apiCall(company, id)).timeline[0].forwarded).toEqual([
      { user_id: forwarded.id, to: MOBILE, caller_id: CALLER },
    ])

    await post(company, `/v1/sandbox/calls/${id}/agents/${forwarded.id}/decline`)
    // Declined on the external phone as in the app: the step is over, the caller is offered voicemail.
    expect(await callRow(hub, id)).toMatchObject({
      status: 'initial',
      ringing: [],
      state: {
        phase: 'unavailable_message',
        declined: [forwarded.id],
        missedReason: 'agents_did_not_answer',
      },
    })

    // Forwarding turned off (no number left) and no client open: nobody rings any more.
    await forwardTo(company, forwarded.id, [])
    const second = await dial(company, line.e164)
    expect(await callRow(hub, second.id)).toMatchObject({
      ringing: [],
      state: { phase: 'unavailable_message', missedReason: 'no_available_agent' },
    })
    expect((await apiCall(company, second.id)).timeline[0].forwarded).toBeUndefined()
  })

  it('a forwarded agent who does not answer rings out like any agent', async () => {
    const company = await hub.createCompany()
    const agent = await addAgent(hub, company)
    const line = await callableNumber(hub, company, (s) => ({
      messages: { ...s.messages, welcome: null },
      distribution: { ...s.distribution, steps: [{ type: 'user', user_id: agent.id, ring_time_sec: 15 }] },
    }))
    await forwardTo(company, agent.id, [MOBILE])
    const { id } = await dial(company, line.e164)
    expect((await callRow(hub, id)).ringing).toEqual([agent.id])
    const after = await advanceUntilApplied(hub, id, 15_000)
    expect(after.ringing).toEqual([])
    expect(after.answeredAt).toBeNull()
  })

  it('a transfer to a forwarded agent rings their external phone; they answer and the call is theirs', async () => {
    const company = await hub.createCompany()
    const first = await addAgent(hub, company)
    const colleague = await addAgent(hub, company)
    hub.setOnline(company.id, first.id)
    const line = await callableNumber(hub, company, (s) => ({
      messages: { ...s.messages, welcome: null },
      distribution: { ...s.distribution, steps: [{ type: 'user', user_id: first.id, ring_time_sec: 20 }] },
    }))
    await forwardTo(company, colleague.id, [MOBILE])
    const { id } = await dial(company, line.e164)
    await post(company, `/v1/sandbox/calls/${id}/agents/${first.id}/answer`)

    const res = await hub.call('POST', `/v1/calls/${id}/transfers`, {
      auth: company.basic,
      body: { user_id: colleague.id },
    })
    expect(res.status, JSON.stringify(res.body)).toBe(204)
    expect((await callRow(hub, id)).ringing).toEqual([colleague.id])
    expect((await apiCall(company, id)).timeline.at(-1)).toMatchObject({
      type: 'transfer',
      forwarded: [{ user_id: colleague.id, to: MOBILE, caller_id: CALLER }],
    })
    await post(company, `/v1/sandbox/calls/${id}/agents/${colleague.id}/answer`)
    expect(await callRow(hub, id)).toMatchObject({
      status: 'answered',
      userId: colleague.id,
      transferredTo: colleague.id,
      ringing: [],
    })
  })
})

describe('click-to-call from the external phone', () => {
  const CUSTOMER = '+442079460000'

  /** A number the agents may call out from (outbound-only). */
  const lineFor = (company: TestCompany, userIds: number[]) =>
    callableNumber(hub, company, () => ({ outbound_only: { user_ids: userIds, team_ids: [] } }))

  const startCall = (company: TestCompany, userId: number, numberId: number) =>
    hub.call('POST', `/v1/users/${userId}/calls`, {
      auth: company.basic,
      body: { number_id: numberId, to: '+44 20 7946 0000' },
    })

  /** What the carrier was told for this call, by verb. */
  const commandsOf = (id: number, verb: CallCommand['verb']) =>
    (carrierCommands.get(id) ?? []).filter((c) => c.verb === verb)

  it('an agent with no app open is called on their external phone from the line, then the customer once they answer', async () => {
    const company = await hub.createCompany()
    const agent = await addAgent(hub, company)
    const line = await lineFor(company, [agent.id])
    await forwardTo(company, agent.id, [MOBILE])

    const started = await startCall(company, agent.id, line.id)
    expect(started.status, JSON.stringify(started.body)).toBe(204)
    const { id } = await outboundCallOf(hub, company, agent.id)
    expect(await callRow(hub, id)).toMatchObject({ ringing: [agent.id], state: { phase: 'agent_ringing' } })
    // Their phone shows the company line: the carrier places that leg, it cannot show the customer.
    expect((await apiCall(company, id)).timeline[0]).toMatchObject({
      type: 'start',
      forwarded: [{ user_id: agent.id, to: MOBILE, caller_id: line.e164 }],
    })
    expect(commandsOf(id, 'ring_agents')).toEqual([
      {
        verb: 'ring_agents',
        userIds: [agent.id],
        timeoutSec: OUTBOUND_FORWARDED_RING_SEC,
        forwards: [{ userId: agent.id, e164: MOBILE, callerId: line.e164 }],
      },
    ])
    // Nobody is dialled before the agent answers; already busy for another call.
    expect(commandsOf(id, 'dial_out')).toEqual([])
    expect((await startCall(company, agent.id, line.id)).status).toBe(405)

    hub.clock.advance(4_000)
    await post(company, `/v1/sandbox/calls/${id}/agents/${agent.id}/answer`)
    expect(await callRow(hub, id)).toMatchObject({
      status: 'initial',
      ringing: [],
      state: { phase: 'dialing' },
    })
    expect(commandsOf(id, 'dial_out')).toEqual([
      { verb: 'dial_out', e164: CUSTOMER, callerId: line.e164, timeoutSec: 30 },
    ])
    expect(await availability(company, agent.id)).toBe('in_call')

    hub.clock.advance(6_000)
    await post(company, `/v1/sandbox/calls/${id}/callee`, { result: 'answered' })
    hub.clock.advance(50_000)
    await post(company, `/v1/sandbox/calls/${id}/hangup`)

    const call = await apiCall(company, id)
    expect(call).toMatchObject({
      direction: 'outbound',
      status: 'done',
      raw_digits: '+44 20 7946 0000',
      user: { id: agent.id },
      number: { id: line.id },
      missed_call_reason: null,
    })
    expect(call.answered_at - call.started_at).toBe(10)
    const received = (await finalEventsOf(hub, company.id, id)).map((e) => e.event)
    expect(received.slice(0, 3)).toEqual(['call.created', 'call.answered', 'call.hungup'])
  })

  it('shows the caller ID they chose; rings out after 20 s; the 405 rules stay; an app open takes the ring', async () => {
    const company = await hub.createCompany()
    const agent = await addAgent(hub, company)
    const dnd = await addAgent(hub, company, { doNotDisturb: true })
    const line = await lineFor(company, [agent.id, dnd.id, company.agentUserId])
    const shown = await callableNumber(hub, company, () => ({}))
    await forwardTo(company, agent.id, [MOBILE], shown.id)
    await forwardTo(company, dnd.id, [MOBILE])

    expect((await startCall(company, agent.id, line.id)).status).toBe(204)
    const { id } = await outboundCallOf(hub, company, agent.id)
    expect((await apiCall(company, id)).timeline[0].forwarded).toEqual([
      { user_id: agent.id, to: MOBILE, caller_id: shown.e164 },
    ])
    // Not answered on the external phone: given up before its voicemail would answer.
    const rangOut = await advanceUntilApplied(hub, id, OUTBOUND_FORWARDED_RING_SEC * 1000)
    expect(rangOut).toMatchObject({ status: 'done', answeredAt: null, state: { outcome: 'agent_no_answer' } })
    expect(commandsOf(id, 'dial_out')).toEqual([])

    // Do not disturb, or unavailable by their setting: not available to call.
    const refused = await startCall(company, dnd.id, line.id)
    expect([refused.status, refused.body.message]).toEqual([
      405,
      'The user is not available to call (do_not_disturb)',
    ])
    await hub.call('PUT', `/v1/users/${agent.id}`, {
      auth: company.basic,
      body: { availability_status: 'unavailable' },
    })
    expect((await startCall(company, agent.id, line.id)).status).toBe(405)
    await hub.call('PUT', `/v1/users/${agent.id}`, {
      auth: company.basic,
      body: { availability_status: 'available' },
    })

    // In a call taken on the external phone: 405.
    const inbound = await callableNumber(hub, company, (s) => ({
      messages: { ...s.messages, welcome: null },
      distribution: { ...s.distribution, steps: [{ type: 'user', user_id: agent.id, ring_time_sec: 20 }] },
    }))
    const taken = await dial(company, inbound.e164)
    await post(company, `/v1/sandbox/calls/${taken.id}/agents/${agent.id}/answer`)
    const busy = await startCall(company, agent.id, line.id)
    expect([busy.status, busy.body.message]).toEqual([405, 'The user is not available to call (in_call)'])
    await post(company, `/v1/sandbox/calls/${taken.id}/hangup`)

    // With an app open, the app rings: the external phone is not called.
    await forwardTo(company, company.agentUserId, [MOBILE])
    const { socket } = await connectAgent(base, tokenOf(company.agentBearer))
    expect((await startCall(company, company.agentUserId, line.id)).status).toBe(204)
    const ringing = await socket.next('call.ringing')
    expect(ringing.call).toMatchObject({ direction: 'outbound', external_number: CUSTOMER })
    const fromApp = ringing.call.call_id
    expect((await timelineOf(hub, fromApp))[0]!.data.forwarded).toBeUndefined()
    expect(commandsOf(fromApp, 'ring_agents')).toEqual([
      { verb: 'ring_agents', userIds: [company.agentUserId], timeoutSec: 30 },
    ])
    socket.send({ type: 'decline', call_id: fromApp })
    await socket.next('call.ring_stopped')
    await socket.close()
  })
})
