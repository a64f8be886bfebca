import type { AgentPresence, Destination, RoutingConfig, RoutingWorld } from './routing-types.ts'

/** A classic number open Mon–Fri 09:00–18:00 Paris, with a two-step distribution. */
export function classicConfig(overrides: Partial<RoutingConfig> = {}): RoutingConfig {
  return {
    numberId: 1,
    isIvr: false,
    active: true,
    inactiveReason: null,
    businessHours: {
      timeZone: 'Europe/Paris',
      mode: 'custom',
      weekly: Object.fromEntries(
        ['monday', 'tuesday', 'wednesday', 'thursday', 'friday'].map((d) => [
          d,
          [{ from: '09:00', to: '18:00' }],
        ]),
      ),
      exceptions: [],
    },
    messages: {
      welcome: { kind: 'tts', text: 'Welcome to Acme', language: 'en-US' },
      closed: { kind: 'tts', text: 'We are closed', language: 'en-US' },
      unavailable: { kind: 'tts', text: 'Nobody can take your call', language: 'en-US' },
      ivrMenu: { kind: 'tts', text: 'Press 1 for sales', language: 'en-US' },
    },
    voicemailEnabled: true,
    distribution: [
      { kind: 'user', userId: 1, ringTimeSec: 25 },
      { kind: 'team', teamId: 10, ringTimeSec: 20, strategy: 'simultaneous' },
    ],
    respectQueueTime: false,
    maxQueueTimeSec: 300,
    callbackOnStar: true,
    ivr: { options: {}, fallback: { type: 'voicemail' }, timeoutSec: 5 },
    ...overrides,
  }
}

export const idle = (idleSince = 0): AgentPresence => ({
  declared: 'available',
  live: 'idle',
  inWorkingHours: true,
  idleSince,
})
export const busy = (): AgentPresence => ({
  declared: 'available',
  live: 'in_call',
  inWorkingHours: true,
  idleSince: 0,
})
export const offline = (): AgentPresence => ({
  declared: 'offline',
  live: 'idle',
  inWorkingHours: true,
  idleSince: 0,
})
export const dnd = (): AgentPresence => ({
  declared: 'unavailable',
  live: 'idle',
  inWorkingHours: true,
  idleSince: 0,
})

export function world(
  presence: Record<number, AgentPresence>,
  teams: Record<number, number[]> = { 10: [2, 3, 4] },
  callerBlacklisted = false,
): RoutingWorld {
  return {
    teams: new Map(Object.entries(teams).map(([k, v]) => [Number(k), v])),
    presence: new Map(Object.entries(presence).map(([k, v]) => [Number(k), v])),
    callerBlacklisted,
  }
}

/** Monday 2 March 2026, 10:00 in Paris (open). */
export const MONDAY_10_PARIS = Date.parse('2026-03-02T09:00:00Z')
/** Sunday 1 March 2026, 10:00 in Paris (closed). */
export const SUNDAY_10_PARIS = Date.parse('2026-03-01T09:00:00Z')

/** The classic fixture with an exceptional period covering Monday 2 March 2026 (Paris). */
export function holidayConfig(
  destination: Destination | null,
  overrides: Partial<RoutingConfig> = {},
): RoutingConfig {
  const base = classicConfig(overrides)
  return {
    ...base,
    businessHours: {
      ...base.businessHours,
      exceptions: [{ name: 'Holiday', start: '2026-03-02T00:00', end: '2026-03-03T00:00', destination }],
    },
  }
}
