import type { AgentCall, ClientMessage, ServerMessage } from '@switchboard/shared'
import type { Queryable } from '../../db/client.ts'

/**
 * How the call engine reaches agents and learns who is online, without knowing WebSockets or
 * Redis: the realtime edge (hub/src/realtime/) implements these and server.ts injects them.
 */
export interface AgentChannel {
  /** Called AFTER the transaction committed: deliver to every connected client of these users,
   *  whatever hub process they are connected to (in memory embedded, Redis pub/sub at scale). */
  send(companyId: number, userIds: readonly number[], message: ServerMessage): void
}

export interface PresenceDirectory {
  /** Users with at least one live client (WebSocket) or a simulated device, or external
   *  forwarding on, now. Shared across processes at scale (Redis), in memory embedded.
   *  (The engine adds the sandbox's simulated devices and the users with external forwarding
   *  on itself, from the database: an implementation may leave them out.) */
  onlineUsers(companyId: number): Promise<ReadonlySet<number>>
}

/** The user.* events the engine decides (wrap-up starts when a call ends, ends after the user's wrap-up time). */
export type EngineUserEvent = 'user.wut_start' | 'user.wut_end'

/**
 * Records user.* events with the Aircall User object as data, as every user.* event carries
 * it. The services shape that object (the user's numbers included), a layer above the engine:
 * server.ts injects their recorder. Called inside the deciding transaction.
 */
export interface UserEventRecorder {
  record(tx: Queryable, companyId: number, userId: number, events: readonly EngineUserEvent[]): Promise<void>
}

/** What the caller card needs to know of a call (the engine's row, or before it exists). */
export type RingingCall = {
  companyId: number
  numberId: number
  direction: 'inbound' | 'outbound'
  /** The other party, E.164 or "anonymous". */
  externalNumber: string
}

/**
 * Who is calling, for the agents a call rings on: the services look the caller up in the
 * number's CRMs (services/caller-info) and send `call.caller_card` over the agent channel. The
 * engine only tells: a call is about to be created (the lookup starts while the creating
 * transaction runs, so the card is usually there by the first ring), it now rings these agents,
 * it ended. Called after the commit, never awaited, and must not throw: a card is not part of
 * the call's state, and one lost in a crash is only a card the agent does not see.
 */
export interface CallerCardPort {
  callStarting(call: RingingCall): void
  ringing(call: RingingCall & { callId: number }, userIds: readonly number[]): void
  callEnded(companyId: number, callId: number): void
}

/** An agent's action on a call, as the realtime channel (or REST) receives it. */
export type AgentAction = Extract<ClientMessage, { call_id: number }>

/** What the realtime edge calls: the engine's side of agents' actions. */
export interface CallActions {
  /** Applies the action; throws DomainError (not_found: not a call of the company; not_allowed:
   *  the call is not the agent's to act on, or the action is not possible now). */
  agentAction(companyId: number, userId: number, action: AgentAction): Promise<void>
  /** The call the agent is ringing for or on (for `hello` after a (re)connect), or null. */
  currentCall(companyId: number, userId: number): Promise<AgentCall | null>
  /** The insight cards posted for a call of the company, as frames (sent after `hello`). */
  insightCards(
    companyId: number,
    callId: number,
  ): Promise<Extract<ServerMessage, { type: 'call.insight_card' }>[]>
  /** An agent of the company may have become routable (connected, set available): calls
   *  waiting with nobody ringing look again at once instead of at their next timer. */
  presenceChanged(companyId: number): Promise<void>
}

/** Until a realtime channel is wired: agents' clients get nothing. */
export const silentAgentChannel: AgentChannel = { send() {} }

/** Until a presence directory is wired: only simulated devices are online. */
export const nobodyOnline: PresenceDirectory = { onlineUsers: async () => new Set<number>() }
