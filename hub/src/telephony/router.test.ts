import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { initialCallState, route } from './router.ts'
import {
  busy,
  classicConfig,
  dnd,
  holidayConfig,
  idle,
  MONDAY_10_PARIS,
  offline,
  SUNDAY_10_PARIS,
  world,
} from './router-fixtures.ts'
import {
  type CallState,
  DEFAULT_TEAM_RING_SEC,
  DEFAULT_USER_RING_SEC,
  type Destination,
  type Instruction,
  type MissedCallReason,
  type RoutingConfig,
  type RoutingEvent,
  type RoutingWorld,
} from './routing-types.ts'

/** Feeds events in order (each at its own instant) and returns every instruction. */
function run(
  config: RoutingConfig,
  w: RoutingWorld,
  events: [number, RoutingEvent][],
  start = MONDAY_10_PARIS,
) {
  let state: CallState = initialCallState(start, 42)
  const out: Instruction[] = []
  for (const [at, event] of [[start, { type: 'start' }] as [number, RoutingEvent], ...events]) {
    const d = route(config, w, state, event, at)
    state = d.state
    out.push(d.instruction)
  }
  return { state, out, last: out[out.length - 1]! }
}

const s = (seconds: number, base = MONDAY_10_PARIS) => base + seconds * 1000

describe('router: entry rules', () => {
  it('rejects a blacklisted caller before anything else, even when closed', () => {
    const w = world({ 1: idle() }, {}, true)
    expect(run(classicConfig(), w, []).last).toEqual({ action: 'reject', reason: 'blacklisted' })
    expect(run(classicConfig(), w, [], SUNDAY_10_PARIS).state.outcome).toBe('rejected')
  })

  it('plays the welcome message when open, then rings the first step', () => {
    const r = run(classicConfig(), world({ 1: idle() }), [[s(5), { type: 'played' }]])
    expect(r.out[0]).toMatchObject({ action: 'play', purpose: 'welcome' })
    expect(r.last).toEqual({ action: 'ring', userIds: [1], timeoutSec: 25, step: 0 })
  })

  it('goes to the closed message then voicemail outside business hours', () => {
    const r = run(
      classicConfig(),
      world({ 1: idle() }),
      [[s(4, SUNDAY_10_PARIS), { type: 'played' }]],
      SUNDAY_10_PARIS,
    )
    expect(r.out[0]).toMatchObject({ action: 'play', purpose: 'closed' })
    expect(r.last).toEqual({ action: 'voicemail', prompt: null })
    expect(r.state.missedReason).toBe('out_of_opening_hours')
  })

  it('hangs up after the closed message when voicemail is off', () => {
    const r = run(
      classicConfig({ voicemailEnabled: false }),
      world({}),
      [[s(4, SUNDAY_10_PARIS), { type: 'played' }]],
      SUNDAY_10_PARIS,
    )
    expect(r.last).toEqual({ action: 'hangup' })
    expect(r.state.outcome).toBe('message')
  })

  it('treats 18:00 as closed and 17:59 as open (slots are half-open)', () => {
    const cfg = classicConfig({ messages: {} })
    expect(run(cfg, world({ 1: idle() }), [], Date.parse('2026-03-02T16:59:00Z')).last.action).toBe('ring')
    expect(run(cfg, world({ 1: idle() }), [], Date.parse('2026-03-02T17:00:00Z')).last.action).toBe(
      'voicemail',
    )
  })

  it('checks exceptional periods first, with their own destination', () => {
    const cfg = classicConfig({
      messages: {},
      businessHours: {
        ...classicConfig().businessHours,
        exceptions: [
          {
            name: 'Staff party',
            start: '2026-03-02T09:30',
            end: '2026-03-02T12:00',
            destination: { type: 'external', e164: '+33612345678' },
          },
          { name: 'Holiday', start: '2026-03-03T00:00', end: '2026-03-04T00:00', destination: null },
        ],
      },
    })
    expect(run(cfg, world({ 1: idle() }), []).last).toEqual({
      action: 'transfer_external',
      e164: '+33612345678',
    })
    const holiday = run(cfg, world({ 1: idle() }), [], Date.parse('2026-03-03T09:00:00Z'))
    expect(holiday.last.action).toBe('voicemail')
    expect(holiday.state.missedReason).toBe('out_of_opening_hours')
  })

  it('follows the number time zone (09:00 New York is 14:00 UTC)', () => {
    const cfg = classicConfig({
      messages: {},
      businessHours: { ...classicConfig().businessHours, timeZone: 'America/New_York' },
    })
    expect(run(cfg, world({ 1: idle() }), [], Date.parse('2026-03-02T13:59:00Z')).last.action).toBe(
      'voicemail',
    )
    expect(run(cfg, world({ 1: idle() }), [], Date.parse('2026-03-02T14:00:00Z')).last.action).toBe('ring')
  })
})

/** An instruction in a few characters, so tables read like the call's timeline. */
function label(i: Instruction): string {
  switch (i.action) {
    case 'play':
      return `play:${i.purpose}`
    case 'ring':
      return `ring:${i.userIds.join(',')}/${i.timeoutSec}s`
    case 'wait':
      return `wait/${i.timeoutSec}s`
    case 'reject':
      return `reject:${i.reason}`
    case 'gather':
      return `gather:${i.play}`
    case 'transfer_external':
      return `transfer:${i.e164}`
    case 'transfer_number':
      return `transfer:#${i.numberId}`
    case 'connect':
      return `connect:${i.userId}`
    default:
      return i.action
  }
}

describe('router: exceptional periods (a holiday is a call outside opening hours)', () => {
  type Case = {
    name: string
    destination: Destination | null
    overrides?: Partial<RoutingConfig>
    presence?: Record<number, ReturnType<typeof idle>>
    events: [number, RoutingEvent][]
    timeline: string[]
    outcome: CallState['outcome']
    reason: MissedCallReason | null
  }
  const noVoicemail = { voicemailEnabled: false }
  const noClosedMessage = { messages: { ...classicConfig().messages, closed: null } }
  const cases: Case[] = [
    {
      name: 'no destination: closed message, then voicemail',
      destination: null,
      events: [[s(3), { type: 'played' }]],
      timeline: ['play:closed', 'voicemail'],
      outcome: null,
      reason: 'out_of_opening_hours',
    },
    {
      name: 'voicemail: the closed message (not the unavailable one), then voicemail',
      destination: { type: 'voicemail' },
      events: [[s(3), { type: 'played' }]],
      timeline: ['play:closed', 'voicemail'],
      outcome: null,
      reason: 'out_of_opening_hours',
    },
    {
      name: 'voicemail with voicemail off: the closed message, then hang up',
      destination: { type: 'voicemail' },
      overrides: noVoicemail,
      events: [[s(3), { type: 'played' }]],
      timeline: ['play:closed', 'hangup'],
      outcome: 'message',
      reason: 'out_of_opening_hours',
    },
    {
      name: 'voicemail without a closed message: voicemail at once',
      destination: { type: 'voicemail' },
      overrides: noClosedMessage,
      events: [],
      timeline: ['voicemail'],
      outcome: null,
      reason: 'out_of_opening_hours',
    },
    {
      name: 'hang up: the closed message, then hang up even with voicemail on',
      destination: { type: 'hangup' },
      events: [[s(3), { type: 'played' }]],
      timeline: ['play:closed', 'hangup'],
      outcome: 'message',
      reason: 'out_of_opening_hours',
    },
    {
      name: 'hang up without a closed message: hangs up at once',
      destination: { type: 'hangup' },
      overrides: noClosedMessage,
      events: [],
      timeline: ['hangup'],
      outcome: 'message',
      reason: 'out_of_opening_hours',
    },
    {
      name: 'caller hangs up during the closed message',
      destination: { type: 'voicemail' },
      events: [[s(1), { type: 'hungup' }]],
      timeline: ['play:closed', 'none'],
      outcome: 'abandoned',
      reason: 'out_of_opening_hours',
    },
    {
      name: 'user who lets it ring out: the natural path (unavailable message, agents_did_not_answer)',
      destination: { type: 'user', userId: 1 },
      presence: { 1: idle() },
      events: [
        [s(25), { type: 'timeout' }],
        [s(28), { type: 'played' }],
      ],
      timeline: ['ring:1/25s', 'play:unavailable', 'voicemail'],
      outcome: null,
      reason: 'agents_did_not_answer',
    },
    {
      name: 'team with nobody routable: the natural no_available_agent',
      destination: { type: 'team', teamId: 10, ringTimeSec: 30 },
      presence: { 2: offline(), 3: dnd() },
      events: [[s(3), { type: 'played' }]],
      timeline: ['play:unavailable', 'voicemail'],
      outcome: null,
      reason: 'no_available_agent',
    },
    {
      name: 'user who answers: answered, no missed reason',
      destination: { type: 'user', userId: 1, ringTimeSec: 40 },
      presence: { 1: idle() },
      events: [[s(5), { type: 'answered', userId: 1 }]],
      timeline: ['ring:1/40s', 'connect:1'],
      outcome: 'answered',
      reason: null,
    },
    {
      name: 'another number: transferred at once, no missed reason',
      destination: { type: 'number', numberId: 7 },
      events: [],
      timeline: ['transfer:#7'],
      outcome: 'transferred',
      reason: null,
    },
    {
      name: 'an external number: transferred at once',
      destination: { type: 'external', e164: '+33612345678' },
      events: [],
      timeline: ['transfer:+33612345678'],
      outcome: 'transferred',
      reason: null,
    },
    {
      name: 'on an IVR number, voicemail: the closed message, no menu',
      destination: { type: 'voicemail' },
      overrides: {
        isIvr: true,
        ivr: { options: { '1': { type: 'user', userId: 1 } }, fallback: { type: 'hangup' }, timeoutSec: 5 },
      },
      events: [[s(3), { type: 'played' }]],
      timeline: ['play:closed', 'voicemail'],
      outcome: null,
      reason: 'out_of_opening_hours',
    },
  ]
  for (const c of cases)
    it(c.name, () => {
      const r = run(holidayConfig(c.destination, c.overrides), world(c.presence ?? {}), c.events)
      expect(r.out.map(label)).toEqual(c.timeline)
      expect(r.state.outcome).toBe(c.outcome)
      expect(r.state.missedReason).toBe(c.reason)
    })

  it('leaves the same number open when the period is over', () => {
    const r = run(
      holidayConfig({ type: 'hangup' }),
      world({ 1: idle() }),
      [],
      Date.parse('2026-03-03T09:00:00Z'),
    )
    expect(r.out.map(label)).toEqual(['play:welcome'])
  })
})

describe('router: numbers that are not live refuse calls', () => {
  it.each(['pending_documents', 'in_review', 'rejected', 'released'] as const)(
    '%s: refused at once, nobody rung, even when open with idle agents',
    (reason) => {
      const cfg = classicConfig({ active: false, inactiveReason: reason, messages: {} })
      const r = run(cfg, world({ 1: idle(), 2: idle() }), [[s(1), { type: 'timeout' }]])
      expect(r.out.map(label)).toEqual(['reject:number_inactive', 'none'])
      expect(r.state).toMatchObject({ phase: 'ended', outcome: 'rejected', missedReason: null, ringing: [] })
    },
  )

  it('refuses an inactive IVR number the same way, and routes it once active', () => {
    const ivr = classicConfig({
      isIvr: true,
      ivr: { options: { '1': { type: 'user', userId: 1 } }, fallback: { type: 'voicemail' }, timeoutSec: 5 },
    })
    expect(
      run({ ...ivr, active: false, inactiveReason: 'in_review' }, world({ 1: idle() }), []).last,
    ).toEqual({
      action: 'reject',
      reason: 'number_inactive',
    })
    expect(run(ivr, world({ 1: idle() }), []).last).toMatchObject({ action: 'play', purpose: 'welcome' })
  })
})

describe('router: distribution', () => {
  const cfg = classicConfig({ messages: { unavailable: { kind: 'tts', text: 'Sorry', language: 'en-US' } } })

  it('moves to the team step when the user lets it ring out, ringing idle members together', () => {
    const r = run(cfg, world({ 1: idle(), 2: idle(), 3: busy(), 4: offline() }), [
      [s(25), { type: 'timeout' }],
    ])
    expect(r.last).toEqual({ action: 'ring', userIds: [2], timeoutSec: 20, step: 1 })
  })

  it('connects the agent who answers', () => {
    const r = run(cfg, world({ 1: idle() }), [[s(3), { type: 'answered', userId: 1 }]])
    expect(r.last).toEqual({ action: 'connect', userId: 1 })
    expect(r.state).toMatchObject({ outcome: 'answered', missedReason: null, answeredBy: 1 })
  })

  it('ignores an answer from someone not ringing', () => {
    const r = run(cfg, world({ 1: idle() }), [[s(3), { type: 'answered', userId: 9 }]])
    expect(r.last).toEqual({ action: 'none' })
  })

  it('never rings again on this call an agent who declined', () => {
    const c = classicConfig({
      messages: {},
      distribution: [
        { kind: 'user', userId: 1, ringTimeSec: 25 },
        { kind: 'team', teamId: 10, ringTimeSec: 20, strategy: 'simultaneous' },
        { kind: 'user', userId: 1, ringTimeSec: 25 },
      ],
    })
    const r = run(c, world({ 1: idle(), 2: idle() }, { 10: [1, 2] }), [
      [s(2), { type: 'declined', userId: 1 }],
      [s(22), { type: 'timeout' }],
    ])
    expect(r.out[1]).toEqual({ action: 'ring', userIds: [2], timeoutSec: 20, step: 1 })
    // Step 2 is user 1 again: skipped, so voicemail.
    expect(r.last).toEqual({ action: 'voicemail', prompt: null })
    expect(r.state.missedReason).toBe('agents_did_not_answer')
  })

  it('rings again in a later step an agent who only let it ring out', () => {
    const c = classicConfig({
      messages: {},
      distribution: [
        { kind: 'user', userId: 1, ringTimeSec: 25 },
        { kind: 'user', userId: 2, ringTimeSec: 25 },
        { kind: 'user', userId: 1, ringTimeSec: 15 },
      ],
    })
    const r = run(c, world({ 1: idle(), 2: idle() }), [
      [s(25), { type: 'timeout' }],
      [s(50), { type: 'timeout' }],
    ])
    expect(r.last).toEqual({ action: 'ring', userIds: [1], timeoutSec: 15, step: 2 })
  })

  it('keeps ringing the others when one of a simultaneous ring declines', () => {
    const r = run(cfg, world({ 1: offline(), 2: idle(), 3: idle() }), [
      [s(1), { type: 'declined', userId: 2 }],
    ])
    expect(r.out[0]).toEqual({ action: 'ring', userIds: [2, 3], timeoutSec: 20, step: 1 })
    expect(r.last).toEqual({ action: 'none' })
    expect(r.state.ringing).toEqual([3])
  })

  it('goes straight to voicemail when nobody is routable and respect-queue-time is off', () => {
    const r = run(cfg, world({ 1: offline(), 2: dnd(), 3: offline(), 4: offline() }), [
      [s(3), { type: 'played' }],
    ])
    expect(r.out[0]).toMatchObject({ action: 'play', purpose: 'unavailable' })
    expect(r.last).toEqual({ action: 'voicemail', prompt: null })
    expect(r.state.missedReason).toBe('no_available_agent')
  })

  it('waits the step time when nobody is routable but respect-queue-time is on', () => {
    const c = classicConfig({ messages: {}, respectQueueTime: true })
    const r = run(c, world({ 1: offline(), 2: dnd() }), [
      [s(25), { type: 'timeout' }],
      [s(45), { type: 'timeout' }],
    ])
    expect(r.out[0]).toEqual({ action: 'wait', timeoutSec: 25, step: 0 })
    expect(r.out[1]).toEqual({ action: 'wait', timeoutSec: 20, step: 1 })
    expect(r.last).toEqual({ action: 'voicemail', prompt: null })
    expect(r.state.missedReason).toBe('no_available_agent')
  })

  it('waits for busy members and rings one as soon as they are free', () => {
    const c = classicConfig({
      messages: {},
      distribution: [{ kind: 'team', teamId: 10, ringTimeSec: 60, strategy: 'simultaneous' }],
    })
    const before = world({ 2: busy(), 3: offline() })
    let state = initialCallState(MONDAY_10_PARIS, 1)
    const first = route(c, before, state, { type: 'start' }, MONDAY_10_PARIS)
    expect(first.instruction).toEqual({ action: 'wait', timeoutSec: 60, step: 0 })
    state = first.state
    const after = route(c, world({ 2: idle(), 3: offline() }), state, { type: 'presence_changed' }, s(20))
    expect(after.instruction).toEqual({ action: 'ring', userIds: [2], timeoutSec: 40, step: 0 })
  })

  it('skips auto agents outside their working hours and rings those inside', () => {
    const r = run(
      classicConfig({ messages: {} }),
      world({
        1: { declared: 'auto', live: 'idle', inWorkingHours: false, idleSince: 0 },
        2: { declared: 'auto', live: 'idle', inWorkingHours: true, idleSince: 0 },
      }),
      [],
    )
    expect(r.last).toEqual({ action: 'ring', userIds: [2], timeoutSec: 20, step: 1 })
  })

  it('does not route to agents in wrap-up or pending a mandatory tag', () => {
    const wrap = {
      declared: 'available' as const,
      live: 'after_call_work' as const,
      inWorkingHours: true,
      idleSince: 0,
    }
    const tag = { ...wrap, live: 'pending_tag' as const }
    const r = run(classicConfig({ messages: {} }), world({ 1: wrap, 2: tag, 3: idle() }), [
      [s(25), { type: 'timeout' }],
    ])
    // User 1 is busy in wrap-up: the caller waits the user step's time instead of ringing them.
    expect(r.out[0]).toEqual({ action: 'wait', timeoutSec: 25, step: 0 })
    expect(r.last).toEqual({ action: 'ring', userIds: [3], timeoutSec: 20, step: 1 })
  })

  it('rings the longest idle member first, one at a time, each once per step', () => {
    const c = classicConfig({
      messages: {},
      // Room for three members at 25 s each (TEAM_MEMBER_RING_SEC).
      distribution: [{ kind: 'team', teamId: 10, ringTimeSec: 75, strategy: 'longest_idle' }],
    })
    const r = run(c, world({ 2: idle(300), 3: idle(100), 4: idle(200) }), [
      [s(25), { type: 'timeout' }],
      [s(50), { type: 'timeout' }],
      [s(75), { type: 'timeout' }],
    ])
    expect(r.out.slice(0, 3).map((i) => (i.action === 'ring' ? i.userIds : i.action))).toEqual([
      [3],
      [4],
      [2],
    ])
    expect(r.last).toEqual({ action: 'voicemail', prompt: null })
  })

  it('rings every member once in random order, reproducibly for one call', () => {
    const c = classicConfig({
      messages: {},
      distribution: [{ kind: 'team', teamId: 10, ringTimeSec: 75, strategy: 'random' }],
    })
    const w = world({ 2: idle(), 3: idle(), 4: idle() })
    const events: [number, RoutingEvent][] = [
      [s(25), { type: 'timeout' }],
      [s(50), { type: 'timeout' }],
    ]
    const a = run(c, w, events)
    const rung = a.out.map((i) => (i.action === 'ring' ? i.userIds[0] : null))
    expect([...rung].sort()).toEqual([2, 3, 4])
    expect(run(c, w, events).out).toEqual(a.out)
  })

  it('never keeps a caller in the distribution longer than the max queue time', () => {
    const c = classicConfig({
      messages: {},
      maxQueueTimeSec: 30,
      distribution: [
        { kind: 'user', userId: 1, ringTimeSec: 25 },
        { kind: 'user', userId: 2, ringTimeSec: 25 },
      ],
    })
    const r = run(c, world({ 1: idle(), 2: idle() }), [
      [s(25), { type: 'timeout' }],
      [s(30), { type: 'timeout' }],
    ])
    expect(r.out[1]).toEqual({ action: 'ring', userIds: [2], timeoutSec: 5, step: 1 })
    expect(r.last).toEqual({ action: 'voicemail', prompt: null })
  })

  it('turns * into a callback request when enabled, and ignores it otherwise', () => {
    const on = run(classicConfig({ messages: {} }), world({ 1: idle() }), [
      [s(5), { type: 'digit', digit: '*' }],
      [s(8), { type: 'played' }],
    ])
    expect(on.out[1]).toMatchObject({ action: 'play', purpose: 'callback_confirmation' })
    expect(on.last).toEqual({ action: 'hangup' })
    expect(on.state.outcome).toBe('callback')
    const off = run(classicConfig({ messages: {}, callbackOnStar: false }), world({ 1: idle() }), [
      [s(5), { type: 'digit', digit: '*' }],
    ])
    expect(off.last).toEqual({ action: 'none' })
  })
})

describe('router: a step ring time bounds the whole step, for every strategy', () => {
  const ten = Array.from({ length: 10 }, (_, i) => 20 + i)
  const team = (ringTimeSec: number, strategy: 'simultaneous' | 'random' | 'longest_idle') =>
    classicConfig({ messages: {}, distribution: [{ kind: 'team', teamId: 10, ringTimeSec, strategy }] })
  type Case = {
    name: string
    config: RoutingConfig
    members: number[]
    presence: Record<number, ReturnType<typeof idle>>
    /** Events in order; a timeout fires when the previous instruction's timer ends. */
    events: ([number, RoutingEvent] | 'timer')[]
    timeline: string[]
    /** Seconds from the start to the last instruction. */
    endsAt: number
  }
  const idleAll = (ids: number[]) => Object.fromEntries(ids.map((id, i) => [id, idle(i)]))
  const cases: Case[] = [
    {
      name: 'random, 20 s step, 10 idle members: one member rings 20 s, then the step is over',
      config: team(20, 'random'),
      members: ten,
      presence: idleAll(ten),
      events: ['timer'],
      timeline: ['ring:?/20s', 'voicemail'],
      endsAt: 20,
    },
    {
      name: 'longest idle, 20 s step, 10 idle members: the longest idle rings 20 s, nobody else',
      config: team(20, 'longest_idle'),
      members: ten,
      presence: idleAll(ten),
      events: ['timer'],
      timeline: ['ring:20/20s', 'voicemail'],
      endsAt: 20,
    },
    {
      name: 'longest idle, 60 s step: members ring 25 s each, the last one what is left (10 s)',
      config: team(60, 'longest_idle'),
      members: [2, 3, 4, 5],
      presence: idleAll([2, 3, 4, 5]),
      events: ['timer', 'timer', 'timer'],
      timeline: ['ring:2/25s', 'ring:3/25s', 'ring:4/10s', 'voicemail'],
      endsAt: 60,
    },
    {
      name: 'longest idle, a decline after 5 s: the next member gets 25 s, then the remaining 5 s',
      config: team(35, 'longest_idle'),
      members: [2, 3, 4],
      presence: idleAll([2, 3, 4]),
      events: [[s(5), { type: 'declined', userId: 2 }], 'timer', 'timer'],
      timeline: ['ring:2/25s', 'ring:3/25s', 'ring:4/5s', 'voicemail'],
      endsAt: 35,
    },
    {
      name: 'random, a member who lets it ring out early: the next one rings for what is left',
      config: team(30, 'random'),
      members: [2, 3],
      presence: idleAll([2, 3]),
      events: [[s(12), { type: 'no_answer', userId: -1 }], 'timer'],
      timeline: ['ring:?/25s', 'ring:?/18s', 'voicemail'],
      endsAt: 30,
    },
    {
      name: 'simultaneous, 20 s step, 10 idle members: everyone rings 20 s together',
      config: team(20, 'simultaneous'),
      members: ten,
      presence: idleAll(ten),
      events: ['timer'],
      timeline: [`ring:${ten.join(',')}/20s`, 'voicemail'],
      endsAt: 20,
    },
    {
      name: 'longest idle with a busy member: after the idle ones, the caller waits what is left',
      config: team(60, 'longest_idle'),
      members: [2, 3],
      presence: { 2: idle(), 3: busy() },
      events: ['timer', 'timer'],
      timeline: ['ring:2/25s', 'wait/35s', 'voicemail'],
      endsAt: 60,
    },
    {
      name: 'the max queue time still cuts a member short',
      config: { ...team(300, 'longest_idle'), maxQueueTimeSec: 40 },
      members: [2, 3, 4],
      presence: idleAll([2, 3, 4]),
      events: ['timer', 'timer'],
      timeline: ['ring:2/25s', 'ring:3/15s', 'voicemail'],
      endsAt: 40,
    },
    {
      name: 'a user step rings that user for the step ring time',
      config: classicConfig({ messages: {}, distribution: [{ kind: 'user', userId: 1, ringTimeSec: 90 }] }),
      members: [],
      presence: { 1: idle() },
      events: ['timer'],
      timeline: ['ring:1/90s', 'voicemail'],
      endsAt: 90,
    },
  ]
  for (const c of cases)
    it(c.name, () => {
      const w = world(c.presence, { 10: c.members })
      let now = MONDAY_10_PARIS
      let d = route(c.config, w, initialCallState(now, 7), { type: 'start' }, now)
      const out = [d.instruction]
      let timerEndsAt = now + ('timeoutSec' in d.instruction ? d.instruction.timeoutSec * 1000 : 0)
      for (const e of c.events) {
        let event: RoutingEvent
        if (e === 'timer') {
          now = timerEndsAt
          event = { type: 'timeout' }
        } else {
          now = e[0]
          // userId -1: whoever is ringing (the random pick is the router's).
          event = 'userId' in e[1] && e[1].userId === -1 ? { ...e[1], userId: d.state.ringing[0]! } : e[1]
        }
        d = route(c.config, w, d.state, event, now)
        out.push(d.instruction)
        if ('timeoutSec' in d.instruction) timerEndsAt = now + d.instruction.timeoutSec * 1000
      }
      // A random pick is written `?`: which member is the PRNG's business, not this table's.
      const anyone = (l: string) =>
        c.config.distribution[0]?.kind === 'team' && c.config.distribution[0].strategy === 'random'
          ? l.replace(/^ring:\d+\//, 'ring:?/')
          : l
      expect(out.map(label).map(anyone)).toEqual(c.timeline)
      expect((now - MONDAY_10_PARIS) / 1000).toBe(c.endsAt)
      const rung = out.flatMap((i) => (i.action === 'ring' ? i.userIds : []))
      expect(new Set(rung).size).toBe(rung.length)
    })
})

describe('router: IVR', () => {
  const ivr = classicConfig({
    isIvr: true,
    ivr: {
      options: {
        '1': { type: 'team', teamId: 10 },
        '2': { type: 'external', e164: '+442071234567' },
        '3': { type: 'number', numberId: 7 },
      },
      fallback: { type: 'user', userId: 1 },
      timeoutSec: 5,
    },
  })

  it('plays welcome then the menu, and routes a valid key', () => {
    const r = run(ivr, world({ 2: idle(), 3: idle() }), [
      [s(4), { type: 'played' }],
      [s(9), { type: 'digit', digit: '1' }],
    ])
    expect(r.out[1]).toMatchObject({ action: 'gather', play: 1, timeoutSec: 5 })
    expect(r.last).toEqual({ action: 'ring', userIds: [2, 3], timeoutSec: 20, step: 0 })
    expect(r.state.ivrKeys).toEqual(['1'])
  })

  it('transfers to an external number or another number', () => {
    expect(
      run(ivr, world({}), [
        [s(4), { type: 'played' }],
        [s(6), { type: 'digit', digit: '2' }],
      ]).last,
    ).toEqual({
      action: 'transfer_external',
      e164: '+442071234567',
    })
    expect(
      run(ivr, world({}), [
        [s(4), { type: 'played' }],
        [s(6), { type: 'digit', digit: '3' }],
      ]).last,
    ).toEqual({
      action: 'transfer_number',
      numberId: 7,
    })
  })

  it('replays the menu once when the caller picks nothing, then takes the fallback', () => {
    const r = run(ivr, world({ 1: idle() }), [
      [s(4), { type: 'played' }],
      [s(9), { type: 'timeout' }],
      [s(14), { type: 'timeout' }],
    ])
    expect(r.out[2]).toMatchObject({ action: 'gather', play: 2 })
    expect(r.last).toEqual({ action: 'ring', userIds: [1], timeoutSec: 25, step: 0 })
    expect(r.state.ivrKeys).toEqual(['fallback'])
  })

  it('treats an invalid key like no key', () => {
    const r = run(ivr, world({ 1: idle() }), [
      [s(4), { type: 'played' }],
      [s(6), { type: 'digit', digit: '9' }],
      [s(8), { type: 'digit', digit: '#' }],
    ])
    expect(r.out[2]).toMatchObject({ action: 'gather', play: 2 })
    expect(r.last.action).toBe('ring')
  })

  it('goes straight to the fallback when the IVR has no option', () => {
    const empty = { ...ivr, ivr: { ...ivr.ivr, options: {} } }
    expect(run(empty, world({ 1: idle() }), [[s(4), { type: 'played' }]]).last).toEqual({
      action: 'ring',
      userIds: [1],
      timeoutSec: 25,
      step: 0,
    })
  })

  it('classifies a hang-up in the menu as abandoned_in_ivr', () => {
    const r = run(ivr, world({}), [
      [s(4), { type: 'played' }],
      [s(6), { type: 'hungup' }],
    ])
    expect(r.state).toMatchObject({ phase: 'ended', outcome: 'abandoned', missedReason: 'abandoned_in_ivr' })
  })
})

describe('router: sent to an outside number before anyone answers', () => {
  const away: RoutingEvent = { type: 'transfer_external', e164: '+442079460000' }

  it('stops the ringing and ends transferred, not missed, while the caller waits', () => {
    const r = run(classicConfig({ messages: {} }), world({ 1: idle() }), [[s(5), away]])
    expect(r.last).toEqual({ action: 'transfer_external', e164: '+442079460000' })
    expect(r.state).toMatchObject({ phase: 'ended', outcome: 'transferred', ringing: [], missedReason: null })
    // During the welcome message, or the closed message (no longer out of opening hours then).
    expect(run(classicConfig(), world({ 1: idle() }), [[s(1), away]]).state.outcome).toBe('transferred')
    const closed = run(classicConfig(), world({ 1: idle() }), [[s(1), away]], SUNDAY_10_PARIS)
    expect(closed.state).toMatchObject({ outcome: 'transferred', missedReason: null })
  })

  it('does nothing once the caller records a voicemail, or the call has ended', () => {
    const voicemail = run(classicConfig({ messages: {} }), world({}), [[s(3), away]])
    expect(voicemail.state.phase).toBe('voicemail')
    expect(voicemail.last).toEqual({ action: 'none' })
    const ended = run(classicConfig({ messages: {} }), world({ 1: idle() }), [
      [s(3), { type: 'answered', userId: 1 }],
      [s(4), away],
    ])
    expect([ended.state.outcome, ended.last]).toEqual(['answered', { action: 'none' }])
  })
})

describe('router: missed-call reasons on hang-up', () => {
  it('short_abandoned within 10 s, abandoned_in_classic after', () => {
    const cfg = classicConfig({ messages: {} })
    expect(run(cfg, world({ 1: idle() }), [[s(9), { type: 'hungup' }]]).state.missedReason).toBe(
      'short_abandoned',
    )
    expect(run(cfg, world({ 1: idle() }), [[s(12), { type: 'hungup' }]]).state.missedReason).toBe(
      'abandoned_in_classic',
    )
  })

  it('keeps voicemail as the outcome when the caller hangs up after leaving one', () => {
    const r = run(classicConfig({ messages: {} }), world({}), [[s(40), { type: 'hungup' }]])
    expect(r.state).toMatchObject({ outcome: 'voicemail', missedReason: 'no_available_agent' })
  })

  it('does nothing once the call has ended', () => {
    const r = run(classicConfig({ messages: {} }), world({ 1: idle() }), [
      [s(3), { type: 'answered', userId: 1 }],
      [s(4), { type: 'timeout' }],
    ])
    expect(r.last).toEqual({ action: 'none' })
  })
})

// ---- property tests -------------------------------------------------------------------

const DIGIT_KEYS = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'] as const
const presenceArb = fc.constantFrom(idle(), busy(), offline(), dnd(), idle(50))
const ringArb = fc.integer({ min: 10, max: 60 })
const strategyArb = fc.constantFrom('simultaneous' as const, 'random' as const, 'longest_idle' as const)
const stepArb = fc.oneof(
  fc.record({
    kind: fc.constant('user' as const),
    userId: fc.integer({ min: 1, max: 6 }),
    ringTimeSec: ringArb,
  }),
  fc.record({
    kind: fc.constant('team' as const),
    teamId: fc.constantFrom(10, 11),
    ringTimeSec: ringArb,
    strategy: strategyArb,
  }),
)
/** Where an IVR option, the IVR fallback or a holiday sends the call. */
const destinationArb: fc.Arbitrary<Destination> = fc.oneof(
  fc.record({
    type: fc.constant('user' as const),
    userId: fc.integer({ min: 1, max: 6 }),
    ringTimeSec: ringArb,
  }),
  fc.record({ type: fc.constant('user' as const), userId: fc.integer({ min: 1, max: 6 }) }),
  fc.record({
    type: fc.constant('team' as const),
    teamId: fc.constantFrom(10, 11),
    ringTimeSec: ringArb,
    strategy: strategyArb,
  }),
  fc.record({ type: fc.constant('team' as const), teamId: fc.constantFrom(10, 11) }),
  fc.constant<Destination>({ type: 'external', e164: '+33612345678' }),
  fc.constant<Destination>({ type: 'number', numberId: 7 }),
  fc.constant<Destination>({ type: 'voicemail' }),
  fc.constant<Destination>({ type: 'hangup' }),
)
/** Seconds a prompt lasts, or null when the message is not set. */
const promptArb = fc.option(fc.integer({ min: 1, max: 20 }), { nil: null })
// Weighted so that calls usually live long enough to walk several steps: an answer or a
// hang-up ends the call, so they are the rarest moves.
const moveArb = fc.oneof(
  { arbitrary: fc.constant('timeout'), weight: 6 },
  { arbitrary: fc.constantFrom('decline', 'no_answer'), weight: 6 },
  { arbitrary: fc.constant('presence'), weight: 2 },
  // A key: the IVR's keys, an invalid one, or * (callback request while waiting).
  { arbitrary: fc.constantFrom(...DIGIT_KEYS, '*', '#').map((digit) => `digit:${digit}`), weight: 2 },
  { arbitrary: fc.constantFrom('answered', 'hungup'), weight: 1 },
)
const scenarioArb = fc.record({
  ivr: fc.boolean(),
  steps: fc.array(stepArb, { minLength: 0, maxLength: 5 }),
  options: fc.record(
    {
      '0': destinationArb,
      '1': destinationArb,
      '2': destinationArb,
      '3': destinationArb,
      '4': destinationArb,
      '5': destinationArb,
      '6': destinationArb,
      '7': destinationArb,
      '8': destinationArb,
      '9': destinationArb,
    },
    { requiredKeys: [] },
  ),
  fallback: destinationArb,
  ivrTimeout: fc.integer({ min: 1, max: 10 }),
  // Open on Monday 10:00, closed on Sunday 10:00, or inside an exceptional period.
  when: fc.constantFrom('open' as const, 'closed' as const, 'holiday' as const),
  holiday: fc.option(destinationArb, { nil: null }),
  prompts: fc.record({
    welcome: promptArb,
    closed: promptArb,
    unavailable: promptArb,
    ivrMenu: promptArb,
    callbackConfirmation: promptArb,
  }),
  presence: fc.array(presenceArb, { minLength: 6, maxLength: 6 }),
  // The world after a presence change (agents come back, go busy…); each change flips between the two.
  presenceLater: fc.array(presenceArb, { minLength: 6, maxLength: 6 }),
  rqt: fc.boolean(),
  maxQueue: fc.integer({ min: 10, max: 600 }),
  blacklisted: fc.boolean(),
  voicemail: fc.boolean(),
  callbackOnStar: fc.boolean(),
  // What happens at each turn, `afterSec` into the current timer: someone declines, lets it
  // ring out or answers, presence changes, the caller hangs up or presses a key — or the
  // timer fires first (a timeout, or a move due after it).
  moves: fc.array(fc.record({ what: moveArb, afterSec: fc.integer({ min: 0, max: 30 }) }), { maxLength: 60 }),
  seed: fc.integer({ min: 0, max: 2 ** 31 }),
})
type Scenario = (typeof scenarioArb extends fc.Arbitrary<infer T> ? T : never) & { active?: boolean }

const TEAMS = { 10: [1, 2, 3], 11: [3, 4, 5, 6] }
const HOLIDAY = { name: 'Holiday', start: '2026-03-02T00:00', end: '2026-03-03T00:00' }

function scenarioConfig(sc: Scenario): RoutingConfig {
  const prompt = (sec: number | null) => (sec === null ? null : { kind: 'audio' as const, blobId: `${sec}` })
  const base = classicConfig()
  return classicConfig({
    isIvr: sc.ivr,
    active: sc.active ?? true,
    inactiveReason: sc.active === false ? 'pending_documents' : null,
    businessHours: {
      ...base.businessHours,
      exceptions: sc.when === 'holiday' ? [{ ...HOLIDAY, destination: sc.holiday }] : [],
    },
    messages: {
      welcome: prompt(sc.prompts.welcome),
      closed: prompt(sc.prompts.closed),
      unavailable: prompt(sc.prompts.unavailable),
      ivrMenu: prompt(sc.prompts.ivrMenu),
      callbackConfirmation: prompt(sc.prompts.callbackConfirmation),
    },
    distribution: sc.ivr ? [] : sc.steps,
    respectQueueTime: sc.rqt,
    maxQueueTimeSec: sc.maxQueue,
    voicemailEnabled: sc.voicemail,
    callbackOnStar: sc.callbackOnStar,
    ivr: { options: sc.ivr ? sc.options : {}, fallback: sc.fallback, timeoutSec: sc.ivrTimeout },
  })
}

/**
 * The longest a call may last before it ends or reaches voicemail, from the reference model
 * of business-hours routing and Aircall's distribution: the welcome message, the IVR menu played at most twice
 * with its wait for a key, the distribution — at most the sum of its steps' ring times, never
 * more than the max queue time — then one closing message (closed, unavailable or callback
 * confirmation). A holiday or IVR destination is a one-step distribution.
 */
function timeBoundSec(sc: Scenario): number {
  const p = (sec: number | null) => sec ?? 0
  const ring = (d: Destination | null) =>
    d?.type === 'user'
      ? (d.ringTimeSec ?? DEFAULT_USER_RING_SEC)
      : d?.type === 'team'
        ? (d.ringTimeSec ?? DEFAULT_TEAM_RING_SEC)
        : 0
  const ivr = sc.ivr ? 2 * (p(sc.prompts.ivrMenu) + sc.ivrTimeout) : 0
  const distribution = Math.min(
    sc.maxQueue,
    Math.max(
      sc.ivr ? 0 : sc.steps.reduce((sum, st) => sum + st.ringTimeSec, 0),
      sc.ivr ? Math.max(ring(sc.fallback), ...Object.values(sc.options).map(ring)) : 0,
      sc.when === 'holiday' ? ring(sc.holiday) : 0,
    ),
  )
  const closing = Math.max(
    p(sc.prompts.closed),
    p(sc.prompts.unavailable),
    p(sc.prompts.callbackConfirmation),
  )
  return p(sc.prompts.welcome) + ivr + distribution + closing
}

/**
 * Plays a scenario as the engine would: prompts play to their end, timers fire when due, and
 * the moves happen in between, at their own instant. Returns every agent rung and when the
 * call ended or reached voicemail.
 */
function simulate(sc: Scenario) {
  const cfg = scenarioConfig(sc)
  const worlds = [sc.presence, sc.presenceLater].map((ps) =>
    world(Object.fromEntries(ps.map((p, i) => [i + 1, p])), TEAMS, sc.blacklisted),
  )
  let w = 0
  const start = sc.when === 'closed' ? SUNDAY_10_PARIS : MONDAY_10_PARIS
  let now = start
  let d = route(cfg, worlds[w]!, initialCallState(now, sc.seed), { type: 'start' }, now)
  const rung: { userId: number; at: number }[] = []
  /** Agent → how many rings had happened when they declined. */
  const declined = new Map<number, number>()
  const connected: number[] = []
  /** The engine's pending timer: what it sends, and when. */
  let timer: { event: RoutingEvent; at: number } = { event: { type: 'timeout' }, at: now }
  const follow = (i: Instruction) => {
    if (i.action === 'ring') for (const u of i.userIds) rung.push({ userId: u, at: now })
    if (i.action === 'connect') connected.push(i.userId)
    if (i.action === 'play') {
      const sec = i.prompt?.kind === 'audio' ? Number(i.prompt.blobId) : 0
      timer = { event: { type: 'played' }, at: now + sec * 1000 }
    } else if (i.action === 'gather') {
      const sec = i.prompt?.kind === 'audio' ? Number(i.prompt.blobId) : 0
      timer = { event: { type: 'timeout' }, at: now + (sec + i.timeoutSec) * 1000 }
    } else if (i.action === 'ring' || i.action === 'wait') {
      timer = { event: { type: 'timeout' }, at: now + i.timeoutSec * 1000 }
    }
  }
  follow(d.instruction)
  let guard = 0
  let moveIndex = 0
  while (d.state.phase !== 'ended' && d.state.phase !== 'voicemail' && guard++ < 500) {
    const { what: move, afterSec } = sc.moves[moveIndex++] ?? { what: 'timeout', afterSec: 0 }
    const ringing = d.state.ringing[0]
    const at = now + afterSec * 1000
    let event: RoutingEvent
    if (move === 'timeout' || at >= timer.at) {
      now = timer.at
      event = timer.event
    } else if (move === 'decline' && ringing !== undefined) {
      if (!declined.has(ringing)) declined.set(ringing, rung.length)
      event = { type: 'declined', userId: ringing }
    } else if (move === 'no_answer' && ringing !== undefined) {
      event = { type: 'no_answer', userId: ringing }
    } else if (move === 'answered' && ringing !== undefined) {
      event = { type: 'answered', userId: ringing }
    } else if (move === 'presence') {
      w = 1 - w
      event = { type: 'presence_changed' }
    } else if (move === 'hungup') {
      event = { type: 'hungup' }
    } else if (move.startsWith('digit:')) {
      event = { type: 'digit', digit: move.slice('digit:'.length) }
    } else {
      // Nobody is ringing to decline, answer or let it ring out: the timer fires.
      now = timer.at
      event = timer.event
    }
    if (event !== timer.event) now = at
    d = route(cfg, worlds[w]!, d.state, event, now)
    follow(d.instruction)
  }
  return { d, rung, now, declined, connected, guard, start }
}

describe('router: invariants (property-based, classic and IVR numbers, open, closed and holidays)', () => {
  it('every call ends (answer, voicemail, message, transfer or hang-up) within its time bound', () => {
    fc.assert(
      fc.property(scenarioArb, (sc) => {
        const { d, now, guard, start } = simulate(sc)
        expect(guard).toBeLessThan(500)
        expect(['ended', 'voicemail']).toContain(d.state.phase)
        expect(now - start).toBeLessThanOrEqual(timeBoundSec(sc) * 1000)
      }),
      { numRuns: 600 },
    )
  })

  it('a blacklisted caller, or any caller of a number that is not live, never reaches an agent', () => {
    fc.assert(
      fc.property(scenarioArb, fc.boolean(), (sc, inactive) => {
        const { rung, connected, d } = simulate(
          inactive ? { ...sc, active: false } : { ...sc, blacklisted: true },
        )
        expect(rung).toEqual([])
        expect(connected).toEqual([])
        expect(d.state.outcome).toBe('rejected')
      }),
      { numRuns: 300 },
    )
  })

  it('an agent who declined is never rung again on that call', () => {
    fc.assert(
      fc.property(scenarioArb, (sc) => {
        const { rung, declined } = simulate({
          ...sc,
          blacklisted: false,
          moves: sc.moves.map((m, i) => (i % 2 ? { ...m, what: 'decline' } : m)),
        })
        for (const [u, ringsBefore] of declined) {
          expect(rung.slice(ringsBefore).filter((r) => r.userId === u)).toEqual([])
        }
      }),
      { numRuns: 400 },
    )
  })
})
