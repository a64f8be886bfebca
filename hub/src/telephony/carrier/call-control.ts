import type { HoldMusic, Prompt } from '../routing-types.ts'

/**
 * The call-control half of a carrier, shaped on Twilio's model: the engine answers each carrier
 * event with a list of verbs for the call (TwiML: Reject, Say/Play, Gather, Dial with Client
 * nouns, Enqueue, Record, Hangup), and the carrier reports what happens back as events (status
 * callbacks, Gather's action, Dial's action, recording callbacks). The engine applies those
 * events through applyCallEvent; it calls `execute` only after its transaction committed.
 */
export type CallCommand =
  /** Refuse before answering (TwiML <Reject>: not answered, not billed). */
  | { verb: 'reject'; reason: 'blacklisted' | 'number_inactive' }
  /** Play a prompt to the caller (<Say>/<Play>); the engine's timer stands for its end. */
  | { verb: 'play'; prompt: Prompt | null }
  /** Play the menu and collect one key (<Gather numDigits="1" timeout>). */
  | { verb: 'gather'; prompt: Prompt | null; timeoutSec: number }
  /**
   * Ring agents' devices (<Dial timeout><Client>…), the caller hears ringback or music.
   * `forwards`: agents of `userIds` with external forwarding on, whose external phone rings
   * too, showing `callerId` (see ForwardLeg).
   */
  | { verb: 'ring_agents'; userIds: number[]; timeoutSec: number; forwards?: ForwardLeg[] }
  /** Stop ringing these legs (another agent answered, the step moved on, the caller left). */
  | { verb: 'cancel_legs'; userIds: number[] }
  /** Hold the caller with the number's music (<Enqueue waitUrl>, the wait URL playing it). */
  | { verb: 'hold'; music: HoldMusic }
  /** Connect the caller to the agent who answered. */
  | { verb: 'bridge'; userId: number }
  | { verb: 'record'; action: 'start' | 'pause' | 'resume' }
  /** Record a voicemail (<Record maxLength playBeep>). */
  | { verb: 'voicemail'; maxLengthSec: number }
  /**
   * Dial an outside number (<Dial callerId timeout action><Number>): an IVR's transfer, the
   * customer leg of an outbound call, a transfer to an outside number. `callerId`: the
   * company number shown (default: the caller's); `timeoutSec`: how long it rings before the
   * carrier reports `dial_result` no_answer (the engine's timer stands for it too).
   */
  | { verb: 'dial_out'; e164: string; callerId?: string; timeoutSec?: number }
  | { verb: 'hangup' }

/**
 * An agent's external phone, rung as one of their devices (external forwarding): the outside
 * number `e164` is dialled showing `callerId` (the number the agent chose, else the caller's).
 * The carrier reports that leg as the agent's own (leg_answered / leg_declined / leg_no_answer
 * with their userId), so the call connects as with any agent. On Twilio, <Dial callerId> is
 * one per <Dial>, not per noun: a forwarded leg whose caller ID differs from the call's is
 * placed as its own outbound leg (REST, `From` = callerId) and bridged when it answers.
 */
export type ForwardLeg = { userId: number; e164: string; callerId: string }

/** What the engine knows of the call a command is for; `version`: the call's, once applied. */
export type CarrierCall = { id: number; companyId: number; carrierRef: string | null; version: number }

export interface CallControl {
  readonly name: 'sandbox' | 'twilio'
  /** Carries out the verbs, in order, for the call. Must not throw: log and move on (the
   *  carrier's status callbacks, or the engine's timers, settle what did not happen). */
  execute(call: CarrierCall, commands: readonly CallCommand[]): Promise<void>
}

/**
 * Events a carrier reports for a call (Twilio: status callbacks, Gather/Dial actions,
 * recording callbacks); the simulation API produces the same ones for the sandbox.
 */
export type CarrierEvent =
  | { type: 'digits'; digits: string }
  | { type: 'leg_answered'; userId: number }
  | { type: 'leg_declined'; userId: number }
  | { type: 'leg_no_answer'; userId: number }
  /** The call's outside party hung up: the caller (inbound), the person called (outbound). */
  | { type: 'caller_hungup' }
  /** What a dial_out leg became (Twilio's DialCallStatus on the <Dial> action). */
  | { type: 'dial_result'; status: 'answered' | 'busy' | 'no_answer' | 'failed' }
  | { type: 'agent_hungup'; userId: number }
  | { type: 'voicemail_left'; durationSec: number }
