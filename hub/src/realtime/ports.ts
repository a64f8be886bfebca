import type { AgentCall, ClientMessage, LiveStateName, ServerMessage } from '@switchboard/shared'

/**
 * What the call engine needs from the realtime channel, and what the channel needs from the
 * engine. The engine declares AgentChannel and PresenceDirectory itself (telephony/engine/
 * ports.ts): the realtime module implements them structurally, so neither imports the other
 * and the server wires them together.
 */
export interface AgentChannel {
  /** Called after the transaction committed: deliver to every connected client of these users,
   *  whatever hub process they are connected to (in memory embedded, Redis pub/sub at scale). */
  send(companyId: number, userIds: readonly number[], message: ServerMessage): void
}

export interface PresenceDirectory {
  /** Users with at least one live client (or within the grace period after their last one). */
  onlineUsers(companyId: number): Promise<ReadonlySet<number>>
}

/** A client → hub frame that acts on a call. */
export type CallActionMessage = Extract<ClientMessage, { call_id: number }>

/** The call engine's side: the agents' actions on calls, and the call an agent is on. */
export interface CallActions {
  /** Throws DomainError (not_found for a call that is not theirs, not_allowed…). */
  agentAction(companyId: number, userId: number, action: CallActionMessage): Promise<void>
  /** The call the agent is ringing for or on, or the last one still waiting for a tag; null when none. */
  currentCall(companyId: number, userId: number): Promise<AgentCall | null>
  /** The insight cards posted for a call of the company, as frames (sent after `hello`). */
  insightCards?(
    companyId: number,
    callId: number,
  ): Promise<Extract<ServerMessage, { type: 'call.insight_card' }>[]>
  /** An agent of the company may have become routable (connected, set available): waiting calls look again. */
  presenceChanged?(companyId: number): Promise<void>
}

/** The live state a client shows, from the call the agent is on (wrap-up comes with the engine). */
export function liveStateOf(call: AgentCall | null): LiveStateName {
  if (!call) return 'idle'
  if (call.status === 'ringing') return 'ringing'
  if (call.status === 'answered') return 'in_call'
  return call.tag_required ? 'pending_tag' : 'idle'
}
