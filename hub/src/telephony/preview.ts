import { localTime, scheduleState } from '@switchboard/shared'
import { initialCallState, route } from './router.ts'
import type {
  AgentPresence,
  CallState,
  Destination,
  DistributionStep,
  InactiveReason,
  Instruction,
  MissedCallReason,
  Prompt,
  RoutingConfig,
  RoutingEvent,
  RoutingWorld,
} from './routing-types.ts'

/**
 * The routing preview: drives the real router with the events a call would produce when
 * nobody picks up (prompts play to the end, the caller presses the given keys at each menu,
 * every ring times out) and explains each decision in a sentence. Pure: the service loads
 * the number, the company's names and the presence, this walks the call.
 */

export const PREVIEW_PRESENCES = [
  'available',
  'auto_in_hours',
  'auto_out_of_hours',
  'unavailable',
  'offline',
  'in_call',
  'after_call_work',
  'ringing',
  'pending_tag',
] as const
export type PreviewPresence = (typeof PREVIEW_PRESENCES)[number]

export function agentPresence(p: PreviewPresence): AgentPresence {
  const base = { inWorkingHours: true, idleSince: 0 }
  switch (p) {
    case 'available':
      return { ...base, declared: 'available', live: 'idle' }
    case 'auto_in_hours':
      return { ...base, declared: 'auto', live: 'idle' }
    case 'auto_out_of_hours':
      return { ...base, declared: 'auto', live: 'idle', inWorkingHours: false }
    case 'unavailable':
      return { ...base, declared: 'unavailable', live: 'idle' }
    case 'offline':
      return { ...base, declared: 'offline', live: 'idle' }
    case 'in_call':
      return { ...base, declared: 'available', live: 'in_call' }
    case 'after_call_work':
      return { ...base, declared: 'available', live: 'after_call_work' }
    case 'ringing':
      return { ...base, declared: 'available', live: 'ringing' }
    case 'pending_tag':
      return { ...base, declared: 'available', live: 'pending_tag' }
  }
}

/**
 * Available but busy right now (in a call, wrap-up, ringing with another call, a mandatory
 * tag pending): the router does not ring them but waits for them (router.ts rule 5).
 */
const WAITED_FOR: ReadonlySet<PreviewPresence> = new Set([
  'in_call',
  'after_call_work',
  'ringing',
  'pending_tag',
])

const PRESENCE_WORDS: Record<PreviewPresence, string> = {
  available: 'available',
  auto_in_hours: 'available (working hours)',
  auto_out_of_hours: 'outside working hours',
  unavailable: 'unavailable',
  offline: 'offline',
  in_call: 'in a call',
  after_call_work: 'in wrap-up',
  ringing: 'ringing with another call',
  pending_tag: 'finishing a call (tag pending)',
}

export type PreviewStep = {
  at: string
  /** Seconds since the call started. */
  t: number
  action: string
  detail: string
  users?: { id: number; name: string }[]
  timeout_sec?: number
}

export type PreviewResult = {
  steps: PreviewStep[]
  outcome: NonNullable<CallState['outcome']> | null
  missed_call_reason: MissedCallReason | null
  ivr_keys: string[]
}

export type PreviewInput = {
  /** The number called. */
  numberId: number
  /** Routing of the company's numbers: a transfer to another number continues there. */
  configs: ReadonlyMap<number, RoutingConfig>
  world: RoutingWorld
  /** Presence each user was given (for the explanations; the router reads `world`). */
  presence: ReadonlyMap<number, PreviewPresence>
  at: number
  /** Keys pressed, one per menu (a `*` while waiting asks for a callback). */
  digits: string
  names: {
    users: ReadonlyMap<number, string>
    teams: ReadonlyMap<number, string>
    numbers: ReadonlyMap<number, string>
    audio: ReadonlyMap<string, { name: string; durationMs: number | null }>
  }
}

/** Text-to-speech speaks about 15 characters a second. */
const TTS_CHARS_PER_SEC = 15
const MIN_PROMPT_SEC = 2
/** An uploaded file whose duration could not be read. */
const UNKNOWN_AUDIO_SEC = 10
const MAX_DECISIONS = 500
/** Transfers between numbers followed before the preview stops (validation forbids loops). */
const MAX_HOPS = 5

const PURPOSE_WORDS = {
  closed: 'closed',
  welcome: 'welcome',
  unavailable: 'unavailable',
  callback_confirmation: 'callback confirmation',
} as const

/** Why a number that is not live refuses calls, in the preview's words. */
export function inactiveWords(reason: InactiveReason | null): string {
  switch (reason) {
    case 'released':
      return 'This number has been released: calls are refused.'
    case 'in_review':
      return 'This number is not live yet (documents in review): calls are refused.'
    case 'rejected':
      return 'This number is not live yet (documents rejected): calls are refused.'
    default:
      return 'This number is not live yet (documents pending): calls are refused.'
  }
}

export function previewCall(input: PreviewInput): PreviewResult {
  const { world, names } = input
  let config = input.configs.get(input.numberId)!
  let hops = 0
  const ivrKeys: string[] = []
  const steps: PreviewStep[] = []
  const keys = [...input.digits]
  let now = input.at
  let state = initialCallState(input.at)
  let event: RoutingEvent = { type: 'start' }
  let stepsSeen: DistributionStep[] | null = null
  let cursor = 0

  const promptSec = (p: Prompt | null): number => {
    if (!p) return 0
    if (p.kind === 'tts') return Math.max(MIN_PROMPT_SEC, Math.ceil(p.text.length / TTS_CHARS_PER_SEC))
    const ms = names.audio.get(p.blobId)?.durationMs
    return ms ? Math.max(1, Math.ceil(ms / 1000)) : UNKNOWN_AUDIO_SEC
  }
  const quote = (p: Prompt | null) =>
    !p
      ? 'no message'
      : p.kind === 'tts'
        ? `"${p.text}"`
        : `the audio file "${names.audio.get(p.blobId)?.name ?? p.blobId}"`
  const userName = (id: number) => names.users.get(id) ?? `user #${id}`
  const teamName = (id: number) => names.teams.get(id) ?? `team #${id}`
  const numberName = (id: number) => names.numbers.get(id) ?? `number #${id}`
  const push = (
    action: string,
    detail: string,
    extra: Omit<PreviewStep, 'at' | 't' | 'action' | 'detail'> = {},
  ) =>
    steps.push({
      at: new Date(now).toISOString(),
      t: Math.round((now - input.at) / 1000),
      action,
      detail,
      ...extra,
    })

  const stepLabel = (steps: DistributionStep[], i: number) => {
    const step = steps[i]!
    const who =
      step.kind === 'user'
        ? userName(step.userId)
        : `team ${teamName(step.teamId)} (${step.strategy.replace('_', ' ')})`
    return steps.length > 1 ? `step ${i + 1}/${steps.length}, ${who}` : who
  }
  const membersOf = (step: DistributionStep) =>
    step.kind === 'user' ? [step.userId] : [...(world.teams.get(step.teamId) ?? [])]
  const presenceWords = (id: number) => {
    const p = input.presence.get(id)
    return state.declined.includes(id) ? 'declined' : p ? PRESENCE_WORDS[p] : 'unknown'
  }
  /** Why the caller waits: each member of the step and what keeps them from the call. */
  const waitingFor = (step: DistributionStep) =>
    membersOf(step)
      .map((id) => {
        const p = input.presence.get(id)
        if (state.declined.includes(id)) return `${userName(id)} declined the call`
        if (state.triedInStep.includes(id)) return `${userName(id)} was rung already`
        if (p && WAITED_FOR.has(p)) return `${userName(id)} is ${PRESENCE_WORDS[p]}: waited for`
        return `${userName(id)} is ${p ? PRESENCE_WORDS[p] : 'unknown'}`
      })
      .join('; ')

  const explainSkipped = (i: number, queueOver: boolean) => {
    const all = stepsSeen!
    if (queueOver) {
      push(
        'skip',
        `Not reached (${stepLabel(all, i)}): the maximum queue time of ${config.maxQueueTimeSec} s is over.`,
      )
      return
    }
    const members = membersOf(all[i]!)
    const why =
      members.length === 0
        ? 'the team has no members'
        : `nobody can take the call (${members.map((id) => `${userName(id)}: ${presenceWords(id)}`).join(', ')})`
    push('skip', `Skipped (${stepLabel(all, i)}): ${why}.`)
  }

  const explainHours = () => {
    const hours = config.businessHours
    const schedule = scheduleState(hours, new Date(now))
    const local = localTime(hours.timeZone, new Date(now))
    const when = `${local.weekday} ${local.stamp.slice(11)} in ${hours.timeZone}`
    if (schedule.exception) {
      const d = schedule.exception.destination
      push(
        'hours',
        `Exceptional period "${schedule.exception.name}" (until ${schedule.exception.end}, ${when}): ${
          !d
            ? 'closed'
            : d.type === 'voicemail' || d.type === 'hangup'
              ? `closed, then ${destinationWords(d)}`
              : `calls go to ${destinationWords(d)}`
        }.`,
      )
    } else if (schedule.open) {
      push(
        'hours',
        hours.mode === 'always_open'
          ? `Open: always open (${when}).`
          : `Open: within business hours (${when}).`,
      )
    } else {
      push(
        'hours',
        hours.mode === 'always_closed'
          ? `Closed: always closed (${when}).`
          : `Closed: outside business hours (${when}).`,
      )
    }
  }

  const destinationWords = (d: Destination): string => {
    switch (d.type) {
      case 'user':
        return userName(d.userId)
      case 'team':
        return `team ${teamName(d.teamId)}`
      case 'external':
        return `the external number ${d.e164}`
      case 'number':
        return `the number ${numberName(d.numberId)}`
      case 'voicemail':
        return 'voicemail'
      case 'hangup':
        return 'hang up'
    }
  }

  const result = (final: CallState): PreviewResult => ({
    steps,
    outcome: final.outcome,
    missed_call_reason: final.missedReason,
    ivr_keys: [...ivrKeys, ...final.ivrKeys],
  })

  const waitKey = (): string | undefined =>
    keys[0] === '*' && config.callbackOnStar ? keys.shift() : undefined

  for (let guard = 0; guard < MAX_DECISIONS; guard++) {
    const previous = state
    const decision = route(config, world, state, event, now)
    state = decision.state
    const ins: Instruction = decision.instruction

    if (previous.phase === 'new' && ins.action !== 'reject') explainHours()
    if (state.steps !== stepsSeen && state.steps.length > 0 && previous.steps !== state.steps) {
      stepsSeen = state.steps
      cursor = 0
    }
    if (stepsSeen && (ins.action === 'ring' || ins.action === 'wait')) {
      for (let i = cursor; i < ins.step; i++) explainSkipped(i, false)
      cursor = Math.max(cursor, ins.step + 1)
    } else if (
      stepsSeen &&
      cursor < stepsSeen.length &&
      state.phase !== 'distribution' &&
      state.outcome !== 'callback' &&
      state.outcome !== 'answered'
    ) {
      const queueOver =
        state.distributionStartedAt !== null &&
        now - state.distributionStartedAt >= config.maxQueueTimeSec * 1000
      for (let i = cursor; i < stepsSeen.length; i++) explainSkipped(i, queueOver)
      cursor = stepsSeen.length
    }

    switch (ins.action) {
      case 'reject':
        push(
          'reject',
          ins.reason === 'number_inactive'
            ? inactiveWords(config.inactiveReason)
            : 'The caller is blacklisted: the call is rejected before anything plays.',
        )
        return result(state)
      case 'play': {
        const sec = promptSec(ins.prompt)
        push(
          'play',
          ins.prompt
            ? `Plays the ${PURPOSE_WORDS[ins.purpose]} message ${quote(ins.prompt)} (${sec} s).`
            : `No ${PURPOSE_WORDS[ins.purpose]} message is set: nothing plays.`,
        )
        now += sec * 1000
        event = { type: 'played' }
        break
      }
      case 'gather': {
        const sec = promptSec(ins.prompt)
        push(
          'gather',
          `Plays the IVR menu ${quote(ins.prompt)} (play ${ins.play} of 2, ${sec} s), then waits ${ins.timeoutSec} s for a key.`,
          { timeout_sec: ins.timeoutSec },
        )
        now += sec * 1000
        const key = keys.shift()
        if (key === undefined || key === '') {
          now += ins.timeoutSec * 1000
          push('no_input', `No key pressed within ${ins.timeoutSec} s.`)
          event = { type: 'timeout' }
        } else {
          const known = /^\d$/.test(key) && key in config.ivr.options
          push(
            'digit',
            known ? `The caller presses ${key}.` : `The caller presses ${key}, which is not an option.`,
          )
          event = { type: 'digit', digit: key }
        }
        break
      }
      case 'ring':
      case 'wait': {
        const label = stepLabel(state.steps, ins.step)
        if (ins.action === 'ring') {
          const rung = ins.userIds.map((id) => ({ id, name: userName(id) }))
          push('ring', `Rings ${rung.map((u) => u.name).join(', ')} for ${ins.timeoutSec} s (${label}).`, {
            users: rung,
            timeout_sec: ins.timeoutSec,
          })
        } else {
          const who = waitingFor(state.steps[ins.step]!)
          push(
            'wait',
            `Nobody is free yet (${label}): ${who || 'nobody in it'}. The caller hears music on hold for up to ${ins.timeoutSec} s.`,
            { timeout_sec: ins.timeoutSec },
          )
        }
        const key = waitKey()
        if (key) {
          push('digit', 'The caller presses * to ask to be called back.')
          event = { type: 'digit', digit: key }
        } else {
          now += ins.timeoutSec * 1000
          event = { type: 'timeout' }
        }
        break
      }
      case 'transfer_external':
        push('transfer', `Transfers the call to the external number ${ins.e164}.`)
        return result(state)
      case 'transfer_number': {
        const next = input.configs.get(ins.numberId)
        if (!next || hops >= MAX_HOPS) {
          push('transfer', `Transfers the call to the number ${numberName(ins.numberId)}.`)
          return result(state)
        }
        push(
          'transfer',
          `Transfers the call to the number ${numberName(ins.numberId)}; its own routing follows.`,
        )
        // The call enters the other number's flow as a new inbound call, at this instant.
        hops += 1
        ivrKeys.push(...state.ivrKeys)
        config = next
        state = initialCallState(now)
        event = { type: 'start' }
        stepsSeen = null
        cursor = 0
        break
      }
      case 'voicemail': {
        push(
          'voicemail',
          `Voicemail: the caller can leave a message${ins.prompt ? ` after ${quote(ins.prompt)}` : ''}.`,
        )
        // The caller leaves a message and hangs up: that settles the outcome.
        state = route(config, world, state, { type: 'hungup' }, now).state
        return result(state)
      }
      case 'connect':
        push('connect', `${userName(ins.userId)} takes the call.`)
        return result(state)
      case 'hangup':
        push('hangup', 'The call ends.')
        return result(state)
      case 'none':
        return result(state)
    }
  }
  return result(state)
}
