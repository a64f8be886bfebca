import type { DialStatus } from './outbound.ts'
import { initialCallState, route } from './router.ts'
import {
  type CallState,
  DEFAULT_USER_RING_SEC,
  type RoutingConfig,
  type RoutingEvent,
  type RoutingWorld,
  type TeamStrategy,
} from './routing-types.ts'

/**
 * Blind (cold) transfers of a connected call, as pure functions: the engine keeps the
 * TransferState with the call and carries out each step.
 *
 * - To a user or a team, the transfer is a one-step distribution walked by the router itself
 *   (route(), unchanged): a user step of TRANSFER_USER_RING_SEC, or a team step of
 *   TRANSFER_TEAM_RING_SEC with the team's dispatching strategy (simultaneous, random,
 *   longest idle), skipping members who are not routable and never ringing the agent who
 *   transfers. The first to answer takes the call.
 * - To an outside number, the carrier dials it (<Dial><Number>) for TRANSFER_EXTERNAL_RING_SEC
 *   (below the 20–30 s after which carriers' voicemails pick up) and reports the result.
 * - Nobody answers (ring time over, everyone declined, nobody routable, busy, failed): the
 *   transfer is unsuccessful and the call comes back to the agent who transferred it (the caller
 *   waited on hold with the number's music meanwhile) — or, if that agent hung up meanwhile,
 *   the call ends.
 */

export const TRANSFER_USER_RING_SEC = DEFAULT_USER_RING_SEC
export const TRANSFER_TEAM_RING_SEC = 60
export const TRANSFER_EXTERNAL_RING_SEC = 20

export type TransferTarget =
  | { type: 'user'; userId: number }
  | { type: 'team'; teamId: number; strategy: TeamStrategy }
  | { type: 'number'; e164: string }

export type TransferState = {
  target: TransferTarget
  /** The agent on the call when it was transferred (null once they hung up while it rang). */
  fromUserId: number | null
  /** The agent who transferred it: transferred_by (kept when they hang up meanwhile). */
  byUserId: number
  startedAt: number
  /** User and team targets: the router's state of the transfer's one-step distribution. */
  routing: CallState | null
}

export type TransferFailure = 'no_answer' | 'nobody_available' | 'busy' | 'failed'

export type TransferStep =
  /** Ring these agents (the router's ring: the agents ringing now are `routing.ringing`). */
  | { kind: 'ring'; userIds: number[]; timeoutSec: number }
  /** Nobody routable now but some busy: wait for them (the caller stays on hold). */
  | { kind: 'wait'; timeoutSec: number }
  | { kind: 'dial'; e164: string; timeoutSec: number }
  /** Someone answered: the agent (user / team), or the outside number (null). */
  | { kind: 'connected'; userId: number | null }
  | { kind: 'failed'; reason: TransferFailure }
  | { kind: 'none' }

export type TransferEvent = RoutingEvent | { type: 'dial_result'; status: DialStatus }

/** The routing of a transfer to a user or team: that one step, always open, no messages. */
function transferConfig(target: TransferTarget & { type: 'user' | 'team' }, numberId: number): RoutingConfig {
  const ringTimeSec = target.type === 'user' ? TRANSFER_USER_RING_SEC : TRANSFER_TEAM_RING_SEC
  return {
    numberId,
    isIvr: false,
    active: true,
    inactiveReason: null,
    businessHours: { timeZone: 'UTC', mode: 'always_open', weekly: {}, exceptions: [] },
    messages: {},
    voicemailEnabled: false,
    distribution: [
      target.type === 'user'
        ? { kind: 'user', userId: target.userId, ringTimeSec }
        : { kind: 'team', teamId: target.teamId, ringTimeSec, strategy: target.strategy },
    ],
    respectQueueTime: false,
    maxQueueTimeSec: ringTimeSec,
    callbackOnStar: false,
    ivr: { options: {}, fallback: { type: 'hangup' }, timeoutSec: 5 },
  }
}

/**
 * The world as the transfer sees it: the transferring agent is skipped like an offline member
 * (not waited for as a busy one: they are on this very call).
 */
function transferWorld(world: RoutingWorld, fromUserId: number | null): RoutingWorld {
  const presence = new Map(world.presence)
  if (fromUserId !== null) {
    const p = presence.get(fromUserId)
    if (p) presence.set(fromUserId, { ...p, declared: 'offline' })
  }
  return { teams: world.teams, presence, callerBlacklisted: false }
}

function routeTransfer(
  t: TransferState,
  numberId: number,
  world: RoutingWorld,
  event: RoutingEvent,
  now: number,
): { state: TransferState; step: TransferStep } {
  const target = t.target as TransferTarget & { type: 'user' | 'team' }
  const decision = route(
    transferConfig(target, numberId),
    transferWorld(world, t.fromUserId),
    t.routing!,
    event,
    now,
  )
  const state = { ...t, routing: decision.state }
  const i = decision.instruction
  switch (i.action) {
    case 'ring':
      return { state, step: { kind: 'ring', userIds: i.userIds, timeoutSec: i.timeoutSec } }
    case 'wait':
      return { state, step: { kind: 'wait', timeoutSec: i.timeoutSec } }
    case 'connect':
      return { state, step: { kind: 'connected', userId: i.userId } }
    default:
      if (decision.state.phase === 'ended') {
        const reason = decision.state.anyoneRung ? 'no_answer' : 'nobody_available'
        return { state, step: { kind: 'failed', reason } }
      }
      return { state, step: { kind: 'none' } }
  }
}

export function startTransfer(
  input: { target: TransferTarget; fromUserId: number; numberId: number; seed: number },
  world: RoutingWorld,
  now: number,
): { state: TransferState; step: TransferStep } {
  const base: TransferState = {
    target: input.target,
    fromUserId: input.fromUserId,
    byUserId: input.fromUserId,
    startedAt: now,
    routing: null,
  }
  if (input.target.type === 'number') {
    return {
      state: base,
      step: { kind: 'dial', e164: input.target.e164, timeoutSec: TRANSFER_EXTERNAL_RING_SEC },
    }
  }
  return routeTransfer(
    { ...base, routing: initialCallState(now, input.seed) },
    input.numberId,
    world,
    { type: 'start' },
    now,
  )
}

export function continueTransfer(
  t: TransferState,
  numberId: number,
  world: RoutingWorld,
  event: TransferEvent,
  now: number,
): { state: TransferState; step: TransferStep } {
  if (t.target.type === 'number') {
    if (event.type === 'timeout') return { state: t, step: { kind: 'failed', reason: 'no_answer' } }
    if (event.type !== 'dial_result') return { state: t, step: { kind: 'none' } }
    if (event.status === 'answered') return { state: t, step: { kind: 'connected', userId: null } }
    return { state: t, step: { kind: 'failed', reason: event.status } }
  }
  if (event.type === 'dial_result') return { state: t, step: { kind: 'none' } }
  return routeTransfer(t, numberId, world, event, now)
}

/** The agents a transfer rings now. */
export function transferRinging(t: TransferState | null | undefined): number[] {
  return t?.routing?.ringing ?? []
}
