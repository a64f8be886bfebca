import { eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  addAgent,
  addTeam,
  advanceUntilApplied,
  callableNumber,
  callRow,
  finalEventsOf,
  outboundCallOf,
  timelineOf,
  until,
  webhookEventsOf,
} from '../../../../test/helpers/calls.ts'
import { createTestHub, type TestCompany, type TestHub } from '../../../../test/helpers/hub.ts'
import { connectAgent, tokenOf } from '../../../../test/helpers/realtime-client.ts'
import { users } from '../../../db/schema/index.ts'
import { OUTBOUND_CALLEE_RING_SEC } from '../../../telephony/outbound.ts'
import { TRANSFER_USER_RING_SEC } from '../../../telephony/transfer.ts'

/**
 * Outbound (click-to-call) calls and blind transfers, driven through the API, the simulation
 * API and agents' WebSocket clients on the fake clock: what the agents' clients receive, the
 * call as the API returns it, its timeline, and what a webhook receiver gets.
 */
let hub: TestHub
let base: string
beforeAll(async () => {
  hub = await createTestHub({ workers: true })
  base = await hub.listen()
})
afterAll(() => hub.close())

const CUSTOMER = '+33612345678'
const OUTSIDE = '+442079460000'

async function post(company: TestCompany, path: string, body?: unknown, auth = company.basic) {
  const res = await hub.call('POST', path, { auth, body })
  expect(res.status, JSON.stringify(res.body)).toBe(204)
}

/** A number the users may call out from (outbound-only), ringing `ringing` on inbound calls. */
async function lineFor(company: TestCompany, outboundUserIds: number[], ringing?: number) {
  return callableNumber(hub, company, (s) => ({
    messages: { ...s.messages, welcome: null },
    outbound_only: { user_ids: outboundUserIds, team_ids: [] },
    distribution: {
      ...s.distribution,
      steps: ringing === undefined ? [] : [{ type: 'user', user_id: ringing, ring_time_sec: 20 }],
    },
  }))
}

const startCall = (userId: number, auth: string, body: { number_id: number; to: string }) =>
  hub.call('POST', `/v1/users/${userId}/calls`, { auth, body })

const events = async (company: TestCompany, callId: number) =>
  (await webhookEventsOf(hub, company.id, callId)).map((e) => e.event)
/** The events of a call that ended, once its call.ended is out. */
const endedEvents = async (company: TestCompany, callId: number) =>
  (await finalEventsOf(hub, company.id, callId)).map((e) => e.event)

/** An inbound call answered by `agentId` (online, rung by the number's only step). */
async function answeredInbound(company: TestCompany, agentId: number) {
  const number = await lineFor(company, [], agentId)
  const res = await hub.call('POST', '/v1/sandbox/calls', {
    auth: company.basic,
    body: { from: CUSTOMER, to: number.e164 },
  })
  expect(res.status).toBe(201)
  const id = res.body.call.id as number
  await post(company, `/v1/sandbox/calls/${id}/agents/${agentId}/answer`)
  expect(await callRow(hub, id)).toMatchObject({ status: 'answered', userId: agentId })
  return id
}

describe('outbound calls', () => {
  it("rings the agent's client, dials the customer once they answer, connects; the customer hangs up", async () => {
    const company = await hub.createCompany()
    const agentId = company.agentUserId
    const number = await lineFor(company, [agentId])
    const { socket } = await connectAgent(base, tokenOf(company.agentBearer))

    const started = await startCall(agentId, company.agentBearer, {
      number_id: number.id,
      to: '06 12 34 56 78',
    })
    expect(started.status, JSON.stringify(started.body)).toBe(204)
    const ringing = await socket.next('call.ringing')
    expect(ringing.call).toMatchObject({
      direction: 'outbound',
      status: 'ringing',
      external_number: CUSTOMER,
      number: { id: number.id, digits: number.e164 },
    })
    const id = ringing.call.call_id
    // Already busy: a second call is refused while the first is placed.
    expect((await startCall(agentId, company.basic, { number_id: number.id, to: CUSTOMER })).status).toBe(405)

    hub.clock.advance(3_000)
    socket.send({ type: 'answer', ref: 'go', call_id: id })
    expect(await socket.next('ack')).toEqual({ type: 'ack', ref: 'go' })
    expect(await callRow(hub, id)).toMatchObject({
      status: 'initial',
      ringing: [],
      state: { phase: 'dialing' },
    })
    const availability = await hub.call('GET', `/v1/users/${agentId}/availability`, { auth: company.basic })
    expect(availability.body.availability).toBe('in_call')

    hub.clock.advance(7_000)
    await post(company, `/v1/sandbox/calls/${id}/callee`, { result: 'answered' })
    expect((await socket.next('call.answered')).call).toMatchObject({ call_id: id, status: 'answered' })

    hub.clock.advance(60_000)
    await post(company, `/v1/sandbox/calls/${id}/hangup`)
    expect((await socket.next('call.ended')).call).toMatchObject({ call_id: id, status: 'done' })

    const call = (await hub.call('GET', `/v1/calls/${id}`, { auth: company.basic })).body.call
    expect(call).toMatchObject({
      direction: 'outbound',
      status: 'done',
      raw_digits: '06 12 34 56 78',
      user: { id: agentId },
      number: { id: number.id },
      missed_call_reason: null,
      duration: 70,
    })
    expect(call.answered_at - call.started_at).toBe(10)
    expect(await endedEvents(company, id)).toEqual([
      'call.created',
      'call.answered',
      'call.hungup',
      'call.comm_assets_generated',
      'call.ended',
    ])
    expect((await timelineOf(hub, id)).map((t) => [t.type, t.data.phase])).toEqual([
      ['start', 'agent_ringing'],
      ['leg_answered', 'dialing'],
      ['dial_result', 'connected'],
      ['caller_hungup', 'connected'],
      ['finalized', undefined],
    ])
    await socket.close()
  })

  it('a simulated device answers; nobody answers the customer leg: done after its ring time, outcome no_answer', async () => {
    const company = await hub.createCompany()
    const agent = await addAgent(hub, company)
    const number = await lineFor(company, [agent.id])
    const res = await hub.call('PUT', `/v1/sandbox/agents/${agent.id}`, {
      auth: company.basic,
      body: { answer_after_sec: 2, talk_sec: 30 },
    })
    expect(res.status).toBe(200)

    expect((await startCall(agent.id, company.basic, { number_id: number.id, to: CUSTOMER })).status).toBe(
      204,
    )
    const { id } = await outboundCallOf(hub, company, agent.id)
    expect((await callRow(hub, id)).ringing).toEqual([agent.id])
    const dialing = await advanceUntilApplied(hub, id, 2_000)
    expect(dialing.state).toMatchObject({ phase: 'dialing' })

    const done = await advanceUntilApplied(hub, id, OUTBOUND_CALLEE_RING_SEC * 1000)
    expect(done).toMatchObject({ status: 'done', answeredAt: null, missedCallReason: null })
    expect((await timelineOf(hub, id)).filter((t) => t.type !== 'finalized').at(-1)!.data).toMatchObject({
      outcome: 'no_answer',
    })
    expect(await endedEvents(company, id)).toEqual(['call.created', 'call.hungup', 'call.ended'])
  })

  it('a busy customer ends the call at once (outcome busy); the agent is available again', async () => {
    const company = await hub.createCompany()
    const agentId = company.agentUserId
    const number = await lineFor(company, [agentId])
    const { socket } = await connectAgent(base, tokenOf(company.agentBearer))
    expect((await startCall(agentId, company.basic, { number_id: number.id, to: CUSTOMER })).status).toBe(204)
    const id = (await socket.next('call.ringing')).call.call_id
    socket.send({ type: 'answer', call_id: id })
    await until(async () => (await callRow(hub, id)).ringing.length === 0, 'agent leg answered')
    await post(company, `/v1/sandbox/calls/${id}/callee`, { result: 'busy' })
    expect((await socket.next('call.ended')).call).toMatchObject({
      call_id: id,
      status: 'done',
      answered_at: null,
    })
    expect((await timelineOf(hub, id)).filter((t) => t.type !== 'finalized').at(-1)!.data).toMatchObject({
      outcome: 'busy',
    })
    expect((await startCall(agentId, company.basic, { number_id: number.id, to: CUSTOMER })).status).toBe(204)
    await socket.close()
  })

  it('the agent declining their own ring gives the call up before anyone is dialled', async () => {
    const company = await hub.createCompany()
    const number = await lineFor(company, [company.agentUserId])
    const { socket } = await connectAgent(base, tokenOf(company.agentBearer))
    await startCall(company.agentUserId, company.agentBearer, { number_id: number.id, to: CUSTOMER })
    const id = (await socket.next('call.ringing')).call.call_id
    socket.send({ type: 'decline', call_id: id })
    expect(await socket.next('call.ring_stopped')).toMatchObject({ call_id: id, reason: 'declined' })
    expect(await callRow(hub, id)).toMatchObject({ status: 'done', state: { outcome: 'agent_declined' } })
    await socket.close()
  })

  it('refuses: 405 not available, 404 other company, 400 number not theirs or bad `to`, 403 for someone else', async () => {
    const company = await hub.createCompany()
    const other = await hub.createCompany()
    const agentId = company.agentUserId
    const number = await lineFor(company, [agentId])
    const notTheirs = await lineFor(company, [])
    const theirNumber = await lineFor(other, [other.agentUserId])
    const body = { number_id: number.id, to: CUSTOMER }

    // No app open, no simulated device.
    const offline = await startCall(agentId, company.basic, body)
    expect([offline.status, offline.body.message]).toEqual([
      405,
      'The user is not available to call (offline)',
    ])
    hub.setOnline(company.id, agentId)
    await hub.db.update(users).set({ availabilityStatus: 'unavailable' }).where(eq(users.id, agentId))
    expect((await startCall(agentId, company.basic, body)).status).toBe(405)
    await hub.db.update(users).set({ availabilityStatus: 'available' }).where(eq(users.id, agentId))

    expect((await startCall(other.agentUserId, company.basic, body)).status).toBe(404)
    expect((await startCall(agentId, company.basic, { ...body, number_id: theirNumber.id })).status).toBe(404)
    const unassigned = await startCall(agentId, company.basic, { ...body, number_id: notTheirs.id })
    expect([unassigned.status, unassigned.body.field]).toEqual([400, 'number_id'])
    const bad = await startCall(agentId, company.basic, { ...body, to: 'tomorrow' })
    expect([bad.status, bad.body.field]).toEqual([400, 'to'])
    expect((await startCall(company.adminUserId, company.agentBearer, body)).status).toBe(403)

    // In a call (an inbound one answered): 405.
    const inbound = await answeredInbound(company, agentId)
    const busy = await startCall(agentId, company.basic, body)
    expect([busy.status, busy.body.message]).toEqual([405, 'The user is not available to call (in_call)'])
    await post(company, `/v1/sandbox/calls/${inbound}/hangup`)
    expect((await startCall(agentId, company.agentBearer, body)).status).toBe(204)
  })
})

describe('transfers', () => {
  it('an agent transfers over the socket to a colleague who answers: call.transferred, the call is theirs', async () => {
    const company = await hub.createCompany()
    const a = company.agentUserId
    const b = await addAgent(hub, company)
    const bToken = await hub.issueToken(company.id, b.id, 'agent')
    const { socket: aSocket } = await connectAgent(base, tokenOf(company.agentBearer))
    const { socket: bSocket } = await connectAgent(base, bToken)
    const id = await answeredInbound(company, a)

    hub.clock.advance(20_000)
    aSocket.send({ type: 'transfer', ref: 't', call_id: id, user_id: b.id })
    expect(await aSocket.next('ack')).toEqual({ type: 'ack', ref: 't' })
    expect((await bSocket.next('call.ringing')).call).toMatchObject({
      call_id: id,
      external_number: CUSTOMER,
    })
    expect(await callRow(hub, id)).toMatchObject({ status: 'answered', userId: a, ringing: [b.id] })

    hub.clock.advance(5_000)
    bSocket.send({ type: 'answer', call_id: id })
    expect((await bSocket.next('call.answered')).call).toMatchObject({ call_id: id, status: 'answered' })
    expect(await aSocket.next('call.transferred')).toEqual({
      type: 'call.transferred',
      call_id: id,
      to: { user_id: b.id, team_id: null, number: null },
    })
    expect(await callRow(hub, id)).toMatchObject({
      status: 'answered',
      userId: b.id,
      transferredBy: a,
      transferredTo: b.id,
      ringing: [],
    })
    // The first agent is free, the new one is in the call.
    const availability = async (userId: number) =>
      (await hub.call('GET', `/v1/users/${userId}/availability`, { auth: company.basic })).body.availability
    expect(await availability(a)).toBe('available')
    expect(await availability(b.id)).toBe('in_call')
    // The call is no longer A's to hang up.
    aSocket.send({ type: 'hangup', ref: 'h', call_id: id })
    expect(await aSocket.next('error')).toMatchObject({ ref: 'h', code: 'not_allowed' })

    bSocket.send({ type: 'hangup', call_id: id })
    await bSocket.next('call.ended')
    const received = await finalEventsOf(hub, company.id, id)
    expect(received.map((e) => e.event)).toEqual([
      'call.created',
      'call.ringing_on_agent',
      'call.answered',
      'call.ringing_on_agent',
      'call.transferred',
      'call.hungup',
      'call.comm_assets_generated',
      'call.ended',
    ])
    expect(received[4]!.data).toMatchObject({
      user: { id: b.id },
      transferred_by: { id: a },
      transferred_to: { id: b.id },
    })
    const timeline = (await timelineOf(hub, id)).map((t) => t.type)
    expect(timeline.slice(-4)).toEqual(['transfer', 'leg_answered', 'agent_hungup', 'finalized'])
    await aSocket.close()
    await bSocket.close()
  })

  it('nobody answers: call.unsuccessful_transfer after the ring time and the call comes back to the agent', async () => {
    const company = await hub.createCompany()
    const a = company.agentUserId
    const b = await addAgent(hub, company)
    hub.setOnline(company.id, b.id)
    const { socket } = await connectAgent(base, tokenOf(company.agentBearer))
    const id = await answeredInbound(company, a)

    await post(company, `/v1/calls/${id}/transfers`, { user_id: b.id })
    expect((await callRow(hub, id)).ringing).toEqual([b.id])
    const back = await advanceUntilApplied(hub, id, TRANSFER_USER_RING_SEC * 1000)
    expect(back).toMatchObject({ status: 'answered', userId: a, transferredTo: null, ringing: [] })
    expect(await socket.next('call.transfer_failed')).toEqual({
      type: 'call.transfer_failed',
      call_id: id,
      reason: 'no_answer',
    })
    expect(hub.agentChannel.framesOf(b.id, id).map((m) => m.type)).toEqual([
      'call.ringing',
      'call.ring_stopped',
    ])
    expect((await events(company, id)).slice(-1)).toEqual(['call.unsuccessful_transfer'])
    const steps = (await timelineOf(hub, id)).slice(-2)
    expect(steps.map((t) => [t.type, (t.data.instruction as { back_to?: number }).back_to ?? null])).toEqual([
      ['transfer', null],
      ['timer', a],
    ])
    // The agent can try again.
    await post(company, `/v1/calls/${id}/transfers`, { user_id: b.id })
    await socket.close()
  })

  it('the agent may hang up once the transfer rings; if nobody answers then, the call ends', async () => {
    const company = await hub.createCompany()
    const a = company.agentUserId
    const b = await addAgent(hub, company)
    hub.setOnline(company.id, b.id)
    const { socket } = await connectAgent(base, tokenOf(company.agentBearer))
    const id = await answeredInbound(company, a)
    await post(company, `/v1/calls/${id}/transfers`, { user_id: b.id })
    socket.send({ type: 'hangup', call_id: id })
    expect((await socket.next('call.ended')).call).toMatchObject({ call_id: id, status: 'done' })
    // The caller still waits for the colleague.
    expect(await callRow(hub, id)).toMatchObject({ status: 'answered', userId: null, ringing: [b.id] })
    const ended = await advanceUntilApplied(hub, id, TRANSFER_USER_RING_SEC * 1000)
    expect(ended).toMatchObject({ status: 'done', userId: null, transferredBy: null })
    expect((await endedEvents(company, id)).slice(-4)).toEqual([
      'call.unsuccessful_transfer',
      'call.hungup',
      'call.comm_assets_generated',
      'call.ended',
    ])
    await socket.close()
  })

  it('a transfer of an outbound call to a team rings its available members; one answers', async () => {
    const company = await hub.createCompany()
    const a = company.agentUserId
    const [b, c, away] = [
      await addAgent(hub, company),
      await addAgent(hub, company),
      await addAgent(hub, company),
    ]
    hub.setOnline(company.id, b.id)
    hub.setOnline(company.id, c.id)
    const team = await addTeam(hub, company, 'Billing', [a, b.id, c.id, away.id])
    const number = await lineFor(company, [a])
    hub.setOnline(company.id, a)
    await startCall(a, company.basic, { number_id: number.id, to: CUSTOMER })
    const { id } = await outboundCallOf(hub, company, a)
    await post(company, `/v1/sandbox/calls/${id}/agents/${a}/answer`)
    await post(company, `/v1/sandbox/calls/${id}/callee`, { result: 'answered' })
    expect((await callRow(hub, id)).status).toBe('answered')

    await post(company, `/v1/calls/${id}/transfers`, { team_id: team.id })
    // Not the agent transferring it, not the offline member.
    expect((await callRow(hub, id)).ringing).toEqual([b.id, c.id])
    await post(company, `/v1/sandbox/calls/${id}/agents/${c.id}/answer`)
    expect(await callRow(hub, id)).toMatchObject({ userId: c.id, transferredBy: a, transferredTo: c.id })
    expect(hub.agentChannel.framesOf(b.id, id).at(-1)).toEqual({
      type: 'call.ring_stopped',
      call_id: id,
      reason: 'answered_elsewhere',
    })
    expect(hub.agentChannel.framesOf(a, id).at(-1)).toMatchObject({
      type: 'call.transferred',
      to: { user_id: c.id, team_id: team.id },
    })
    const transferred = (await webhookEventsOf(hub, company.id, id)).find(
      (e) => e.event === 'call.transferred',
    )
    expect(transferred!.data).toMatchObject({ direction: 'outbound', transferred_to: { id: c.id } })
  })

  it('to an outside number: dialled from the line, call.external_transferred once it answers; the agent is freed', async () => {
    const company = await hub.createCompany()
    const a = company.agentUserId
    hub.setOnline(company.id, a)
    const id = await answeredInbound(company, a)
    await post(company, `/v1/calls/${id}/transfers`, { number: '+44 20 7946 0000' })
    expect((await callRow(hub, id)).userId).toBe(a)
    await post(company, `/v1/sandbox/calls/${id}/callee`, { result: 'answered' })
    expect(await callRow(hub, id)).toMatchObject({ status: 'answered', userId: null, transferredBy: a })
    const received = await webhookEventsOf(hub, company.id, id)
    expect(received.at(-1)).toMatchObject({
      event: 'call.external_transferred',
      data: { external_transferred_to: OUTSIDE, external_caller_number: CUSTOMER, transferred_by: { id: a } },
    })
    // The agent may take another call while the caller talks to the outside number.
    const next = await hub.call('POST', '/v1/sandbox/calls', {
      auth: company.basic,
      body: { from: '+33698765432', to: (await lineFor(company, [], a)).e164 },
    })
    expect((await callRow(hub, next.body.call.id)).ringing).toEqual([a])
    await post(company, `/v1/sandbox/calls/${id}/hangup`)
    expect(await endedEvents(company, id)).toEqual([
      'call.created',
      'call.ringing_on_agent',
      'call.answered',
      'call.external_transferred',
      'call.hungup',
      'call.ended',
    ])
  })

  it('an inbound call nobody answered yet goes to an outside number: the ringing stops, call.external_transferred', async () => {
    const company = await hub.createCompany()
    const a = company.agentUserId
    hub.setOnline(company.id, a)
    const { socket } = await connectAgent(base, tokenOf(company.agentBearer))
    const number = await lineFor(company, [], a)
    const res = await hub.call('POST', '/v1/sandbox/calls', {
      auth: company.basic,
      body: { from: CUSTOMER, to: number.e164 },
    })
    const id = res.body.call.id as number
    expect((await socket.next('call.ringing')).call.call_id).toBe(id)

    // Not to a user or a team before anyone answered, nor by an agent not on it.
    const rest = (body: unknown, auth = company.basic) =>
      hub.call('POST', `/v1/calls/${id}/transfers`, { auth, body })
    const toUser = await rest({ user_id: a })
    expect([toUser.status, toUser.body.message]).toEqual([
      405,
      'A call nobody answered yet can only be transferred to an outside number',
    ])
    expect((await rest({ number: OUTSIDE }, company.agentBearer)).status).toBe(405)
    expect((await callRow(hub, id)).ringing).toEqual([a])

    // Dialled as the admin would type it, read in the number's country.
    expect((await rest({ number: '+44 20 7946 0000' })).status).toBe(204)
    expect(await socket.next('call.ring_stopped')).toEqual({
      type: 'call.ring_stopped',
      call_id: id,
      reason: 'transferred',
    })
    expect(await callRow(hub, id)).toMatchObject({
      status: 'done',
      ringing: [],
      userId: null,
      transferredBy: null,
      missedCallReason: null,
    })
    const received = await finalEventsOf(hub, company.id, id)
    expect(received.map((e) => e.event)).toEqual([
      'call.created',
      'call.ringing_on_agent',
      'call.external_transferred',
      'call.hungup',
      'call.ended',
    ])
    expect(received[2]!.data).toMatchObject({
      external_transferred_to: OUTSIDE,
      external_caller_number: CUSTOMER,
      transferred_by: null,
      answered_at: null,
    })
    // The carrier dialled the outside number for the caller.
    const timeline = await timelineOf(hub, id)
    expect(timeline.find((e) => e.type === 'transfer')).toMatchObject({
      type: 'transfer',
      data: { instruction: { action: 'transfer_external', e164: OUTSIDE }, outcome: 'transferred' },
    })
    // Once sent away it is over: a second transfer is refused.
    expect((await rest({ number: OUTSIDE })).status).toBe(405)
    // The agent is free for the next call.
    const next = await hub.call('POST', '/v1/sandbox/calls', {
      auth: company.basic,
      body: { from: '+33698765432', to: number.e164 },
    })
    expect((await callRow(hub, next.body.call.id)).ringing).toEqual([a])
    await socket.close()
  })

  it('refuses another company’s call (404), a call not theirs (not_allowed), two targets or a stray strategy (400)', async () => {
    const company = await hub.createCompany()
    const other = await hub.createCompany()
    const colleague = await addAgent(hub, company)
    hub.setOnline(company.id, colleague.id)
    hub.setOnline(other.id, other.agentUserId)
    const theirs = await answeredInbound(other, other.agentUserId)
    const notMine = await answeredInbound(company, colleague.id)
    const { socket } = await connectAgent(base, tokenOf(company.agentBearer))

    const rest = (id: number, body: unknown, auth = company.basic) =>
      hub.call('POST', `/v1/calls/${id}/transfers`, { auth, body })
    expect((await rest(theirs, { user_id: company.agentUserId })).status).toBe(404)
    expect((await rest(notMine, { user_id: other.agentUserId })).status).toBe(404)
    const two = await rest(notMine, { user_id: company.agentUserId, number: OUTSIDE })
    expect([two.status, two.body.field]).toEqual([400, 'number'])
    expect((await rest(notMine, {})).status).toBe(400)
    const stray = await rest(notMine, { user_id: company.agentUserId, dispatching_strategy: 'random' })
    expect([stray.status, stray.body.field]).toEqual([400, 'dispatching_strategy'])
    // An agent's token: only the call they are on.
    expect((await rest(notMine, { user_id: company.agentUserId }, company.agentBearer)).status).toBe(405)

    socket.send({ type: 'transfer', ref: 'x', call_id: theirs, user_id: company.agentUserId })
    expect(await socket.next('error')).toMatchObject({ ref: 'x', code: 'not_found' })
    socket.send({ type: 'transfer', ref: 'y', call_id: notMine, user_id: company.agentUserId })
    expect(await socket.next('error')).toMatchObject({ ref: 'y', code: 'not_allowed' })
    expect(await callRow(hub, notMine)).toMatchObject({
      userId: colleague.id,
      ringing: [],
      transferredTo: null,
    })

    // A call nobody answered yet cannot be transferred.
    const ringingNumber = await lineFor(company, [], colleague.id)
    const ringing = await hub.call('POST', '/v1/sandbox/calls', {
      auth: company.basic,
      body: { from: CUSTOMER, to: ringingNumber.e164 },
    })
    await post(company, `/v1/sandbox/calls/${notMine}/hangup`)
    expect((await rest(ringing.body.call.id, { user_id: company.agentUserId })).status).toBe(405)
    expect((await rest(notMine, { user_id: company.agentUserId })).status).toBe(405)
    await socket.close()
  })
})
