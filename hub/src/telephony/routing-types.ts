import type { BusinessHours, IvrKey, MusicTrack, TeamStrategy } from '@switchboard/shared'

export type Prompt =
  | { kind: 'tts'; text: string; language: string; voice?: string }
  | { kind: 'audio'; blobId: string; name?: string }

export type Digit = IvrKey

/** What a caller on hold hears: a track of the library, or the company's own audio file. */
export type HoldMusic = { kind: 'library'; track: MusicTrack } | { kind: 'audio'; blobId: string }
export const DEFAULT_HOLD_MUSIC: HoldMusic = { kind: 'library', track: 'default' }

/** Where a call can be sent (IVR options, fallbacks, holidays). */
export type Destination =
  | { type: 'user'; userId: number; ringTimeSec?: number }
  | { type: 'team'; teamId: number; ringTimeSec?: number; strategy?: TeamStrategy }
  | { type: 'external'; e164: string }
  | { type: 'number'; numberId: number }
  | { type: 'voicemail' }
  | { type: 'hangup' }

export type { TeamStrategy }

/**
 * One step of a distribution. `ringTimeSec` is the step's total: the step never lasts longer,
 * whatever the strategy (Aircall: a team step has one total ring time, whatever its strategy).
 * - user step: that user rings for `ringTimeSec`;
 * - team, `simultaneous`: every routable member rings together for `ringTimeSec`;
 * - team, `random` / `longest_idle`: members ring one at a time, each for
 *   min(TEAM_MEMBER_RING_SEC, time left in the step), until the step's time is used up;
 * - waiting for busy members (or respect queue time) also ends with the step's time.
 * A call's distribution therefore lasts at most min(sum of its steps' ring times, max queue time).
 */
export type DistributionStep =
  | { kind: 'user'; userId: number; ringTimeSec: number }
  | { kind: 'team'; teamId: number; ringTimeSec: number; strategy: TeamStrategy }

/**
 * Defaults of a number's routing, declared once: the settings schema fills them in, new numbers
 * start with them, and the router falls back on them for destinations that carry no ring time.
 */
export const DEFAULT_USER_RING_SEC = 25
export const DEFAULT_TEAM_RING_SEC = 20
/** Ring times and the queue cap are whole seconds in this range. */
export const MIN_RING_SEC = 10
export const MAX_RING_SEC = 3600
export const DEFAULT_MAX_QUEUE_TIME_SEC = 300
/** Seconds the IVR waits for a key after its menu. */
export const DEFAULT_IVR_TIMEOUT_SEC = 5
/**
 * How long one member of a random / longest-idle team rings before the next one is tried
 * (bounded by what is left of the step). Aircall: "team members ring 25 s each by default
 * (about 5 rings)", the same as a user's default ring time.
 */
export const TEAM_MEMBER_RING_SEC = DEFAULT_USER_RING_SEC

/** Why a number that is not live refuses calls (its regulatory state, or released). */
export type InactiveReason = 'pending_documents' | 'in_review' | 'rejected' | 'released'

/** What the router needs of a number: its routing configuration, nothing else. */
export type RoutingConfig = {
  numberId: number
  isIvr: boolean
  /**
   * Whether the number is live (documents approved or not required, not released). A number
   * that is not refuses every call at once: `reject` with reason `number_inactive`.
   */
  active: boolean
  /** Why it is not live (null when active); for the preview's explanation. */
  inactiveReason: InactiveReason | null
  businessHours: BusinessHours<Destination>
  messages: {
    welcome?: Prompt | null
    closed?: Prompt | null
    unavailable?: Prompt | null
    ivrMenu?: Prompt | null
    callbackConfirmation?: Prompt | null
  }
  /** The number's music on hold (waits in the queue, transfers); default: the library's default. */
  holdMusic?: HoldMusic
  voicemailEnabled: boolean
  /** Classic numbers: the ordered cascade. */
  distribution: DistributionStep[]
  /** Wait the full step time even when every member is offline or on DND. */
  respectQueueTime: boolean
  /** Cap on the time a caller spends in the distribution (ringing and waiting). */
  maxQueueTimeSec: number
  /** Pressing `*` while waiting asks for a callback. */
  callbackOnStar: boolean
  ivr: {
    options: Partial<Record<Digit, Destination>>
    /** Where the call goes when the caller picks nothing valid after the menu played twice. */
    fallback: Destination
    /** Seconds to wait for a digit after the menu message. */
    timeoutSec: number
  }
}

export type DeclaredStatus = 'available' | 'auto' | 'unavailable' | 'offline'
export type LiveState = 'idle' | 'ringing' | 'in_call' | 'after_call_work' | 'pending_tag'

export type AgentPresence = {
  declared: DeclaredStatus
  live: LiveState
  /** For 'auto': whether the agent is inside their working hours now. */
  inWorkingHours: boolean
  /** ms epoch since the agent is idle (longest-idle strategy). */
  idleSince: number
}

/** Everything outside the number the router looks at. Built by the engine per decision. */
export type RoutingWorld = {
  teams: ReadonlyMap<number, readonly number[]>
  presence: ReadonlyMap<number, AgentPresence>
  callerBlacklisted: boolean
}

export type MissedCallReason =
  | 'out_of_opening_hours'
  | 'short_abandoned'
  | 'abandoned_in_ivr'
  | 'abandoned_in_classic'
  | 'no_available_agent'
  | 'agents_did_not_answer'

export type CallPhase =
  | 'new'
  | 'closed_message'
  | 'welcome'
  | 'ivr_menu'
  | 'distribution'
  | 'unavailable_message'
  | 'voicemail'
  | 'callback_confirmation'
  | 'ended'

/** The router's memory of one call; the engine persists it with the call. */
export type CallState = {
  phase: CallPhase
  startedAt: number
  /** Seed of the deterministic PRNG used by the random strategy. */
  seed: number
  /** Plays of the IVR menu so far (the menu plays at most twice). */
  ivrPlays: number
  /** Index in `steps` of the current step. */
  stepIndex: number
  /** The distribution being walked (the number's, or one built from an IVR destination). */
  steps: DistributionStep[]
  distributionStartedAt: number | null
  stepStartedAt: number | null
  /** Members of the current step already tried in it (sequential strategies). */
  triedInStep: number[]
  /** Agents who pressed decline: never rung again on this call. */
  declined: number[]
  ringing: number[]
  /** Someone was rung at some point (distinguishes the two "nobody answered" reasons). */
  anyoneRung: boolean
  /**
   * What follows the closed / unavailable message: voicemail (when enabled, else hang up), or
   * hang up (an exceptional period whose destination is "hang up").
   */
  afterMessage: 'voicemail' | 'hangup'
  missedReason: MissedCallReason | null
  outcome: 'answered' | 'voicemail' | 'message' | 'rejected' | 'transferred' | 'callback' | 'abandoned' | null
  answeredBy: number | null
  /** The IVR keys chosen, in order; `fallback` for the menu's fallback. */
  ivrKeys: string[]
  /** When the IVR menu first played (ms); absent from calls stored before it was kept. */
  ivrMenuAt?: number | null
  /** When each of `ivrKeys` was chosen (ms), same order; absent as ivrMenuAt. */
  ivrKeysAt?: number[]
}

export type RoutingEvent =
  | { type: 'start' }
  /** The prompt being played finished. */
  | { type: 'played' }
  | { type: 'digit'; digit: string }
  /** The timer of the last decision fired. */
  | { type: 'timeout' }
  | { type: 'declined'; userId: number }
  /** An agent let it ring out (their own leg timed out). */
  | { type: 'no_answer'; userId: number }
  | { type: 'answered'; userId: number }
  /** Agents' presence changed while the call waits: look again. */
  | { type: 'presence_changed' }
  /** Caller hung up (or the voicemail recording ended). */
  | { type: 'hungup' }
  /**
   * Sent to an outside number before anyone answered (the Calls API's transfer to `number`):
   * only while the caller waits (welcome, messages, IVR menu, distribution).
   */
  | { type: 'transfer_external'; e164: string }

/** What the engine must do now. `timeoutSec` = fire a timeout event after that long. */
export type Instruction =
  | { action: 'reject'; reason: 'blacklisted' | 'number_inactive' }
  | {
      action: 'play'
      prompt: Prompt | null
      purpose: 'closed' | 'welcome' | 'unavailable' | 'callback_confirmation'
    }
  | { action: 'gather'; prompt: Prompt | null; timeoutSec: number; play: number }
  | { action: 'ring'; userIds: number[]; timeoutSec: number; step: number }
  | { action: 'wait'; timeoutSec: number; step: number }
  | { action: 'transfer_external'; e164: string }
  | { action: 'transfer_number'; numberId: number }
  | { action: 'voicemail'; prompt: Prompt | null }
  | { action: 'connect'; userId: number }
  | { action: 'hangup' }
  | { action: 'none' }

export type Decision = { state: CallState; instruction: Instruction }
