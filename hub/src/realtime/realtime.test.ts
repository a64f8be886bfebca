import { spawn } from 'node:child_process'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import type { AgentCall } from '@switchboard/shared'
import { eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestHub, type TestCompany, type TestHub } from '../../test/helpers/hub.ts'
import { connectAgent, openRealtime, tokenOf, upgradeStatus } from '../../test/helpers/realtime-client.ts'
import { presenceEventsOf, realtimeTestEnv } from '../../test/helpers/users.ts'
import { eventually } from '../../test/jobs/eventually.ts'
import { DomainError } from '../core/errors.ts'
import { userTokens } from '../db/schema/index.ts'
import type { CallActionMessage, CallActions } from './ports.ts'
import type { Realtime } from './realtime.ts'

const GRACE_MS = 300

// One hub (one database) for the file; each group serves a channel with the timings it tests.
let hub: TestHub
beforeAll(async () => {
  hub = await createTestHub({ env: realtimeTestEnv() })
})
afterAll(() => hub.close())

const userEvents = (companyId: number) => presenceEventsOf(hub, companyId)

describe('GET /v1/realtime: sign-in by the first frame', () => {
  let base: string
  let company: TestCompany

  beforeAll(async () => {
    ;({ base } = await hub.listenRealtime({ timings: { authTimeoutMs: 400, graceMs: GRACE_MS } }))
    company = await hub.createCompany()
  })

  it('answers hello with the user, their presence and no call, for an agent token', async () => {
    const { socket, hello } = await connectAgent(base, tokenOf(company.agentBearer))
    expect(hello).toEqual({
      type: 'hello',
      v: 1,
      user: { id: company.agentUserId, name: 'Alan Agent', company_id: company.id },
      presence: {
        user_id: company.agentUserId,
        online: true,
        declared: 'available',
        reason: null,
        live: 'idle',
        routable: true,
      },
      call: null,
    })
    await socket.close()
  })

  it('takes a dashboard session token too, with or without "Bearer "', async () => {
    const { socket, hello } = await connectAgent(base, company.adminBearer)
    expect(hello.user.id).toBe(company.adminUserId)
    await socket.close()
  })

  it('closes with 4401 on a wrong token, and on an API key (the channel is per user)', async () => {
    for (const token of ['sba_not-a-real-token', `${company.apiId}:${company.apiToken}`, company.basic]) {
      const socket = await openRealtime(base)
      socket.send({ type: 'auth', v: 1, token })
      expect((await socket.closed).code, token).toBe(4401)
      expect(socket.frames).toEqual([])
    }
  })

  it('closes with 4400 when the first frame is not auth, not JSON, of another version, or never comes', async () => {
    for (const first of [
      { type: 'ping' },
      'not json',
      { type: 'auth', v: 2, token: tokenOf(company.agentBearer) },
      { type: 'answer', call_id: 1 },
    ]) {
      const socket = await openRealtime(base)
      socket.send(first)
      expect((await socket.closed).code, JSON.stringify(first)).toBe(4400)
    }
    const silent = await openRealtime(base)
    const started = Date.now()
    expect((await silent.closed).code).toBe(4400)
    expect(Date.now() - started).toBeGreaterThanOrEqual(350)
  })

  it('refuses a token in the URL, and answers 426 to a plain GET', async () => {
    expect(await upgradeStatus(base, `?token=${tokenOf(company.agentBearer)}`)).toBe(400)
    expect(await upgradeStatus(base)).toBe(101)
    const res = await fetch(`${base}/v1/realtime`)
    expect(res.status).toBe(426)
    expect(await res.json()).toMatchObject({ code: 'bad_request' })
    const doc = await hub.call('GET', '/v1/openapi.json')
    expect(doc.body.paths['/v1/realtime'].get.summary).toBe("The agents' realtime channel (WebSocket)")
  })
})

describe('frames after sign-in', () => {
  let base: string
  let realtime: Realtime
  let company: TestCompany

  beforeAll(async () => {
    ;({ base, realtime } = await hub.listenRealtime({ timings: { graceMs: GRACE_MS } }))
    company = await hub.createCompany()
  })

  it('answers a malformed frame with an error frame (its ref when it has one) and stays open', async () => {
    const { socket } = await connectAgent(base, tokenOf(company.agentBearer))
    socket.send('{not json')
    expect(await socket.next('error')).toMatchObject({ code: 'bad_request', message: 'Frames are JSON text' })
    socket.send({ type: 'dance', ref: 'r1' })
    expect(await socket.next('error')).toMatchObject({ code: 'bad_request', ref: 'r1' })
    socket.send({ type: 'answer', ref: 'r2', call_id: 'seven' })
    const bad = await socket.next('error')
    expect(bad).toMatchObject({ code: 'bad_request', ref: 'r2' })
    expect(bad.message).toContain('call_id')
    socket.send({ type: 'comment', ref: 'r3', call_id: 1, content: 'x'.repeat(5001) })
    expect(await socket.next('error')).toMatchObject({ code: 'bad_request', ref: 'r3' })
    socket.send({ type: 'auth', v: 1, token: tokenOf(company.agentBearer), ref: 'r4' })
    expect(await socket.next('error')).toMatchObject({ message: 'Already authenticated' })
    socket.send({ type: 'ping', ref: 'still-there' })
    expect(await socket.next('pong')).toEqual({ type: 'pong', ref: 'still-there' })
    await socket.close()
  })

  it('answers an action on a call that does not exist with not_found', async () => {
    const { socket } = await connectAgent(base, tokenOf(company.agentBearer))
    socket.send({ type: 'answer', ref: 'a1', call_id: 987_654_321 })
    expect(await socket.next('error')).toEqual({
      type: 'error',
      ref: 'a1',
      code: 'not_found',
      message: 'Call not found',
    })
    await socket.close()
  })

  it("delivers what the engine sends through the channel to that user's clients only", async () => {
    const other = await hub.createCompany()
    const a = await connectAgent(base, tokenOf(company.agentBearer))
    const a2 = await connectAgent(base, tokenOf(company.agentBearer))
    const admin = await connectAgent(base, tokenOf(company.adminBearer))
    const stranger = await connectAgent(base, tokenOf(other.agentBearer))
    realtime.channel.send(company.id, [company.agentUserId], {
      type: 'dial',
      to: '+33612345678',
      number_id: null,
    })
    expect(await a.socket.next('dial')).toEqual({ type: 'dial', to: '+33612345678', number_id: null })
    expect(await a2.socket.next('dial')).toEqual({ type: 'dial', to: '+33612345678', number_id: null })
    // Another user of the company, and the same user id in another company, get nothing.
    realtime.channel.send(company.id, [company.adminUserId], { type: 'call.tag_required', call_id: 9 })
    expect(await admin.socket.next('call.tag_required')).toEqual({ type: 'call.tag_required', call_id: 9 })
    expect(a.socket.frames.map((f) => f.type)).toEqual(['hello', 'dial'])
    expect(stranger.socket.frames.map((f) => f.type)).toEqual(['hello'])
    for (const s of [a, a2, admin, stranger]) await s.socket.close()
  })

  it('set_status changes the declared status the API shows, and pushes presence to all the user’s clients', async () => {
    const c = await hub.createCompany()
    const first = await connectAgent(base, tokenOf(c.agentBearer))
    const second = await connectAgent(base, tokenOf(c.agentBearer))
    first.socket.send({ type: 'set_status', ref: 's1', status: 'unavailable', reason: 'Out for lunch' })
    expect(await first.socket.next('ack')).toEqual({ type: 'ack', ref: 's1' })
    const pushed = {
      type: 'presence',
      presence: {
        user_id: c.agentUserId,
        online: true,
        declared: 'unavailable',
        reason: 'Out for lunch',
        live: 'idle',
        routable: false,
      },
    }
    expect(await second.socket.next('presence')).toEqual(pushed)
    expect(await first.socket.next('presence')).toEqual(pushed)
    const user = await hub.call('GET', `/v1/users/${c.agentUserId}`, { auth: c.basic })
    expect(user.body.user).toMatchObject({ availability_status: 'unavailable', substatus: 'Out for lunch' })
    const availability = await hub.call('GET', `/v1/users/${c.agentUserId}/availability`, { auth: c.basic })
    expect(availability.body).toEqual({ availability: 'do_not_disturb' })

    first.socket.send({ type: 'set_status', ref: 's2', status: 'do_not_disturb' })
    expect(await first.socket.next('ack')).toEqual({ type: 'ack', ref: 's2' })
    expect((await second.socket.next('presence')).presence).toMatchObject({ declared: 'do_not_disturb' })

    first.socket.send({ type: 'set_status', ref: 's3', status: 'available' })
    expect(await first.socket.next('ack')).toEqual({ type: 'ack', ref: 's3' })
    expect((await second.socket.next('presence')).presence).toMatchObject({
      declared: 'available',
      reason: null,
      routable: true,
    })
    const after = await hub.call('GET', `/v1/users/${c.agentUserId}/availability`, { auth: c.basic })
    expect(after.body).toEqual({ availability: 'available' })

    first.socket.send({ type: 'set_status', ref: 's4', status: 'available', reason: 'why' })
    expect(await first.socket.next('error')).toMatchObject({ ref: 's4', code: 'bad_request' })

    // user.opened / user.closed follow whether the agent can take calls.
    const events = (await userEvents(c.id)).map((e) => e.event)
    expect(events).toEqual(['user.connected', 'user.opened', 'user.closed', 'user.opened'])
    await first.socket.close()
    await second.socket.close()
  })
  it('shows a change made through the API (an admin, PUT /v1/me/availability) on the agent’s clients', async () => {
    const c = await hub.createCompany()
    // The hub's own channel: the one its API (hub.call) tells.
    const { socket } = await connectAgent(await hub.listen(), tokenOf(c.agentBearer))
    const res = await hub.call('PUT', `/v1/users/${c.agentUserId}`, {
      auth: c.adminBearer,
      body: { availability_status: 'custom', working_hours: { monday: [] } },
    })
    expect(res.status).toBe(200)
    // Monday 09:00 on the hub's clock, no hours on Mondays: Auto makes the agent unavailable now.
    expect((await socket.next('presence')).presence).toMatchObject({ declared: 'auto', routable: false })
    const dnd = await hub.call('PUT', '/v1/me/availability', {
      auth: c.agentBearer,
      body: { availability: 'do_not_disturb' },
    })
    expect(dnd.status).toBe(200)
    expect((await socket.next('presence')).presence).toMatchObject({ declared: 'do_not_disturb' })
    expect((await userEvents(c.id)).map((e) => e.event)).toEqual([
      'user.connected',
      'user.opened',
      'user.closed',
    ])
    await socket.close()
  })
})

/** A call ringing on the agent, as the engine would give it for hello. */
const ringing: AgentCall = {
  call_id: 77,
  direction: 'inbound',
  status: 'ringing',
  external_number: '+33612345678',
  number: { id: 3, name: 'Support', digits: '+33 1 23 45 67 89' },
  team: null,
  ivr_path: ['1'],
  started_at: 1_772_442_000,
  answered_at: null,
  recording: 'off',
  tag_required: false,
}

describe('call actions go to the engine (CallActions)', () => {
  const received: { companyId: number; userId: number; action: CallActionMessage }[] = []
  const double: CallActions = {
    async agentAction(companyId, userId, action) {
      received.push({ companyId, userId, action })
      if (action.call_id !== 77) throw new DomainError('not_found', `Call ${action.call_id} not found`)
    },
    async currentCall() {
      return ringing
    },
  }
  let base: string

  beforeAll(async () => {
    ;({ base } = await hub.listenRealtime({ callActions: double }))
  })

  it('hello carries the current call, and each action reaches the engine with the agent and company', async () => {
    const company = await hub.createCompany()
    const { socket, hello } = await connectAgent(base, tokenOf(company.agentBearer))
    expect(hello.call).toEqual(ringing)
    expect(hello.presence).toMatchObject({ live: 'ringing', routable: false, online: true })
    const actions = [
      { type: 'answer', call_id: 77 },
      { type: 'decline', call_id: 77 },
      { type: 'hangup', call_id: 77 },
      { type: 'pause_recording', call_id: 77 },
      { type: 'resume_recording', call_id: 77 },
      { type: 'transfer', call_id: 77, user_id: 5 },
      { type: 'tag', call_id: 77, tag_ids: [1, 2] },
      { type: 'comment', call_id: 77, content: 'Called back about the invoice' },
    ]
    for (const [i, action] of actions.entries()) {
      socket.send({ ...action, ref: `x${i}` })
      expect(await socket.next('ack')).toEqual({ type: 'ack', ref: `x${i}` })
    }
    expect(received).toEqual(
      actions.map((action, i) => ({
        companyId: company.id,
        userId: company.agentUserId,
        action: { ...action, ref: `x${i}` },
      })),
    )
    socket.send({ type: 'answer', call_id: 78, ref: 'other' })
    expect(await socket.next('error')).toEqual({
      type: 'error',
      ref: 'other',
      code: 'not_found',
      message: 'Call 78 not found',
    })
    await socket.close()
  })
})

describe('sign-in: hello, then what changed meanwhile', () => {
  it("sends a frame published while the hub reads the agent's state after hello, not before it", async () => {
    const company = await hub.createCompany()
    const answered: AgentCall = {
      ...ringing,
      call_id: 91,
      status: 'answered',
      ivr_path: [],
      answered_at: 1_772_442_005,
    }
    let channel: Realtime | undefined
    const { base, realtime } = await hub.listenRealtime({
      callActions: {
        async agentAction() {},
        async currentCall(companyId, userId) {
          // The caller hangs up (on another process, say) just as the hub reads the call for
          // hello: the ended frame is published before hello goes out.
          channel!.channel.send(companyId, [userId], {
            type: 'call.ended',
            call: { ...answered, status: 'done' },
          })
          return answered
        },
      },
    })
    channel = realtime
    const socket = await openRealtime(base)
    socket.send({ type: 'auth', v: 1, token: tokenOf(company.agentBearer) })
    await socket.next('call.ended')
    // Applied in order, hello then the end: the app shows no call (the other way round, the
    // older hello would put the ended call back on screen).
    expect(
      socket.frames.filter((f) => f.type === 'hello' || f.type.startsWith('call.')).map((f) => f.type),
    ).toEqual(['hello', 'call.ended'])
    expect(socket.frames[0]).toMatchObject({ type: 'hello', call: { call_id: 91, status: 'answered' } })
    await socket.close()
  })

  it('sends each insight card once when one is posted as the agent signs in', async () => {
    const company = await hub.createCompany()
    const card = (text: string) => ({
      type: 'call.insight_card' as const,
      call_id: ringing.call_id,
      contents: [{ type: 'title' as const, text }],
    })
    let channel: Realtime | undefined
    const { base, realtime } = await hub.listenRealtime({
      callActions: {
        async agentAction() {},
        async currentCall() {
          return ringing
        },
        async insightCards(companyId, callId) {
          // "Renewal due" is posted as the hub reads the call's cards: kept with the call
          // before the read, so it is in both the read and the frames that followed the join.
          // "VIP" comes right after the read: it is sent as it is posted.
          const userId = company.agentUserId
          channel!.channel.send(companyId, [userId], card('Renewal due'))
          setImmediate(() => channel!.channel.send(companyId, [userId], card('VIP')))
          expect(callId).toBe(ringing.call_id)
          // As the database gives them back: a jsonb column orders the keys its own way.
          const stored = (c: ReturnType<typeof card>) => ({
            contents: c.contents.map(({ type, text }) => ({ text, type })),
            call_id: c.call_id,
            type: c.type,
          })
          return [stored(card('Open ticket')), stored(card('Renewal due'))]
        },
      },
    })
    channel = realtime
    const socket = await openRealtime(base)
    socket.send({ type: 'auth', v: 1, token: tokenOf(company.agentBearer) })
    await socket.next('hello')
    await eventually(() =>
      expect(socket.frames.filter((f) => f.type === 'call.insight_card')).toHaveLength(3),
    )
    await sleep(100)
    expect(
      socket.frames
        .filter((f) => f.type === 'call.insight_card')
        .map((f) => (f as ReturnType<typeof card>).contents[0]!.text),
    ).toEqual(['Open ticket', 'Renewal due', 'VIP'])
    await socket.close()
  })
})

describe('presence: online while a client is connected, offline after the grace period', () => {
  let base: string
  let realtime: Realtime

  beforeAll(async () => {
    ;({ base, realtime } = await hub.listenRealtime({ timings: { graceMs: GRACE_MS, reapMs: 25 } }))
  })

  it('records user.connected / user.opened once, survives a reconnect within the grace period, then goes offline', async () => {
    const company = await hub.createCompany()
    const user = company.agentUserId
    const availability = async () =>
      (await hub.call('GET', `/v1/users/${user}/availability`, { auth: company.basic })).body.availability
    expect(await availability()).toBe('offline')
    expect(await realtime.presence.onlineUsers(company.id)).toEqual(new Set())

    const first = await connectAgent(base, tokenOf(company.agentBearer))
    expect(await availability()).toBe('available')
    expect(await realtime.presence.onlineUsers(company.id)).toEqual(new Set([user]))
    const events = await userEvents(company.id)
    expect(events.map((e) => e.event)).toEqual(['user.connected', 'user.opened'])
    // The data is the Aircall User object, as the API returns it.
    expect(events[0]!.data).toMatchObject({
      id: user,
      name: 'Alan Agent',
      availability_status: 'available',
      direct_link: `http://hub.test/v1/users/${user}`,
      numbers: [],
    })

    // A second client, and a reload (close, reconnect within the grace period): no new event.
    const second = await connectAgent(base, tokenOf(company.agentBearer))
    await first.socket.close()
    await second.socket.close()
    await sleep(GRACE_MS / 3)
    expect(await realtime.presence.onlineUsers(company.id)).toEqual(new Set([user]))
    const again = await connectAgent(base, tokenOf(company.agentBearer))
    expect(again.hello.presence.online).toBe(true)
    await sleep(GRACE_MS + 100)
    expect(await realtime.presence.onlineUsers(company.id)).toEqual(new Set([user]))
    expect((await userEvents(company.id)).map((e) => e.event)).toEqual(['user.connected', 'user.opened'])

    // Gone for longer than the grace period: offline, user.disconnected and user.closed.
    const closedAt = Date.now()
    await again.socket.close()
    await eventually(async () => {
      expect((await userEvents(company.id)).map((e) => e.event)).toEqual([
        'user.connected',
        'user.opened',
        'user.disconnected',
        'user.closed',
      ])
    })
    expect(Date.now() - closedAt).toBeGreaterThanOrEqual(GRACE_MS - 20)
    expect(await realtime.presence.onlineUsers(company.id)).toEqual(new Set())
    expect(await availability()).toBe('offline')
  })

  it('does not open an agent whose setting makes them unavailable, but records their connection', async () => {
    const company = await hub.createCompany()
    await hub.call('PUT', `/v1/users/${company.agentUserId}`, {
      auth: company.basic,
      body: { availability_status: 'unavailable' },
    })
    const { socket, hello } = await connectAgent(base, tokenOf(company.agentBearer))
    expect(hello.presence).toMatchObject({ online: true, declared: 'unavailable', routable: false })
    await socket.close()
    await eventually(async () => {
      expect((await userEvents(company.id)).map((e) => e.event)).toEqual([
        'user.connected',
        'user.disconnected',
      ])
    })
  })
})

describe('heartbeats', () => {
  let base: string

  beforeAll(async () => {
    ;({ base } = await hub.listenRealtime({
      timings: { pingIntervalMs: 200, dropAfterMs: 600, graceMs: GRACE_MS },
    }))
  })

  it('pings a quiet client, keeps one that answers, drops one that stays silent', async () => {
    const company = await hub.createCompany()
    const answering = await connectAgent(base, tokenOf(company.agentBearer))
    answering.socket.ws.on('message', (data) => {
      const frame = JSON.parse(data.toString())
      if (frame.type === 'ping') answering.socket.send({ type: 'pong', ref: frame.ref })
    })
    const silent = await connectAgent(base, tokenOf(company.agentBearer))
    const ping = await silent.socket.next('ping', 2_000)
    expect(ping.ref).toEqual(expect.any(String))
    const started = Date.now()
    const { code } = await silent.socket.closed
    // Dropped without a close handshake (the peer is presumed gone).
    expect(code).toBe(1006)
    expect(Date.now() - started).toBeLessThan(1_500)
    await sleep(700)
    answering.socket.send({ type: 'ping', ref: 'alive' })
    expect(await answering.socket.next('pong')).toEqual({ type: 'pong', ref: 'alive' })
    expect(answering.socket.frames.filter((f) => f.type === 'ping').length).toBeGreaterThanOrEqual(2)
    await answering.socket.close()
  })
})

describe('revocation', () => {
  it('closes the socket with 4403 when its token is revoked in this process (sign-out)', async () => {
    // The periodic check is far off: the revocation itself closes the socket.
    const { base } = await hub.listenRealtime({ timings: { credentialCheckMs: 60_000 } })
    {
      const company = await hub.createCompany()
      const { socket } = await connectAgent(base, tokenOf(company.agentBearer))
      const other = await connectAgent(base, tokenOf(company.adminBearer))
      const res = await hub.call('POST', '/v1/auth/logout', { auth: company.agentBearer })
      expect(res.status).toBe(204)
      expect(await socket.closed).toEqual({ code: 4403, reason: 'The credential was revoked' })
      // Another user's socket stays.
      other.socket.send({ type: 'ping', ref: 'x' })
      expect(await other.socket.next('pong')).toEqual({ type: 'pong', ref: 'x' })
      await other.socket.close()
    }
  })

  it('closes it too when another process revoked it (seen by the periodic check)', async () => {
    const { base } = await hub.listenRealtime({ timings: { credentialCheckMs: 100 } })
    {
      const company = await hub.createCompany()
      const { socket } = await connectAgent(base, tokenOf(company.agentBearer))
      // Straight in the database, as another hub process would: no invalidation reaches this one.
      await hub.db
        .update(userTokens)
        .set({ revokedAt: hub.clock.now() })
        .where(eq(userTokens.userId, company.agentUserId))
      expect((await socket.closed).code).toBe(4403)
    }
  })
})

describe('scripts/agent-client.mjs', () => {
  it('signs in, prints the ringing call, and answers it when the agent presses a', async () => {
    const answered: CallActionMessage[] = []
    const call: AgentCall = {
      ...ringing,
      call_id: 501,
      team: { id: 2, name: 'Tier 1' },
      ivr_path: ['2'],
      recording: 'on',
    }
    const { base } = await hub.listenRealtime({
      callActions: {
        async agentAction(_companyId, _userId, action) {
          answered.push(action)
        },
        async currentCall() {
          return call
        },
      },
    })
    const company = await hub.createCompany()
    const script = fileURLToPath(new URL('../../../scripts/agent-client.mjs', import.meta.url))
    const child = spawn(process.execPath, [script, '--url', base], {
      env: { ...process.env, SB_AGENT_TOKEN: tokenOf(company.agentBearer) },
      stdio: ['pipe', 'pipe', 'pipe'],
    })
    let output = ''
    child.stdout.on('data', (d: Buffer) => {
      output += d.toString('utf8')
    })
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve))
    try {
      await eventually(() => expect(output).toContain('call 501 inbound ringing: +33612345678 → Support'))
      expect(output).toContain('hello Alan Agent')
      expect(output).toContain('team Tier 1, IVR 2')
      child.stdin.write('a\n')
      await eventually(() => expect(answered).toEqual([{ type: 'answer', call_id: 501, ref: 'answer-1' }]))
      child.stdin.write('q\n')
      expect(await exited).toBe(0)
    } finally {
      child.kill()
    }
  })

  it('gives up with exit code 1 on a bad token', async () => {
    const base = await hub.listen()
    const script = fileURLToPath(new URL('../../../scripts/agent-client.mjs', import.meta.url))
    const child = spawn(process.execPath, [script, '--url', base], {
      env: { ...process.env, SB_AGENT_TOKEN: 'sba_wrong' },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let errors = ''
    child.stderr.on('data', (d: Buffer) => {
      errors += d.toString('utf8')
    })
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve))
    expect(code).toBe(1)
    expect(errors).toContain('bad credentials')
  })
})
