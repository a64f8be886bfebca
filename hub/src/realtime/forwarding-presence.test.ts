import { setTimeout as sleep } from 'node:timers/promises'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { addAgent } from '../../test/helpers/calls.ts'
import { createTestHub, type TestCompany, type TestHub } from '../../test/helpers/hub.ts'
import { connectAgent, tokenOf } from '../../test/helpers/realtime-client.ts'
import { presenceEventsOf, realtimeTestEnv, setForwarding } from '../../test/helpers/users.ts'
import { eventually } from '../../test/jobs/eventually.ts'

/**
 * External forwarding is a device: an agent with a forwarding number is online with no app
 * open, as the availability API, the User object and webhook receivers (user.connected /
 * user.disconnected, user.opened / user.closed) see it, their declared status still applying;
 * and one connection, however they are online (forwarding, clients, both), makes one event.
 * On the scale run the channel's directory is Redis.
 */
const GRACE_MS = 200
const MOBILE = '+33698765432'

let hub: TestHub
beforeAll(async () => {
  hub = await createTestHub({ env: realtimeTestEnv() })
})
afterAll(() => hub.close())

const eventsOf = async (company: TestCompany) => (await presenceEventsOf(hub, company.id)).map((e) => e.event)

async function availability(company: TestCompany, userId: number) {
  const res = await hub.call('GET', `/v1/users/${userId}/availability`, { auth: company.basic })
  expect(res.status).toBe(200)
  return res.body.availability as string
}

async function listed(company: TestCompany, userId: number) {
  const res = await hub.call('GET', '/v1/users/availabilities', { auth: company.basic })
  return res.body.users.find((u: { id: number }) => u.id === userId)?.availability as string
}

describe('external forwarding keeps an agent online with no app open', () => {
  it('turned on: available in the availability API, user.connected and user.opened; off: offline again', async () => {
    const company = await hub.createCompany()
    const agent = await addAgent(hub, company)
    expect(await availability(company, agent.id)).toBe('offline')

    const user = await setForwarding(hub, company, agent.id, ['+33 6 98 76 54 32'])
    expect(user).toMatchObject({
      forwarding_numbers: [MOBILE],
      available: true,
      availability_status: 'available',
    })
    expect(await availability(company, agent.id)).toBe('available')
    expect(await listed(company, agent.id)).toBe('available')
    const events = await presenceEventsOf(hub, company.id)
    expect(events.map((e) => e.event)).toEqual(['user.connected', 'user.opened'])
    // The User object, as webhooks receive it.
    expect(events[0]!.data).toMatchObject({
      id: agent.id,
      forwarding_numbers: [MOBILE],
      available: true,
      availability_status: 'available',
    })
    // A colleague's transfer picker shows them available too.
    const directory = await hub.call('GET', '/v1/me/directory', { auth: company.agentBearer })
    expect(directory.body.users).toContainEqual({ id: agent.id, name: user.name, availability: 'available' })

    // No app to pre-fill a dialer in.
    const dial = await hub.call('POST', `/v1/users/${agent.id}/dial`, {
      auth: company.basic,
      body: { to: '+33123456789' },
    })
    expect([dial.status, dial.body.message]).toEqual([
      405,
      'The user has no app open to pre-fill (external forwarding only)',
    ])

    // Another external number: still on, nothing new.
    await setForwarding(hub, company, agent.id, ['+442079460958'])
    expect(await eventsOf(company)).toEqual(['user.connected', 'user.opened'])

    await setForwarding(hub, company, agent.id, [])
    expect(await availability(company, agent.id)).toBe('offline')
    expect(await eventsOf(company)).toEqual([
      'user.connected',
      'user.opened',
      'user.disconnected',
      'user.closed',
    ])
  })

  it('a user created with forwarding on is online from the start', async () => {
    const company = await hub.createCompany()
    const res = await hub.call('POST', '/v1/users', {
      auth: company.basic,
      body: { email: `mobile-${company.id}@example.test`, forwarding_numbers: [MOBILE] },
    })
    expect(res.status, JSON.stringify(res.body)).toBe(201)
    expect(await availability(company, res.body.user.id)).toBe('available')
    const events = await presenceEventsOf(hub, company.id)
    expect(events.map((e) => [e.event, e.data.id])).toEqual([
      ['user.connected', res.body.user.id],
      ['user.opened', res.body.user.id],
    ])
  })

  it('their declared status still applies: unavailable, Auto outside working hours, do not disturb', async () => {
    const company = await hub.createCompany()
    // 09:00 UTC on a Monday is 22:00 in Auckland: outside the default working hours.
    const night = await addAgent(hub, company, { availabilityStatus: 'custom', timeZone: 'Pacific/Auckland' })
    const user = await setForwarding(hub, company, night.id, [MOBILE])
    expect(user).toMatchObject({ available: false, availability_status: 'custom' })
    expect(await availability(company, night.id)).toBe('do_not_disturb')
    // Online, not open to calls.
    expect(await eventsOf(company)).toEqual(['user.connected'])

    const other = await hub.createCompany()
    const unavailable = await hub.call('PUT', `/v1/users/${other.agentUserId}`, {
      auth: other.basic,
      body: { availability_status: 'unavailable', forwarding_numbers: [MOBILE] },
    })
    expect(unavailable.body.user).toMatchObject({ available: false, substatus: 'always_closed' })
    expect(await availability(other, other.agentUserId)).toBe('do_not_disturb')
    expect(await eventsOf(other)).toEqual(['user.connected'])

    // Available, then do not disturb from their own token: closed, still connected.
    await hub.call('PUT', `/v1/users/${other.agentUserId}`, {
      auth: other.basic,
      body: { availability_status: 'available' },
    })
    expect(await availability(other, other.agentUserId)).toBe('available')
    const dnd = await hub.call('PUT', '/v1/me/availability', {
      auth: other.agentBearer,
      body: { availability: 'do_not_disturb' },
    })
    expect(dnd.body).toEqual({ availability: 'do_not_disturb' })
    expect(await availability(other, other.agentUserId)).toBe('do_not_disturb')
    expect(await eventsOf(other)).toEqual(['user.connected', 'user.opened', 'user.closed'])
  })
})

describe('forwarding and clients together: one connection, one event', () => {
  let base: string

  beforeAll(async () => {
    ;({ base } = await hub.listenRealtime({ timings: { graceMs: GRACE_MS, reapMs: 25 } }))
  })

  /** Once the channel has recorded that the agent's last client left (the grace period is over). */
  const clientGone = (userId: number) =>
    eventually(async () => expect((await hub.userById(userId))!.presence).toBe('offline'))

  it('a client coming and going while forwarding is on changes nothing; forwarding off with a client open neither', async () => {
    const company = await hub.createCompany()
    const agent = company.agentUserId
    await setForwarding(hub, company, agent, [MOBILE])
    expect(await eventsOf(company)).toEqual(['user.connected', 'user.opened'])

    const first = await connectAgent(base, tokenOf(company.agentBearer))
    expect(first.hello.presence).toMatchObject({ online: true, declared: 'available', routable: true })
    await first.socket.close()
    await sleep(GRACE_MS)
    await clientGone(agent)
    // The app closed, the external phone is still theirs.
    expect(await availability(company, agent)).toBe('available')
    expect(await eventsOf(company)).toEqual(['user.connected', 'user.opened'])

    const second = await connectAgent(base, tokenOf(company.agentBearer))
    await setForwarding(hub, company, agent, [])
    // Still online by the app.
    expect(await availability(company, agent)).toBe('available')
    expect(await eventsOf(company)).toEqual(['user.connected', 'user.opened'])

    // The app closes: now they go offline, once the grace period is over.
    await second.socket.close()
    await eventually(async () =>
      expect(await eventsOf(company)).toEqual([
        'user.connected',
        'user.opened',
        'user.disconnected',
        'user.closed',
      ]),
    )
    expect(await availability(company, agent)).toBe('offline')
  })

  it('forwarding turned on while a client is open, then the client leaves: online throughout', async () => {
    const company = await hub.createCompany()
    const agent = company.agentUserId
    const { socket } = await connectAgent(base, tokenOf(company.agentBearer))
    expect(await eventsOf(company)).toEqual(['user.connected', 'user.opened'])
    await setForwarding(hub, company, agent, [MOBILE])
    await socket.close()
    await sleep(GRACE_MS)
    await clientGone(agent)
    expect(await availability(company, agent)).toBe('available')
    expect(await eventsOf(company)).toEqual(['user.connected', 'user.opened'])

    await setForwarding(hub, company, agent, [])
    expect(await availability(company, agent)).toBe('offline')
    expect(await eventsOf(company)).toEqual([
      'user.connected',
      'user.opened',
      'user.disconnected',
      'user.closed',
    ])
  })
})
