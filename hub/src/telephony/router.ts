import { scheduleState } from '@switchboard/shared'
import {
  type AgentPresence,
  type CallState,
  DEFAULT_TEAM_RING_SEC,
  DEFAULT_USER_RING_SEC,
  type Decision,
  type Destination,
  type Digit,
  type DistributionStep,
  type Instruction,
  type MissedCallReason,
  type RoutingConfig,
  type RoutingEvent,
  type RoutingWorld,
  TEAM_MEMBER_RING_SEC,
} from './routing-types.ts'

/**
 * The router: a pure function of (number configuration, world, call state, event, instant)
 * that returns the next call state and the one instruction the engine must carry out.
 * No I/O and no clock of its own, so the engine, the routing preview and the tests all
 * drive the very same rules.
 *
 * The rules (Aircall's call distribution and business-hours behaviour):
 * 0. A number that is not live (documents pending, in review or rejected; released) refuses
 *    every call at once: `reject` / `number_inactive`, outcome `rejected`, nobody rung.
 * 1. A blacklisted caller is rejected before anything else (never reaches an agent).
 * 2. Business hours: an active exceptional period wins, then the weekly schedule. Closed →
 *    closed message → voicemail (or hang up), missed reason `out_of_opening_hours`.
 *    An exceptional period is time outside opening hours (as in Wazo, whose schedules return
 *    "closed, with that period's action"): with no destination, or voicemail / hang up as
 *    its destination, the call takes the closed path (closed message, then voicemail or hang
 *    up) with reason `out_of_opening_hours`. Sent to a user, team or number, the call walks
 *    that path and keeps its natural outcome and reasons (answered, transferred,
 *    `agents_did_not_answer`, `no_available_agent`, abandoned…): the admin chose to take
 *    calls during that period, and Aircall's list has no "holiday" reason, so
 *    `out_of_opening_hours` would hide whether agents were rung and missed it.
 * 3. Open → welcome message → IVR menu (IVR numbers) or the distribution (classic).
 * 4. IVR: the menu plays, the caller has `timeoutSec` to press; no or invalid input replays
 *    it once; after the second play the call takes the fallback (`key: "fallback"`).
 * 5. Distribution: steps in order. A user step rings that user; a team step rings its
 *    routable members simultaneously, or one at a time (random / longest idle), each for
 *    TEAM_MEMBER_RING_SEC or what is left of the step; nobody is rung twice in one step.
 *    A step's ring time bounds the whole step whatever the strategy (routing-types.ts).
 *    Routable = declared available (or auto inside working hours) and idle.
 *    An agent who declines is never rung again on this call; one who lets it ring out can
 *    be rung again in a later step. Offline / unavailable members are skipped.
 *    When nobody in a step is routable: if some are busy (in a call, wrap-up, pending tag),
 *    or respect-queue-time is on, the caller waits (music) until the step's ring time ends;
 *    otherwise the step is skipped at once, so with nobody routable anywhere the call goes
 *    straight to voicemail (`no_available_agent`).
 *    The whole distribution never lasts more than `maxQueueTimeSec`.
 *    `*` while ringing or waiting (if enabled) → callback request, confirmation, hang up.
 * 6. Nobody answered → unavailable message → voicemail (or hang up), missed reason
 *    `agents_did_not_answer` if someone was rung, else `no_available_agent`.
 * 7. Caller hangs up before an answer: `abandoned_in_ivr` during the IVR, otherwise
 *    `short_abandoned` within SHORT_ABANDON_MS of the start, else `abandoned_in_classic`.
 */

export const SHORT_ABANDON_MS = 10_000

export function initialCallState(startedAt: number, seed = startedAt): CallState {
  return {
    phase: 'new',
    startedAt,
    seed: seed >>> 0,
    ivrPlays: 0,
    stepIndex: 0,
    steps: [],
    distributionStartedAt: null,
    stepStartedAt: null,
    triedInStep: [],
    declined: [],
    ringing: [],
    anyoneRung: false,
    afterMessage: 'voicemail',
    missedReason: null,
    outcome: null,
    answeredBy: null,
    ivrKeys: [],
    ivrMenuAt: null,
    ivrKeysAt: [],
  }
}

export function route(
  config: RoutingConfig,
  world: RoutingWorld,
  previous: CallState,
  event: RoutingEvent,
  now: number,
): Decision {
  const s: CallState = { ...previous }
  const r = new Run(config, world, s, now)
  return { state: s, instruction: r.handle(event) }
}

const NONE: Instruction = { action: 'none' }

/**
 * Whether a call nobody answered yet may be sent to an outside number: while the caller waits
 * (welcome, closed or unavailable message, IVR menu, distribution), not once they record a
 * voicemail or hear the callback confirmation.
 */
export function canTransferUnanswered(s: CallState): boolean {
  return (
    s.phase === 'welcome' ||
    s.phase === 'closed_message' ||
    s.phase === 'unavailable_message' ||
    s.phase === 'ivr_menu' ||
    s.phase === 'distribution'
  )
}

function isRoutable(p: AgentPresence | undefined): boolean {
  if (p?.live !== 'idle') return false
  return p.declared === 'available' || (p.declared === 'auto' && p.inWorkingHours)
}

/** Would be routable but is busy right now: worth waiting for. */
function isBusy(p: AgentPresence | undefined): boolean {
  if (!p || p.live === 'idle') return false
  return p.declared === 'available' || (p.declared === 'auto' && p.inWorkingHours)
}

function mulberry32(seed: number): number {
  let t = (seed + 0x6d2b79f5) >>> 0
  t = Math.imul(t ^ (t >>> 15), t | 1)
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296
}

class Run {
  constructor(
    private readonly config: RoutingConfig,
    private readonly world: RoutingWorld,
    private readonly s: CallState,
    private readonly now: number,
  ) {}

  handle(event: RoutingEvent): Instruction {
    const s = this.s
    if (s.phase === 'ended') return NONE
    if (event.type === 'hungup') return this.callerHungUp()
    if (event.type === 'transfer_external') {
      if (!canTransferUnanswered(s)) return NONE
      s.ringing = []
      s.missedReason = null
      return this.end('transferred', { action: 'transfer_external', e164: event.e164 })
    }
    switch (s.phase) {
      case 'new':
        return event.type === 'start' ? this.start() : NONE
      case 'closed_message':
      case 'unavailable_message':
        return event.type === 'played' || event.type === 'timeout' ? this.afterClosingMessage() : NONE
      case 'welcome':
        return event.type === 'played' || event.type === 'timeout' ? this.afterWelcome() : NONE
      case 'ivr_menu':
        return this.ivrEvent(event)
      case 'distribution':
        return this.distributionEvent(event)
      case 'voicemail':
        // The recording reached its maximum length.
        return event.type === 'timeout' ? this.end('voicemail', { action: 'hangup' }) : NONE
      case 'callback_confirmation':
        return event.type === 'played' || event.type === 'timeout'
          ? this.end('callback', { action: 'hangup' })
          : NONE
    }
  }

  private start(): Instruction {
    const s = this.s
    const { config } = this
    if (!config.active) return this.end('rejected', { action: 'reject', reason: 'number_inactive' })
    if (this.world.callerBlacklisted) return this.end('rejected', { action: 'reject', reason: 'blacklisted' })
    const schedule = scheduleState(config.businessHours, new Date(this.now))
    const holiday = schedule.exception?.destination
    if (holiday && holiday.type !== 'voicemail' && holiday.type !== 'hangup') return this.goTo(holiday)
    if (!schedule.open) {
      s.missedReason = 'out_of_opening_hours'
      if (holiday?.type === 'hangup') s.afterMessage = 'hangup'
      if (config.messages.closed) {
        s.phase = 'closed_message'
        return { action: 'play', prompt: config.messages.closed, purpose: 'closed' }
      }
      return this.afterClosingMessage()
    }
    if (config.messages.welcome) {
      s.phase = 'welcome'
      return { action: 'play', prompt: config.messages.welcome, purpose: 'welcome' }
    }
    return this.afterWelcome()
  }

  private afterWelcome(): Instruction {
    if (!this.config.isIvr) return this.startDistribution(this.config.distribution)
    // An IVR without options has nothing to offer: straight to its fallback.
    if (Object.keys(this.config.ivr.options).length === 0) return this.ivrFallback()
    return this.playMenu()
  }

  private playMenu(): Instruction {
    const s = this.s
    s.phase = 'ivr_menu'
    if (s.ivrPlays === 0) s.ivrMenuAt = this.now
    s.ivrPlays += 1
    return {
      action: 'gather',
      prompt: this.config.messages.ivrMenu ?? null,
      timeoutSec: this.config.ivr.timeoutSec,
      play: s.ivrPlays,
    }
  }

  private ivrEvent(event: RoutingEvent): Instruction {
    if (event.type === 'digit') {
      const destination = this.config.ivr.options[event.digit as Digit]
      if (destination) {
        this.chose(event.digit)
        return this.goTo(destination)
      }
      return this.s.ivrPlays < 2 ? this.playMenu() : this.ivrFallback()
    }
    if (event.type === 'timeout') return this.s.ivrPlays < 2 ? this.playMenu() : this.ivrFallback()
    return NONE
  }

  private ivrFallback(): Instruction {
    this.chose('fallback')
    return this.goTo(this.config.ivr.fallback)
  }

  private chose(key: string): void {
    this.s.ivrKeys = [...this.s.ivrKeys, key]
    this.s.ivrKeysAt = [...(this.s.ivrKeysAt ?? []), this.now]
  }

  private goTo(destination: Destination): Instruction {
    switch (destination.type) {
      case 'user':
        return this.startDistribution([
          {
            kind: 'user',
            userId: destination.userId,
            ringTimeSec: destination.ringTimeSec ?? DEFAULT_USER_RING_SEC,
          },
        ])
      case 'team':
        return this.startDistribution([
          {
            kind: 'team',
            teamId: destination.teamId,
            ringTimeSec: destination.ringTimeSec ?? DEFAULT_TEAM_RING_SEC,
            strategy: destination.strategy ?? 'simultaneous',
          },
        ])
      case 'external':
        return this.end('transferred', { action: 'transfer_external', e164: destination.e164 })
      case 'number':
        return this.end('transferred', { action: 'transfer_number', numberId: destination.numberId })
      case 'voicemail':
        return this.unavailable()
      case 'hangup':
        return this.end('message', { action: 'hangup' })
    }
  }

  private startDistribution(steps: DistributionStep[]): Instruction {
    const s = this.s
    s.phase = 'distribution'
    s.steps = steps
    s.distributionStartedAt = this.now
    return this.enterStep(0)
  }

  private enterStep(index: number): Instruction {
    const s = this.s
    s.stepIndex = index
    s.ringing = []
    s.triedInStep = []
    s.stepStartedAt = this.now
    if (index >= s.steps.length) return this.unavailable()
    return this.ringNext()
  }

  private members(step: DistributionStep): readonly number[] {
    return step.kind === 'user' ? [step.userId] : (this.world.teams.get(step.teamId) ?? [])
  }

  /** Rings whoever is routable in the current step, waits for busy members, or moves on. */
  private ringNext(): Instruction {
    const s = this.s
    const step = s.steps[s.stepIndex]!
    const queueLeft = this.config.maxQueueTimeSec * 1000 - (this.now - s.distributionStartedAt!)
    if (queueLeft <= 0) return this.unavailable()
    const stepLeft = step.ringTimeSec * 1000 - (this.now - s.stepStartedAt!)
    const sequential = step.kind === 'team' && step.strategy !== 'simultaneous'
    const presence = this.world.presence
    const declined = s.declined
    const tried = s.triedInStep
    const candidates: number[] = []
    const routable: number[] = []
    let someoneBusy = false
    for (const id of this.members(step)) {
      if (declined.includes(id) || tried.includes(id)) continue
      candidates.push(id)
      const p = presence.get(id)
      if (isRoutable(p)) routable.push(id)
      else if (isBusy(p)) someoneBusy = true
    }
    if (routable.length > 0) {
      s.anyoneRung = true
      if (!sequential) {
        if (stepLeft <= 0) return this.enterStep(s.stepIndex + 1)
        s.triedInStep = [...tried, ...routable]
        s.ringing = routable
        return {
          action: 'ring',
          userIds: routable,
          timeoutSec: Math.ceil(Math.min(stepLeft, queueLeft) / 1000),
          step: s.stepIndex,
        }
      }
      // One member at a time, each for TEAM_MEMBER_RING_SEC at most: the step's ring time
      // bounds the whole step, so the last one rings only for what is left of it.
      if (stepLeft <= 0) return this.enterStep(s.stepIndex + 1)
      const pick = this.pick(step.strategy === 'random' ? 'random' : 'longest_idle', routable)
      s.triedInStep = [...tried, pick]
      s.ringing = [pick]
      return {
        action: 'ring',
        userIds: [pick],
        timeoutSec: Math.ceil(Math.min(TEAM_MEMBER_RING_SEC * 1000, stepLeft, queueLeft) / 1000),
        step: s.stepIndex,
      }
    }
    s.ringing = []
    const worthWaiting = someoneBusy || (this.config.respectQueueTime && candidates.length > 0)
    if (worthWaiting && stepLeft > 0) {
      return {
        action: 'wait',
        timeoutSec: Math.ceil(Math.min(stepLeft, queueLeft) / 1000),
        step: s.stepIndex,
      }
    }
    return this.enterStep(s.stepIndex + 1)
  }

  private pick(strategy: 'random' | 'longest_idle', routable: number[]): number {
    if (strategy === 'random') {
      const r = mulberry32(
        this.s.seed ^ Math.imul(this.s.stepIndex + 1, 0x9e3779b1) ^ this.s.triedInStep.length,
      )
      return routable[Math.floor(r * routable.length)]!
    }
    let best = routable[0]!
    let bestIdle = this.world.presence.get(best)!.idleSince
    for (let i = 1; i < routable.length; i++) {
      const id = routable[i]!
      const idle = this.world.presence.get(id)!.idleSince
      if (idle < bestIdle || (idle === bestIdle && id < best)) {
        best = id
        bestIdle = idle
      }
    }
    return best
  }

  private distributionEvent(event: RoutingEvent): Instruction {
    const s = this.s
    switch (event.type) {
      case 'answered':
        if (!s.ringing.includes(event.userId)) return NONE
        s.answeredBy = event.userId
        s.ringing = []
        return this.end('answered', { action: 'connect', userId: event.userId })
      case 'declined':
        if (!s.declined.includes(event.userId)) s.declined = [...s.declined, event.userId]
        if (!s.ringing.includes(event.userId)) return NONE
        s.ringing = s.ringing.filter((id) => id !== event.userId)
        return s.ringing.length > 0 ? NONE : this.ringNext()
      case 'no_answer':
        if (!s.ringing.includes(event.userId)) return NONE
        s.ringing = s.ringing.filter((id) => id !== event.userId)
        return s.ringing.length > 0 ? NONE : this.ringNext()
      case 'timeout': {
        const step = s.steps[s.stepIndex]!
        const sequential = step.kind === 'team' && step.strategy !== 'simultaneous'
        const wasRinging = s.ringing.length > 0
        s.ringing = []
        // A sequential step moves to its next member; otherwise the step's time is up.
        if (sequential && wasRinging) return this.ringNext()
        return this.enterStep(s.stepIndex + 1)
      }
      case 'presence_changed':
        return s.ringing.length === 0 ? this.ringNext() : NONE
      case 'digit':
        if (event.digit === '*' && this.config.callbackOnStar) {
          s.ringing = []
          s.phase = 'callback_confirmation'
          s.outcome = 'callback'
          return {
            action: 'play',
            prompt: this.config.messages.callbackConfirmation ?? null,
            purpose: 'callback_confirmation',
          }
        }
        return NONE
      default:
        return NONE
    }
  }

  private unavailable(): Instruction {
    const s = this.s
    s.ringing = []
    if (!s.missedReason) s.missedReason = this.nobodyAnsweredReason()
    if (this.config.messages.unavailable) {
      s.phase = 'unavailable_message'
      return { action: 'play', prompt: this.config.messages.unavailable, purpose: 'unavailable' }
    }
    return this.afterClosingMessage()
  }

  private nobodyAnsweredReason(): MissedCallReason {
    return this.s.anyoneRung ? 'agents_did_not_answer' : 'no_available_agent'
  }

  private afterClosingMessage(): Instruction {
    if (this.s.afterMessage === 'voicemail' && this.config.voicemailEnabled) {
      this.s.phase = 'voicemail'
      return { action: 'voicemail', prompt: null }
    }
    return this.end('message', { action: 'hangup' })
  }

  private callerHungUp(): Instruction {
    const s = this.s
    switch (s.phase) {
      case 'voicemail':
        return this.end('voicemail', NONE)
      case 'callback_confirmation':
        return this.end('callback', NONE)
      case 'closed_message':
      case 'unavailable_message':
        return this.end('abandoned', NONE)
      case 'ivr_menu':
        s.missedReason = 'abandoned_in_ivr'
        return this.end('abandoned', NONE)
      default:
        if (!s.missedReason) {
          s.missedReason =
            this.config.isIvr && s.phase === 'welcome'
              ? 'abandoned_in_ivr'
              : this.now - s.startedAt < SHORT_ABANDON_MS
                ? 'short_abandoned'
                : 'abandoned_in_classic'
        }
        s.ringing = []
        return this.end('abandoned', NONE)
    }
  }

  private end(outcome: NonNullable<CallState['outcome']>, instruction: Instruction): Instruction {
    this.s.phase = 'ended'
    this.s.outcome = outcome
    if (outcome === 'answered') this.s.missedReason = null
    return instruction
  }
}
