/**
 * Outbound (click-to-call) calls: a pure state machine, as the router is for inbound calls.
 * The engine persists the state with the call and carries out the instruction.
 *
 * The flow (Twilio's click-to-call, Wazo's `POST /users/me/calls`): the agent's device rings
 * first; once the agent answers, the customer leg is placed with the company number as caller
 * ID; when the person called answers the call is answered. Before that:
 * - the agent declines or lets their device ring out (OUTBOUND_AGENT_RING_SEC) → ended,
 *   outcome `agent_declined` / `agent_no_answer`, nobody was dialled;
 * - the agent hangs up while the customer rings → `cancelled`;
 * - the carrier reports the customer leg busy / not answered / failed, or nobody answered
 *   within OUTBOUND_CALLEE_RING_SEC → `busy` / `no_answer` / `failed`. A person called who
 *   rejects the call (the carrier says they hung up before answering) counts as busy, as
 *   Twilio reports a rejected <Dial>.
 * Once answered, the call is a connected call like any other: hang-ups and transfers are the
 * engine's connected-call rules.
 *
 * The agent's device is their apps (or the sandbox's simulated device); an agent with none
 * and external forwarding on is called on their external phone instead (`agentLeg`
 * `forwarded`, decided when the call starts). That leg rings for less time, as distribution
 * steps that ring forwarded agents should: an external phone's own voicemail often answers
 * after 20 to 30 s, which would count as the agent answering and dial the customer into it.
 */

/** How long the agent's own device rings before the call is given up. */
export const OUTBOUND_AGENT_RING_SEC = 30
/** How long the agent's external phone rings (external forwarding) before the call is given up. */
export const OUTBOUND_FORWARDED_RING_SEC = 20
/** How long the customer leg rings (Twilio's <Dial timeout> default). */
export const OUTBOUND_CALLEE_RING_SEC = 30

export type OutboundOutcome =
  | 'answered'
  | 'agent_declined'
  | 'agent_no_answer'
  | 'cancelled'
  | 'busy'
  | 'no_answer'
  | 'failed'

export type OutboundState = {
  kind: 'outbound'
  phase: 'new' | 'agent_ringing' | 'dialing' | 'connected' | 'ended'
  agentId: number
  /** The agent's device rung first: their apps, or their external phone (external forwarding). */
  agentLeg: 'app' | 'forwarded'
  /** The person called, E.164. */
  to: string
  startedAt: number
  /** The agent while their device rings (the engine's `ringing` column). */
  ringing: number[]
  outcome: OutboundOutcome | null
}

/** What the customer leg became, as the carrier reports it (Twilio's DialCallStatus). */
export type DialStatus = 'answered' | 'busy' | 'no_answer' | 'failed'

export type OutboundEvent =
  | { type: 'start' }
  | { type: 'agent_answered'; userId: number }
  | { type: 'agent_declined'; userId: number }
  | { type: 'agent_no_answer'; userId: number }
  | { type: 'agent_hungup'; userId: number }
  | { type: 'dial_result'; status: DialStatus }
  /** The person called hung up (before answering: rejected). */
  | { type: 'callee_hungup' }
  | { type: 'timeout' }

export type OutboundInstruction =
  | { action: 'ring_agent'; userId: number; timeoutSec: number }
  | { action: 'dial'; e164: string; timeoutSec: number }
  | { action: 'connect'; userId: number }
  /** The call is over before being answered; `stopRinging`: the agent's device still rings. */
  | { action: 'hangup'; stopRinging: boolean }
  | { action: 'none' }

export function initialOutboundState(
  agentId: number,
  to: string,
  startedAt: number,
  agentLeg: OutboundState['agentLeg'] = 'app',
): OutboundState {
  return { kind: 'outbound', phase: 'new', agentId, agentLeg, to, startedAt, ringing: [], outcome: null }
}

export function isOutboundState(state: unknown): state is OutboundState {
  return typeof state === 'object' && state !== null && Reflect.get(state, 'kind') === 'outbound'
}

const NONE: OutboundInstruction = { action: 'none' }

export function stepOutbound(
  previous: OutboundState,
  event: OutboundEvent,
): { state: OutboundState; instruction: OutboundInstruction } {
  const s: OutboundState = { ...previous }
  const end = (outcome: OutboundOutcome) => {
    const stopRinging = s.ringing.length > 0
    s.phase = 'ended'
    s.outcome = outcome
    s.ringing = []
    return { state: s, instruction: { action: 'hangup', stopRinging } as OutboundInstruction }
  }
  const isAgent = 'userId' in event && event.userId === s.agentId
  switch (s.phase) {
    case 'new':
      if (event.type !== 'start') return { state: s, instruction: NONE }
      s.phase = 'agent_ringing'
      s.ringing = [s.agentId]
      return {
        state: s,
        instruction: {
          action: 'ring_agent',
          userId: s.agentId,
          timeoutSec: s.agentLeg === 'forwarded' ? OUTBOUND_FORWARDED_RING_SEC : OUTBOUND_AGENT_RING_SEC,
        },
      }
    case 'agent_ringing':
      switch (event.type) {
        case 'agent_answered':
          if (!isAgent) break
          s.phase = 'dialing'
          s.ringing = []
          return {
            state: s,
            instruction: { action: 'dial', e164: s.to, timeoutSec: OUTBOUND_CALLEE_RING_SEC },
          }
        case 'agent_declined':
        case 'agent_hungup':
          if (!isAgent) break
          return end('agent_declined')
        case 'agent_no_answer':
          if (!isAgent) break
          return end('agent_no_answer')
        case 'timeout':
          return end('agent_no_answer')
        default:
          break
      }
      return { state: s, instruction: NONE }
    case 'dialing':
      switch (event.type) {
        case 'dial_result':
          if (event.status === 'answered') {
            s.phase = 'connected'
            s.outcome = 'answered'
            return { state: s, instruction: { action: 'connect', userId: s.agentId } }
          }
          return end(event.status)
        case 'callee_hungup':
          return end('busy')
        case 'agent_hungup':
          if (!isAgent) break
          return end('cancelled')
        case 'timeout':
          return end('no_answer')
        default:
          break
      }
      return { state: s, instruction: NONE }
    case 'connected':
    case 'ended':
      return { state: s, instruction: NONE }
  }
}
