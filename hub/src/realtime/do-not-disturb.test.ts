import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { addAgent, callableNumber, callRow } from '../../test/helpers/calls.ts'
import { createTestHub, type TestCompany, type TestHub } from '../../test/helpers/hub.ts'
import { connectAgent, tokenOf } from '../../test/helpers/realtime-client.ts'
import { presenceEventsOf, realtimeTestEnv } from '../../test/helpers/users.ts'
import { eventually } from '../../test/jobs/eventually.ts'

/**
 * Do not disturb is the agent's to lift: it holds while they are offline, when they come back,
 * across a hub restart, and the router never rings a DND agent.
 */
const GRACE_MS = 200

let hub: TestHub
beforeAll(async () => {
  hub = await createTestHub({ env: realtimeTestEnv() })
})
afterAll(() => hub.close())

const userEvents = async (companyId: number) => (await presenceEventsOf(hub, companyId)).map((e) => e.event)

const availability = async (c: TestCompany) =>
  (await hub.call('GET', `/v1/users/${c.agentUserId}/availability`, { auth: c.basic })).body.availability

describe('do not disturb', () => {
  it('holds after the agent went offline: they come back in DND, not routable, until they lift it', async () => {
    const { base } = await hub.listenRealtime({ timings: { graceMs: GRACE_MS, reapMs: 50 } })
    const c = await hub.createCompany()
    const first = await connectAgent(base, tokenOf(c.agentBearer))
    first.socket.send({ type: 'set_status', ref: 'd', status: 'do_not_disturb' })
    expect(await first.socket.next('ack')).toEqual({ type: 'ack', ref: 'd' })
    await first.socket.close()
    await eventually(async () => expect(await availability(c)).toBe('offline'))

    const back = await connectAgent(base, tokenOf(c.agentBearer))
    expect(back.hello.presence).toMatchObject({ online: true, declared: 'do_not_disturb', routable: false })
    expect(await availability(c)).toBe('do_not_disturb')
    // Connecting in DND does not open the agent to calls.
    expect(await userEvents(c.id)).toEqual([
      'user.connected',
      'user.opened',
      'user.closed',
      'user.disconnected',
      'user.connected',
    ])

    back.socket.send({ type: 'set_status', ref: 'a', status: 'available' })
    expect(await back.socket.next('ack')).toEqual({ type: 'ack', ref: 'a' })
    expect((await back.socket.next('presence')).presence).toMatchObject({
      declared: 'available',
      routable: true,
    })
    expect((await userEvents(c.id)).at(-1)).toBe('user.opened')
    await back.socket.close()
  })

  it('survives a hub restart: a new process finds the agent in DND', async () => {
    const c = await hub.createCompany()
    const before = await hub.listenRealtime({ timings: { graceMs: GRACE_MS, reapMs: 50 } })
    const first = await connectAgent(before.base, tokenOf(c.agentBearer))
    first.socket.send({ type: 'set_status', ref: 'd', status: 'do_not_disturb' })
    expect(await first.socket.next('ack')).toEqual({ type: 'ack', ref: 'd' })
    await first.socket.close()
    await eventually(async () => expect(await availability(c)).toBe('offline'))
    await before.realtime.close()

    // Another realtime channel on the same database: a hub process that starts afresh.
    const { base } = await hub.listenRealtime({ timings: { graceMs: GRACE_MS } })
    const { socket, hello } = await connectAgent(base, tokenOf(c.agentBearer))
    expect(hello.presence).toMatchObject({ declared: 'do_not_disturb', routable: false })
    expect(await availability(c)).toBe('do_not_disturb')
    await socket.close()
  })

  it('the router does not ring a DND agent, even on a simulated device, and rings them once lifted', async () => {
    const c = await hub.createCompany()
    const agent = await addAgent(hub, c)
    const other = await hub.issueToken(c.id, agent.id, 'agent')
    const dnd = await hub.call('PUT', '/v1/me/availability', {
      auth: `Bearer ${other}`,
      body: { availability: 'do_not_disturb' },
    })
    expect(dnd.status).toBe(200)
    // The agent is offline: going offline again keeps DND.
    const off = await hub.call('PUT', '/v1/me/availability', {
      auth: `Bearer ${other}`,
      body: { availability: 'offline' },
    })
    expect(off.status).toBe(200)
    // Answers for the agent with no client open: online as far as the router is concerned.
    const device = await hub.call('PUT', `/v1/sandbox/agents/${agent.id}`, {
      auth: c.basic,
      body: { answer_after_sec: 3, talk_sec: 20 },
    })
    expect(device.status).toBe(200)
    const number = await callableNumber(hub, c, (s) => ({
      distribution: { ...s.distribution, steps: [{ type: 'user', user_id: agent.id, ring_time_sec: 20 }] },
    }))
    const dial = async () => {
      const res = await hub.call('POST', '/v1/sandbox/calls', {
        auth: c.basic,
        body: { from: '+33612345678', to: number.e164 },
      })
      expect(res.status).toBe(201)
      return callRow(hub, res.body.call.id)
    }
    const missed = await dial()
    expect(missed.ringing).toEqual([])
    expect(missed.state).toMatchObject({ phase: 'unavailable_message', missedReason: 'no_available_agent' })

    const lifted = await hub.call('PUT', '/v1/me/availability', {
      auth: `Bearer ${other}`,
      body: { availability: 'available' },
    })
    expect(lifted.status).toBe(200)
    expect((await dial()).ringing).toEqual([agent.id])
  })
})
