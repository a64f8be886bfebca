import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { initialCallState, route } from './router.ts'
import {
  busy,
  classicConfig,
  dnd,
  idle,
  MONDAY_10_PARIS,
  offline,
  SUNDAY_10_PARIS,
  world,
} from './router-fixtures.ts'
import type { CallState, Instruction, RoutingConfig, RoutingEvent, RoutingWorld } from './routing-types.ts'

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
      distribution: [{ kind: 'team', teamId: 10, ringTimeSec: 15, strategy: 'longest_idle' }],
    })
    const r = run(c, world({ 2: idle(300), 3: idle(100), 4: idle(200) }), [
      [s(15), { type: 'timeout' }],
      [s(30), { type: 'timeout' }],
      [s(45), { type: 'timeout' }],
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
      distribution: [{ kind: 'team', teamId: 10, ringTimeSec: 15, strategy: 'random' }],
    })
    const w = world({ 2: idle(), 3: idle(), 4: idle() })
    const events: [number, RoutingEvent][] = [
      [s(15), { type: 'timeout' }],
      [s(30), { type: 'timeout' }],
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

const presenceArb = fc.constantFrom(idle(), busy(), offline(), dnd(), idle(50))
const stepArb = fc.oneof(
  fc.record({
    kind: fc.constant('user' as const),
    userId: fc.integer({ min: 1, max: 6 }),
    ringTimeSec: fc.integer({ min: 10, max: 60 }),
  }),
  fc.record({
    kind: fc.constant('team' as const),
    teamId: fc.constantFrom(10, 11),
    ringTimeSec: fc.integer({ min: 10, max: 60 }),
    strategy: fc.constantFrom('simultaneous' as const, 'random' as const, 'longest_idle' as const),
  }),
)
const scenarioArb = fc.record({
  steps: fc.array(stepArb, { minLength: 0, maxLength: 5 }),
  presence: fc.array(presenceArb, { minLength: 6, maxLength: 6 }),
  rqt: fc.boolean(),
  maxQueue: fc.integer({ min: 10, max: 600 }),
  blacklisted: fc.boolean(),
  voicemail: fc.boolean(),
  // What happens at each turn: the timer fires, someone declines, someone lets it ring out, presence flips.
  moves: fc.array(
    fc.oneof(
      fc.constant('timeout'),
      fc.constant('decline'),
      fc.constant('no_answer'),
      fc.constant('presence'),
    ),
    {
      maxLength: 60,
    },
  ),
  seed: fc.integer({ min: 0, max: 2 ** 31 }),
})

type Scenario = {
  steps: RoutingConfig['distribution']
  presence: ReturnType<typeof idle>[]
  rqt: boolean
  maxQueue: number
  blacklisted: boolean
  voicemail: boolean
  moves: string[]
  seed: number
}

/** Plays a scenario where nobody ever answers; returns every agent rung and when it ended. */
function simulate(sc: Scenario) {
  const cfg = classicConfig({
    messages: {},
    distribution: sc.steps,
    respectQueueTime: sc.rqt,
    maxQueueTimeSec: sc.maxQueue,
    voicemailEnabled: sc.voicemail,
  })
  const presence = Object.fromEntries(sc.presence.map((p, i) => [i + 1, p]))
  const w = world(presence, { 10: [1, 2, 3], 11: [3, 4, 5, 6] }, sc.blacklisted)
  let now = MONDAY_10_PARIS
  let d = route(cfg, w, initialCallState(now, sc.seed), { type: 'start' }, now)
  const rung: { userId: number; at: number }[] = []
  /** Agent → how many rings had happened when they declined. */
  const declined = new Map<number, number>()
  const record = (i: Instruction) => {
    if (i.action === 'ring') for (const u of i.userIds) rung.push({ userId: u, at: now })
  }
  record(d.instruction)
  let pendingTimeout = 'timeoutSec' in d.instruction ? d.instruction.timeoutSec : 0
  let guard = 0
  let moveIndex = 0
  while (d.state.phase !== 'ended' && d.state.phase !== 'voicemail' && guard++ < 500) {
    const move = sc.moves[moveIndex++] ?? 'timeout'
    let event: RoutingEvent
    if (move === 'decline' && d.state.ringing.length > 0) {
      const who = d.state.ringing[0]!
      if (!declined.has(who)) declined.set(who, rung.length)
      event = { type: 'declined', userId: who }
    } else if (move === 'no_answer' && d.state.ringing.length > 0) {
      event = { type: 'no_answer', userId: d.state.ringing[0]! }
    } else if (move === 'presence') {
      event = { type: 'presence_changed' }
    } else {
      now += pendingTimeout * 1000
      event = { type: 'timeout' }
    }
    d = route(cfg, w, d.state, event, now)
    record(d.instruction)
    if ('timeoutSec' in d.instruction) pendingTimeout = d.instruction.timeoutSec
    if (d.instruction.action === 'play') pendingTimeout = 0
  }
  return { d, rung, now, declined, guard, start: MONDAY_10_PARIS }
}

describe('router: invariants (property-based)', () => {
  it('every call ends (voicemail, message or hang-up) within its ring and queue times', () => {
    fc.assert(
      fc.property(scenarioArb, (sc) => {
        const { d, now, guard, start } = simulate(sc)
        expect(guard).toBeLessThan(500)
        expect(['ended', 'voicemail']).toContain(d.state.phase)
        const ringBudget = sc.steps.reduce(
          (sum, st) => sum + st.ringTimeSec * (st.kind === 'team' ? 4 : 1),
          0,
        )
        expect(now - start).toBeLessThanOrEqual(Math.min(sc.maxQueue + 1, ringBudget + 1) * 1000)
      }),
      { numRuns: 400 },
    )
  })

  it('a blacklisted caller never reaches an agent', () => {
    fc.assert(
      fc.property(scenarioArb, (sc) => {
        const { rung, d } = simulate({ ...sc, blacklisted: true })
        expect(rung).toEqual([])
        expect(d.state.outcome).toBe('rejected')
      }),
      { numRuns: 200 },
    )
  })

  it('an agent who declined is never rung again on that call', () => {
    fc.assert(
      fc.property(scenarioArb, (sc) => {
        const { rung, declined } = simulate({ ...sc, moves: sc.moves.map((m, i) => (i % 2 ? 'decline' : m)) })
        for (const [u, ringsBefore] of declined) {
          expect(rung.slice(ringsBefore).filter((r) => r.userId === u)).toEqual([])
        }
      }),
      { numRuns: 300 },
    )
  })
})
