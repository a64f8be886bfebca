import { eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { addAgent, callableNumber, callRow, finalEventsOf, until } from '../../test/helpers/calls.ts'
import { createTestHub, type TestCompany, type TestHub } from '../../test/helpers/hub.ts'
import { connectAgent, tokenOf } from '../../test/helpers/realtime-client.ts'
import { realtimeTestEnv } from '../../test/helpers/users.ts'
import { createNumber } from '../api/v1/numbers/numbers-fixtures.ts'
import { users } from '../db/schema/index.ts'

/**
 * The call engine and the realtime channel wired as the server wires them: an agent's client
 * connected to GET /v1/realtime is online for the router, rings for a call placed through the
 * simulation API, answers and hangs up over the socket, and a reconnecting client gets the call
 * in `hello`. On the scale run the fan-out and the directory are Redis.
 */
let hub: TestHub
let base: string
beforeAll(async () => {
  hub = await createTestHub({ workers: true, env: realtimeTestEnv() })
  base = await hub.listen()
})
afterAll(() => hub.close())

const CALLER = '+33612345678'

/** A number whose only step rings the company's agent (no welcome message). */
async function numberRingingAgent(company: TestCompany, userId = company.agentUserId) {
  return callableNumber(hub, company, (s) => ({
    messages: { ...s.messages, welcome: null },
    distribution: { ...s.distribution, steps: [{ type: 'user', user_id: userId, ring_time_sec: 20 }] },
  }))
}

async function dial(company: TestCompany, to: string) {
  const res = await hub.call('POST', '/v1/sandbox/calls', { auth: company.basic, body: { from: CALLER, to } })
  expect(res.status, JSON.stringify(res.body)).toBe(201)
  return res.body.call as { id: number; status: string }
}

describe('an agent on the realtime channel takes a call', () => {
  it('rings on the socket, answers and hangs up over it; webhooks see the whole call', async () => {
    const company = await hub.createCompany()
    const number = await numberRingingAgent(company)
    const { socket } = await connectAgent(base, tokenOf(company.agentBearer))

    const call = await dial(company, number.e164)
    const ringing = await socket.next('call.ringing')
    expect(ringing.call).toMatchObject({
      call_id: call.id,
      direction: 'inbound',
      status: 'ringing',
      external_number: CALLER,
      number: { id: number.id },
    })

    socket.send({ type: 'answer', ref: 'ans', call_id: call.id })
    // The engine tells the agent's clients after its commit, then the action is acknowledged.
    expect((await socket.next('call.answered')).call).toMatchObject({ call_id: call.id, status: 'answered' })
    expect(await socket.next('ack')).toEqual({ type: 'ack', ref: 'ans' })
    expect(await callRow(hub, call.id)).toMatchObject({ status: 'answered', userId: company.agentUserId })

    // A client that reconnects mid-call gets the call in hello.
    const again = await connectAgent(base, tokenOf(company.agentBearer))
    expect(again.hello.call).toMatchObject({ call_id: call.id, status: 'answered' })
    expect(again.hello.presence).toMatchObject({ live: 'in_call', routable: false })
    await again.socket.close()

    hub.clock.advance(30_000)
    socket.send({ type: 'hangup', ref: 'bye', call_id: call.id })
    expect((await socket.next('call.ended')).call).toMatchObject({ call_id: call.id, status: 'done' })
    expect(await socket.next('ack')).toEqual({ type: 'ack', ref: 'bye' })
    const done = await callRow(hub, call.id)
    expect(done.status).toBe('done')
    const events = (await finalEventsOf(hub, company.id, call.id)).map((e) => e.event)
    expect(events).toEqual([
      'call.created',
      'call.ringing_on_agent',
      'call.answered',
      'call.hungup',
      'call.comm_assets_generated',
      'call.ended',
    ])
    await socket.close()
  })

  it("reports the agent in_call, then after_call_work for their wrap-up time, in the users' availability", async () => {
    const company = await hub.createCompany()
    await hub.db.update(users).set({ wrapUpTime: 30 }).where(eq(users.id, company.agentUserId))
    const number = await numberRingingAgent(company)
    const { socket } = await connectAgent(base, tokenOf(company.agentBearer))
    const availability = async () =>
      (await hub.call('GET', `/v1/users/${company.agentUserId}/availability`, { auth: company.basic })).body
        .availability
    const listed = async () =>
      (await hub.call('GET', '/v1/users/availabilities', { auth: company.basic })).body.users.find(
        (u: { id: number }) => u.id === company.agentUserId,
      ).availability
    expect(await availability()).toBe('available')

    const call = await dial(company, number.e164)
    await socket.next('call.ringing')
    socket.send({ type: 'answer', call_id: call.id })
    await socket.next('call.answered')
    expect(await availability()).toBe('in_call')
    expect(await listed()).toBe('in_call')

    socket.send({ type: 'hangup', call_id: call.id })
    await socket.next('call.ended')
    expect(await availability()).toBe('after_call_work')
    hub.clock.advance(31_000)
    expect(await availability()).toBe('available')
    expect(await listed()).toBe('available')
    await socket.close()
  })

  it("POST /v1/users/:id/dial pre-fills the connected agent's dialer; 405 when they cannot call", async () => {
    const company = await hub.createCompany()
    const other = await hub.createCompany()
    const dialFor = (userId: number, auth: string, to = '01 23 45 67 89') =>
      hub.call('POST', `/v1/users/${userId}/dial`, { auth, body: { to } })
    await hub.db.update(users).set({ defaultCountryPrefix: 'FR' }).where(eq(users.id, company.agentUserId))
    // No app open: nothing to pre-fill.
    expect((await dialFor(company.agentUserId, company.basic)).status).toBe(405)

    const { socket } = await connectAgent(base, tokenOf(company.agentBearer))
    expect((await dialFor(company.agentUserId, company.basic)).status).toBe(204)
    expect(await socket.next('dial')).toEqual({ type: 'dial', to: '+33123456789', number_id: null })
    // An agent token, for itself.
    expect((await dialFor(company.agentUserId, company.agentBearer, '+44 20 7946 0000')).status).toBe(204)
    expect(await socket.next('dial')).toMatchObject({ to: '+442079460000' })
    // Not for someone else, not another company's user, not a non-number.
    expect((await dialFor(company.adminUserId, company.agentBearer)).status).toBe(403)
    expect((await dialFor(company.agentUserId, other.basic)).status).toBe(404)
    const bad = await dialFor(company.agentUserId, company.basic, 'tomorrow')
    expect([bad.status, bad.body.field]).toEqual([400, 'to'])

    // The line to call out with: the agent's default number, or, once they are taken off it,
    // a number they still have.
    const team = (await hub.call('POST', '/v1/teams', { auth: company.basic, body: { name: 'Sales' } })).body
      .team
    const membership = `/v1/teams/${team.id}/users/${company.agentUserId}`
    await hub.call('POST', membership, { auth: company.basic })
    const direct = await createNumber(hub, company, { users: [company.agentUserId] })
    const viaTeam = await createNumber(hub, company, { teams: [team.id] })
    const prefs = await hub.call('PUT', `/v1/users/${company.agentUserId}`, {
      auth: company.basic,
      body: { default_number_id: viaTeam.id },
    })
    expect(prefs.status).toBe(200)
    expect((await dialFor(company.agentUserId, company.basic)).status).toBe(204)
    expect(await socket.next('dial')).toMatchObject({ number_id: viaTeam.id })
    expect((await hub.call('DELETE', membership, { auth: company.basic })).status).toBe(200)
    expect((await dialFor(company.agentUserId, company.basic)).status).toBe(204)
    expect(await socket.next('dial')).toMatchObject({ number_id: direct.id })

    // In a call: 405.
    const call = await dial(company, (await numberRingingAgent(company)).e164)
    await socket.next('call.ringing')
    socket.send({ type: 'answer', call_id: call.id })
    await socket.next('call.answered')
    expect((await dialFor(company.agentUserId, company.basic)).status).toBe(405)
    socket.send({ type: 'hangup', call_id: call.id })
    await socket.next('call.ended')
    await socket.close()
  })

  it('a call waiting with nobody online rings an agent as soon as their client connects', async () => {
    const company = await hub.createCompany()
    const number = await callableNumber(hub, company, (s) => ({
      messages: { ...s.messages, welcome: null },
      distribution: {
        ...s.distribution,
        respect_queue_time: true,
        steps: [{ type: 'user', user_id: company.agentUserId, ring_time_sec: 60 }],
      },
    }))
    const call = await dial(company, number.e164)
    expect((await callRow(hub, call.id)).ringing).toEqual([])

    const { socket } = await connectAgent(base, tokenOf(company.agentBearer))
    expect((await socket.next('call.ringing')).call.call_id).toBe(call.id)
    await until(async () => (await callRow(hub, call.id)).ringing.includes(company.agentUserId), 'ringing')
    await socket.close()
  })

  it("refuses an action on another company's call (not_found) and on a call not ringing on the agent (not_allowed)", async () => {
    const company = await hub.createCompany()
    const other = await hub.createCompany()
    const colleague = await addAgent(hub, company)
    hub.setOnline(company.id, colleague.id)
    const theirs = await dial(other, (await numberRingingAgent(other)).e164)
    const notMine = await dial(company, (await numberRingingAgent(company, colleague.id)).e164)
    const { socket } = await connectAgent(base, tokenOf(company.agentBearer))

    socket.send({ type: 'answer', ref: 'x', call_id: theirs.id })
    expect(await socket.next('error')).toMatchObject({ ref: 'x', code: 'not_found' })
    socket.send({ type: 'answer', ref: 'y', call_id: notMine.id })
    expect(await socket.next('error')).toMatchObject({ ref: 'y', code: 'not_allowed' })
    socket.send({ type: 'hangup', ref: 'z', call_id: notMine.id })
    expect(await socket.next('error')).toMatchObject({ ref: 'z', code: 'not_allowed' })
    expect(await callRow(hub, notMine.id)).toMatchObject({ status: 'initial', ringing: [colleague.id] })
    expect((await callRow(hub, theirs.id)).status).toBe('initial')
    await socket.close()
  })
})
