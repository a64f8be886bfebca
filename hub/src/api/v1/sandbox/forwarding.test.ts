import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  addAgent,
  addTeam,
  advanceUntilApplied,
  callableNumber,
  callRow,
  finalEventsOf,
} from '../../../../test/helpers/calls.ts'
import { createTestHub, type TestCompany, type TestHub } from '../../../../test/helpers/hub.ts'
import { setForwarding } from '../../../../test/helpers/users.ts'

/**
 * External forwarding through the simulation API: an agent who added an external number to
 * their profile rings there with no client open, showing the caller ID they chose, and
 * answers or declines like any agent. What is observed: the call as the API returns it (with
 * its timeline), and what a webhook receiver gets.
 */
let hub: TestHub
beforeAll(async () => {
  hub = await createTestHub({ workers: true })
})
afterAll(() => hub.close())

const CALLER = '+33612345678'
const MOBILE = '+33698765432'

async function dial(company: TestCompany, to: string) {
  const res = await hub.call('POST', '/v1/sandbox/calls', { auth: company.basic, body: { from: CALLER, to } })
  expect(res.status, JSON.stringify(res.body)).toBe(201)
  return res.body.call as { id: number }
}

async function post(company: TestCompany, path: string) {
  const res = await hub.call('POST', path, { auth: company.basic })
  expect(res.status, JSON.stringify(res.body)).toBe(204)
}

const forwardTo = (company: TestCompany, userId: number, numbers: string[], callerIdNumberId?: number) =>
  setForwarding(hub, company, userId, numbers, callerIdNumberId)

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
