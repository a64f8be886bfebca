/**
 * `pnpm bench router`: decisions per second and per-decision latency of the pure router on
 * realistic configurations — an IVR with 10 options, and a classic number with a 5-step
 * distribution over 3 teams of 20 agents. One core (this process, no workers).
 */
import { initialCallState, route } from '../src/telephony/router.ts'
import type {
  AgentPresence,
  CallState,
  Destination,
  Digit,
  RoutingConfig,
  RoutingEvent,
  RoutingWorld,
} from '../src/telephony/routing-types.ts'

const open = {
  timeZone: 'Europe/Paris',
  mode: 'custom' as const,
  weekly: Object.fromEntries(
    ['monday', 'tuesday', 'wednesday', 'thursday', 'friday'].map((d) => [
      d,
      [
        { from: '08:00', to: '12:30' },
        { from: '13:30', to: '20:00' },
      ],
    ]),
  ),
  exceptions: [
    { name: 'Christmas', start: '2026-12-25T00:00', end: '2026-12-26T00:00', destination: null },
    { name: 'New year', start: '2027-01-01T00:00', end: '2027-01-02T00:00', destination: null },
  ],
}
const tts = (text: string) => ({ kind: 'tts' as const, text, language: 'fr-FR' })

const teams = new Map<number, number[]>()
const presence = new Map<number, AgentPresence>()
for (let t = 0; t < 3; t++) {
  const members: number[] = []
  for (let i = 0; i < 20; i++) {
    const id = 100 + t * 20 + i
    members.push(id)
    // A realistic floor: a third busy, a sixth offline, the rest idle.
    const live = i % 3 === 0 ? 'in_call' : 'idle'
    presence.set(id, {
      declared: i % 6 === 5 ? 'offline' : 'available',
      live,
      inWorkingHours: true,
      idleSince: i * 1000,
    })
  }
  teams.set(10 + t, members)
}
presence.set(1, { declared: 'available', live: 'idle', inWorkingHours: true, idleSince: 0 })
presence.set(2, { declared: 'auto', live: 'idle', inWorkingHours: true, idleSince: 0 })
const world: RoutingWorld = { teams, presence, callerBlacklisted: false }

const classic: RoutingConfig = {
  numberId: 1,
  isIvr: false,
  active: true,
  inactiveReason: null,
  businessHours: open,
  messages: { welcome: tts('Bienvenue'), unavailable: tts('Indisponible'), closed: tts('Fermé') },
  voicemailEnabled: true,
  distribution: [
    { kind: 'user', userId: 1, ringTimeSec: 25 },
    { kind: 'team', teamId: 10, ringTimeSec: 20, strategy: 'simultaneous' },
    { kind: 'team', teamId: 11, ringTimeSec: 20, strategy: 'longest_idle' },
    { kind: 'user', userId: 2, ringTimeSec: 25 },
    { kind: 'team', teamId: 12, ringTimeSec: 30, strategy: 'random' },
  ],
  respectQueueTime: false,
  maxQueueTimeSec: 900,
  callbackOnStar: true,
  ivr: { options: {}, fallback: { type: 'voicemail' }, timeoutSec: 5 },
}

const options: Partial<Record<Digit, Destination>> = {}
for (let d = 0; d <= 9; d++) {
  options[String(d) as Digit] =
    d % 3 === 0
      ? { type: 'team', teamId: 10 + (d % 3), strategy: 'longest_idle' }
      : d % 3 === 1
        ? { type: 'user', userId: 1 }
        : { type: 'external', e164: '+33612345678' }
}
const ivr: RoutingConfig = {
  ...classic,
  isIvr: true,
  messages: { ...classic.messages, ivrMenu: tts('Tapez 1…') },
  ivr: { options, fallback: { type: 'team', teamId: 11 }, timeoutSec: 5 },
}

// Monday 10:00 Paris.
const T0 = Date.parse('2026-03-02T09:00:00Z')

/** One inbound call played to its end: welcome, (menu, key), then every step rings out. */
function scenario(config: RoutingConfig, seed: number, sink: (ns: number) => void): number {
  let now = T0 + (seed % 3600) * 1000
  let state: CallState = initialCallState(now, seed)
  let decisions = 0
  const step = (event: RoutingEvent) => {
    const t = process.hrtime.bigint()
    const d = route(config, world, state, event, now)
    sink(Number(process.hrtime.bigint() - t))
    state = d.state
    decisions++
    return d.instruction
  }
  let instr = step({ type: 'start' })
  let guard = 0
  while (state.phase !== 'ended' && state.phase !== 'voicemail' && guard++ < 200) {
    if (instr.action === 'play') instr = step({ type: 'played' })
    else if (instr.action === 'gather') instr = step({ type: 'digit', digit: String(seed % 10) })
    else {
      now += ('timeoutSec' in instr ? instr.timeoutSec : 1) * 1000
      instr = step({ type: 'timeout' })
    }
  }
  return decisions
}

function measure(name: string, config: RoutingConfig, seconds: number) {
  // Warm up the JIT and the time-zone cache.
  for (let i = 0; i < 20_000; i++) scenario(config, i, () => {})
  const samples: number[] = []
  let decisions = 0
  const started = process.hrtime.bigint()
  const deadline = started + BigInt(seconds * 1e9)
  let seed = 0
  while (process.hrtime.bigint() < deadline) {
    for (let i = 0; i < 1000; i++)
      decisions += scenario(config, seed++, (ns) => samples.length < 2_000_000 && samples.push(ns))
  }
  const elapsed = Number(process.hrtime.bigint() - started) / 1e9
  samples.sort((a, b) => a - b)
  const p = (q: number) => samples[Math.min(samples.length - 1, Math.floor(q * samples.length))]! / 1e6
  return { name, rate: decisions / elapsed, p50: p(0.5), p99: p(0.99), decisions }
}

const seconds = Number(process.env.BENCH_SECONDS ?? 5)
const results = [
  measure('classic 5 steps / 3 teams of 20', classic, seconds),
  measure('IVR 10 options', ivr, seconds),
]
for (const r of results) {
  console.log(
    `  ${r.name}: ${Math.round(r.rate)} decisions/s, p50 ${r.p50.toFixed(4)} ms, p99 ${r.p99.toFixed(4)} ms (${r.decisions} decisions)`,
  )
}
// Headline: the slower of the two (timing overhead of hrtime included, so this is conservative).
const worst = results.reduce((a, b) => (a.rate < b.rate ? a : b))
const worstP99 = Math.max(...results.map((r) => r.p99))
console.log(`router: ${Math.round(worst.rate)} decisions/s (target >= 100000)`)
console.log(`router.p99: ${worstP99.toFixed(4)} ms (target < 0.1)`)
