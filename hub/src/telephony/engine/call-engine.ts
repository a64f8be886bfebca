import type { ServerMessage } from '@switchboard/shared'
import { and, eq, isNotNull, isNull, lt, sql } from 'drizzle-orm'
import { z } from 'zod'
import type { BlobStore } from '../../blobs/blob-store.ts'
import type { Clock } from '../../core/clock.ts'
import { DomainError, notFound } from '../../core/errors.ts'
import type { Logger } from '../../core/logger.ts'
import type { Database, Tx } from '../../db/client.ts'
import { calls, users } from '../../db/schema/index.ts'
import { writeBatch } from '../../db/write-batch.ts'
import type { Env } from '../../env.ts'
import { type EventName, recordEvents } from '../../events/outbox.ts'
import { defineJob, newJobs } from '../../jobs/job-definition.ts'
import type { JobQueue, NewJob } from '../../jobs/queue.ts'
import type { CallCommand, CallControl, CarrierEvent } from '../carrier/call-control.ts'
import { initialOutboundState, isOutboundState, type OutboundEvent, stepOutbound } from '../outbound.ts'
import { canTransferUnanswered, initialCallState, route } from '../router.ts'
import type {
  AgentPresence,
  CallState,
  Instruction,
  Prompt,
  RoutingConfig,
  RoutingEvent,
  RoutingWorld,
} from '../routing-types.ts'
import { DEFAULT_HOLD_MUSIC } from '../routing-types.ts'
import { type CallWorld, cachedCallWorld, settingAvailability, type WorldCache } from '../routing-world.ts'
import {
  continueTransfer,
  startTransfer,
  type TransferEvent,
  type TransferState,
  type TransferStep,
  type TransferTarget,
  transferRinging,
} from '../transfer.ts'
import { engineAssetSigner, finalizeJobs } from './call-finalize.ts'
import {
  agentCall,
  type CallRefs,
  type CallRow,
  callWebhookData,
  eventBase,
  insightCardFrames,
  worldCallRefs,
} from './call-object.ts'
import {
  agentsOtherCall,
  callsRingingAgent,
  insertInboundCall,
  insertTimelineRow,
  lockAgent,
  lockCall,
  lockCompanyCall,
  updateCall,
  waitingCalls,
} from './call-statements.ts'
import { numberAgents, requestCallback } from './callback-request.ts'
import { addForwardLegs, forwardedTimeline, forwardsCalls, outboundAgentLeg } from './forwarding.ts'
import { loadLiveFacts, loadLiveStates } from './live-state.ts'
import type { AgentChannel, CallerCardPort, PresenceDirectory, UserEventRecorder } from './ports.ts'
import { startHandoverWrapUp, startWrapUp } from './wrap-up.ts'

/**
 * The call engine: applies each event of a call (carrier event, agent action, timer) in ONE
 * transaction that locks the call's row — load the router state, run route(), store the new
 * state with version + 1, append the timeline row, record the outbox events, arm the timer —
 * and only after the commit drives the carrier and tells agents' clients. So:
 * - a duplicated or late event is a no-op: the router ignores what does not fit the call's
 *   phase, and an event that changes nothing writes nothing;
 * - timers are durable queue jobs keyed by call and version (`call:<id>:v<version>`); one that
 *   fires after the call moved on (its version is no longer the armed one) is ignored;
 * - after a crash, the row says where the call was and when its timer was due
 *   (`timer_at`): workers re-arm the timers of calls in progress at start (rearmCallTimers).
 */

export type EngineDeps = {
  db: Database
  queue: JobQueue
  clock: Clock
  logger: Logger
  env: Pick<Env, 'PUBLIC_URL' | 'PORT' | 'URL_SIGNING_SECRET' | 'DATABASE_URL' | 'DATA_DIR'>
  /** Where recordings and voicemails are stored (call-finalize.ts). */
  blobs: BlobStore
  /** Companies' routing worlds kept between events (routing-world.ts). */
  worldCache: WorldCache
  callControl: CallControl
  agentChannel: AgentChannel
  presence: PresenceDirectory
  /** Records the user.* events the engine decides (wrap-up.ts), with the User object as data. */
  userEvents: UserEventRecorder
  /** Told when calls start, ring agents and end, to send ringing agents the caller card. */
  callerCards?: CallerCardPort
}

export type EngineEvent =
  | CarrierEvent
  | { type: 'timer'; version: number }
  /** Agents may have become routable (connected, tagged, wrap-up over): waiting calls look again. */
  | { type: 'presence_changed' }
  /**
   * Blind transfer of the connected call, or of an inbound call nobody answered yet to an
   * outside number (call-transfer.ts checks the target first). `byUserId`: the agent asking,
   * who must be the one on the call; null for the API.
   */
  | { type: 'transfer'; target: TransferTarget; byUserId: number | null }

/** How long a voicemail may last before the recording stops (Twilio <Record maxLength>). */
export const VOICEMAIL_MAX_SEC = 120
const TTS_CHARS_PER_SEC = 15
const MIN_PROMPT_SEC = 2
const UNKNOWN_AUDIO_SEC = 10

type Effects = {
  commands: CallCommand[]
  messages: { userIds: number[]; message: ServerMessage }[]
  jobs: NewJob[]
  /** A timer the event made pointless (BullMQ: withdrawn after the commit). */
  cancelTimer?: string
  /** An agent is free at once: waiting calls look again after the commit (nudgeSoon). */
  nudgeWaiting?: boolean
  /** The names the call's objects were built with (set by applyInTx). */
  refs?: CallRefs
}

export type ApplyResult = { applied: boolean; call: CallRow | null }

export const callTimerKey = (callId: number, version: number) => `call:${callId}:v${version}`

export const callTimerJob = defineJob({
  queue: 'calls',
  name: 'call-timer',
  schema: z.object({ callId: z.number().int().positive(), version: z.number().int().nonnegative() }),
  tries: 5,
  backoffMs: 500,
  concurrency: 16,
  handle: async (deps: EngineDeps, data) => {
    await applyCallEvent(deps, data.callId, { type: 'timer', version: data.version })
  },
})

/**
 * Waiting calls of a company look again for a routable agent (presence_changed). Queued when
 * an agent's wrap-up ends; the realtime edge calls nudgeWaitingCalls when an agent connects or
 * becomes available.
 */
export const waitingCallsJob = defineJob({
  queue: 'calls',
  name: 'waiting-calls',
  schema: z.object({ companyId: z.number().int().positive() }),
  tries: 3,
  backoffMs: 500,
  handle: async (deps: EngineDeps, data) => {
    await nudgeWaitingCalls(deps, data.companyId)
  },
})

/** Applies presence_changed to the company's calls waiting with nobody ringing. */
export async function nudgeWaitingCalls(deps: EngineDeps, companyId: number): Promise<void> {
  const waiting = await waitingCalls(deps.db, { companyId })
  // Oldest first: the caller who waited longest gets the agent.
  for (const call of waiting) await applyCallEvent(deps, call.id, { type: 'presence_changed' })
}

/**
 * The company's calls waiting for an agent look again once an agent is free: after a wrap-up,
 * by a durable job keyed `jobKey`; at once, after the commit, in this process (nudgeSoon).
 */
function lookAgainAfter(effects: Effects, companyId: number, wrapUpSec: number, jobKey: string): void {
  if (wrapUpSec > 0) {
    effects.jobs.push(
      ...newJobs(waitingCallsJob, [{ data: { companyId }, delayMs: wrapUpSec * 1000, jobKey }]),
    )
  } else {
    effects.nudgeWaiting = true
  }
}

const nudging = new WeakMap<object, Map<number, { again: boolean }>>()

/**
 * nudgeWaitingCalls, after a commit that freed an agent: one look at a time per company and
 * process, and one more after it when agents were freed meanwhile, so a busy company's hang-ups
 * cost a look each at most. In memory, as the realtime edge's nudges (an agent connects): a
 * crash before it runs leaves the waiting calls to the next agent freed and to their own timers.
 * A job per hang-up, in the `calls` queue, fell behind under the call benchmark (1,800 waiting
 * after 28 s at 83 hang-ups a second), and call timers queued after them would have waited.
 */
function nudgeSoon(deps: EngineDeps, companyId: number): void {
  const companies = nudging.get(deps.db) ?? new Map<number, { again: boolean }>()
  nudging.set(deps.db, companies)
  const running = companies.get(companyId)
  if (running) {
    running.again = true
    return
  }
  const state = { again: false }
  companies.set(companyId, state)
  void (async () => {
    try {
      do {
        state.again = false
        await nudgeWaitingCalls(deps, companyId)
      } while (state.again)
    } catch (err) {
      deps.logger.warn({ err, companyId }, 'calls: waiting calls could not look for a free agent')
    } finally {
      companies.delete(companyId)
    }
  })()
}

export { eventBase }

/**
 * A call arrives at a number: creates it and applies its start in one transaction
 * (call.created, then whatever the router decides first).
 */
export async function startInboundCall(
  deps: EngineDeps,
  input: { companyId: number; numberId: number; from: string; rawDigits: string; carrierRef?: string },
): Promise<{ call: CallRow; refs: CallRefs | null }> {
  const effects: Effects = { commands: [], messages: [], jobs: [] }
  const now = deps.clock.now()
  tellCallerCards(deps, (port) =>
    port.callStarting({
      companyId: input.companyId,
      numberId: input.numberId,
      direction: 'inbound',
      externalNumber: input.from,
    }),
  )
  const row = await deps.db.transaction(async (tx) => {
    // The routing version and the blacklist come with the inserted row.
    const [inserted] = await insertInboundCall(tx, {
      companyId: input.companyId,
      numberId: input.numberId,
      externalNumber: input.from,
      rawDigits: input.rawDigits,
      startedAt: now,
      state: initialCallState(now.getTime(), Math.floor(Math.random() * 2 ** 32)),
      carrierRef: input.carrierRef ?? null,
    })
    const { routingVersion, blacklisted, ...created } = inserted!
    const result = await applyInTx(tx, deps, created, { type: 'start' }, effects, {
      routingVersion,
      blacklisted,
    })
    return result ?? created
  })
  await runEffects(deps, row, effects)
  return { call: row, refs: effects.refs ?? null }
}

/**
 * An agent calls out (click-to-call, telephony/outbound.ts): creates the outbound call and
 * rings the agent's device in one transaction (call.created): their apps, or their external
 * phone when that is their only device (forwarding.ts). The caller has checked the agent may
 * use the number and is available; here, under a lock on the agent's row so two requests
 * cannot both pass, the agent must not be ringing or in a call already (not_allowed).
 */
export async function startOutboundCall(
  deps: EngineDeps,
  input: { companyId: number; userId: number; numberId: number; to: string; rawDigits: string },
): Promise<CallRow> {
  const effects: Effects = { commands: [], messages: [], jobs: [] }
  const now = deps.clock.now()
  tellCallerCards(deps, (port) =>
    port.callStarting({
      companyId: input.companyId,
      numberId: input.numberId,
      direction: 'outbound',
      externalNumber: input.to,
    }),
  )
  const row = await deps.db.transaction(async (tx) => {
    const [agent] = await tx
      .select({ id: users.id, companyId: users.companyId, forwardingNumbers: users.forwardingNumbers })
      .from(users)
      .where(and(eq(users.id, input.userId), eq(users.companyId, input.companyId)))
      .for('update')
    if (!agent) throw notFound('User not found')
    const live = await loadLiveStates(tx, input.companyId, now.getTime(), new Map())
    const state = live.get(input.userId)?.live
    if (state === 'ringing' || state === 'in_call') {
      throw new DomainError('not_allowed', `The user is not available to call (${state})`)
    }
    const agentLeg = await outboundAgentLeg(tx, deps.presence, agent)
    const [created] = await tx
      .insert(calls)
      .values({
        companyId: input.companyId,
        numberId: input.numberId,
        direction: 'outbound',
        status: 'initial',
        externalNumber: input.to,
        rawDigits: input.rawDigits,
        startedAt: now,
        userId: input.userId,
        state: initialOutboundState(input.userId, input.to, now.getTime(), agentLeg) as unknown as Record<
          string,
          unknown
        >,
        version: 0,
      })
      .returning()
    const result = await applyInTx(tx, deps, created!, { type: 'start' }, effects)
    return result ?? created!
  })
  await runEffects(deps, row, effects)
  return row
}

/**
 * Applies one event to a call. `companyId`, when given, scopes the lookup (an API caller's
 * company): another company's call is not found. `guard` checks the locked call first (an
 * agent's right to act on it) and throws to refuse.
 */
export async function applyCallEvent(
  deps: EngineDeps,
  callId: number,
  event: EngineEvent,
  companyId?: number,
  guard?: (row: CallRow) => void,
): Promise<ApplyResult> {
  const effects: Effects = { commands: [], messages: [], jobs: [] }
  const outcome = await deps.db.transaction(async (tx) => {
    // The company's routing version comes with the row: no statement of its own.
    const [locked] =
      companyId === undefined
        ? await lockCall(tx, { callId })
        : await lockCompanyCall(tx, { callId, companyId })
    if (!locked) return { found: false as const }
    const { routingVersion, ...row } = locked
    guard?.(row)
    if (event.type === 'leg_answered' && row.status !== 'done' && row.ringing.includes(event.userId)) {
      await assertAgentFree(tx, row, event.userId)
    }
    const updated = await applyInTx(tx, deps, row, event, effects, { routingVersion })
    return { found: true as const, row: updated ?? row, applied: updated !== null }
  })
  if (!outcome.found) {
    if (companyId !== undefined) throw notFound('Call not found')
    return { applied: false, call: null }
  }
  if (outcome.applied) await runEffects(deps, outcome.row, effects)
  if (
    outcome.applied &&
    event.type === 'leg_answered' &&
    outcome.row.status === 'answered' &&
    outcome.row.userId === event.userId
  ) {
    await stopOtherRings(deps, outcome.row, event.userId)
  }
  return { applied: outcome.applied, call: outcome.row }
}

/**
 * One call at a time: an agent's answer waits for their other answers (and their click-to-call,
 * startOutboundCall) on a lock of their user row, then finds them on no other call — not one
 * answered and not ended, nor one they are placing. Two answers sent within the same
 * milliseconds: the second is refused (not_allowed). Both statements go in one round trip:
 * PostgreSQL runs the second once the lock is held, on a fresh snapshot.
 */
async function assertAgentFree(tx: Tx, row: CallRow, userId: number): Promise<void> {
  const values = { userId, companyId: row.companyId, callId: row.id }
  const [, busy] = await Promise.all([lockAgent(tx, values), agentsOtherCall(tx, values)])
  if (busy.length > 0) throw new DomainError('not_allowed', 'You are on another call already')
}

/**
 * The agent who just answered stops ringing for other calls. The router rings only idle
 * agents, but two calls routed at the same moment may both have picked them; each other call
 * takes it as a ring out on them (its next member or step rings). After the commit, and a
 * courtesy: if it fails, those rings end with their ring time.
 */
async function stopOtherRings(deps: EngineDeps, answered: CallRow, userId: number): Promise<void> {
  try {
    const others = await callsRingingAgent(deps.db, {
      companyId: answered.companyId,
      callId: answered.id,
      userId,
    })
    for (const other of others) await applyCallEvent(deps, other.id, { type: 'leg_no_answer', userId })
  } catch (err) {
    deps.logger.warn({ err, callId: answered.id, userId }, 'calls: could not stop the agent’s other rings')
  }
}

/**
 * Re-arms the timers of calls in progress (a restart, or a queue add lost in a crash); with
 * `overdueMs`, only those due that long ago already (the periodic sweep: startTimerSweep).
 */
export async function rearmCallTimers(
  deps: Pick<EngineDeps, 'db' | 'queue' | 'clock'>,
  options: { overdueMs?: number } = {},
): Promise<number> {
  const overdue =
    options.overdueMs === undefined
      ? undefined
      : lt(calls.timerAt, new Date(deps.clock.now().getTime() - options.overdueMs))
  const query = deps.db
    .select({ id: calls.id, timerAt: calls.timerAt, timerVersion: calls.timerVersion })
    .from(calls)
    .where(and(isNull(calls.endedAt), isNotNull(calls.timerAt), overdue))
  // A sweep during an overload (timers late behind a busy queue, not lost) re-adds a few, not
  // every one: the rest follow at the next sweeps. Picked at random, so timers that stay
  // overdue with their job still known (a dead letter) cannot keep a lost one out for good.
  const rows = overdue ? await query.orderBy(sql`random()`).limit(SWEEP_LIMIT) : await query
  if (rows.length === 0) return 0
  const now = deps.clock.now().getTime()
  // Job keys make this harmless for timers still queued: only lost ones are added.
  await deps.queue.addBulk(
    newJobs(
      callTimerJob,
      rows.map((r) => ({
        data: { callId: r.id, version: r.timerVersion ?? 0 },
        delayMs: Math.max(0, r.timerAt!.getTime() - now),
        jobKey: callTimerKey(r.id, r.timerVersion ?? 0),
      })),
    ),
  )
  return rows.length
}

/** How often the sweep looks, and how late a timer must be to count as lost. */
const TIMER_SWEEP_EVERY_MS = 10_000
const TIMER_LOST_AFTER_MS = 10_000
const SWEEP_LIMIT = 500

/**
 * At scale (BullMQ), a call's timer job is added after its transaction commits: a web process
 * killed in between, or Redis failing the add, loses it, and the call would ring on (or wait
 * in its queue) until a worker restarts. So workers look every few seconds for timers overdue
 * by a wide margin and add them again: job keys make that a no-op for a timer still queued
 * behind a busy consumer, and a timer that fires after its call moved on is ignored. One read
 * of the calls in progress (calls_active_idx) per sweep.
 */
export function startTimerSweep(
  deps: Pick<EngineDeps, 'db' | 'queue' | 'clock' | 'logger'>,
  options: { everyMs?: number; onSweep?: (queued: number) => void } = {},
): { stop(): Promise<void> } {
  let sweeping: Promise<void> | null = null
  const timer = setInterval(() => {
    if (sweeping) return
    sweeping = rearmCallTimers(deps, { overdueMs: TIMER_LOST_AFTER_MS })
      .then((n) => {
        options.onSweep?.(n)
        // Most are late, not lost (their adds are no-ops): not worth a warning every 10 s.
        if (n > 0) deps.logger.debug({ timers: n }, 'calls: timers overdue by 10 s or more queued again')
      })
      .catch((err: unknown) => deps.logger.error({ err }, 'calls: could not sweep the overdue call timers'))
      .finally(() => {
        sweeping = null
      })
  }, options.everyMs ?? TIMER_SWEEP_EVERY_MS)
  timer.unref()
  return {
    async stop() {
      clearInterval(timer)
      await sweeping
    },
  }
}

async function runEffects(deps: EngineDeps, row: CallRow, effects: Effects): Promise<void> {
  // Agents first: a ring reaches their clients without waiting on the queue or the carrier.
  for (const m of effects.messages) {
    if (m.userIds.length === 0) continue
    try {
      deps.agentChannel.send(row.companyId, m.userIds, m.message)
    } catch (err) {
      deps.logger.warn({ err, callId: row.id }, 'calls: agent channel refused a message')
    }
  }
  // Right after the ringing frames: an agent's client shows the call, then who is calling.
  const ringingCall = {
    callId: row.id,
    companyId: row.companyId,
    numberId: row.numberId,
    direction: row.direction,
    externalNumber: row.externalNumber,
  }
  for (const m of effects.messages)
    if (m.message.type === 'call.ringing' && m.userIds.length > 0)
      tellCallerCards(deps, (port) => port.ringing(ringingCall, m.userIds))
  if (row.endedAt) tellCallerCards(deps, (port) => port.callEnded(row.companyId, row.id))
  if (effects.nudgeWaiting) nudgeSoon(deps, row.companyId)
  await Promise.all([
    effects.jobs.length > 0 && deps.queue.kind !== 'embedded'
      ? // Outside the database: added once the change is committed. A crash in between loses
        // the add; rearmCallTimers at the next start recovers it from timer_at.
        deps.queue.addBulk(effects.jobs).catch((err: unknown) => {
          deps.logger.error({ err, callId: row.id }, 'calls: could not queue the call timer')
        })
      : undefined,
    // A courtesy: a timer left behind fires and is ignored.
    effects.cancelTimer !== undefined
      ? deps.queue.cancel(callTimerJob.queue, effects.cancelTimer).catch((err: unknown) => {
          deps.logger.warn({ err, callId: row.id }, 'calls: could not withdraw a call timer')
        })
      : undefined,
    effects.commands.length > 0
      ? deps.callControl.execute(
          { id: row.id, companyId: row.companyId, carrierRef: row.carrierRef, version: row.version },
          effects.commands,
        )
      : undefined,
  ])
}

/** The caller cards are a courtesy: whatever goes wrong there never fails the call's event. */
function tellCallerCards(deps: EngineDeps, tell: (port: CallerCardPort) => void): void {
  if (!deps.callerCards) return
  try {
    tell(deps.callerCards)
  } catch (err) {
    deps.logger.warn({ err }, 'calls: the caller card port threw')
  }
}

function promptSec(p: Prompt | null, world: CallWorld): number {
  if (!p) return 0
  if (p.kind === 'tts') return Math.max(MIN_PROMPT_SEC, Math.ceil(p.text.length / TTS_CHARS_PER_SEC))
  const ms = world.audio.get(p.blobId)?.durationMs
  return ms ? Math.max(1, Math.ceil(ms / 1000)) : UNKNOWN_AUDIO_SEC
}

/** The router's world for this call: teams, each user's declared status and derived live state. */
async function routingWorld(
  tx: Tx,
  deps: EngineDeps,
  row: CallRow,
  world: CallWorld,
  now: Date,
): Promise<RoutingWorld> {
  const [online, { states: live, simulated }] = await Promise.all([
    deps.presence.onlineUsers(row.companyId),
    loadLiveFacts(tx, row.companyId, now.getTime(), new Map(world.users.map((u) => [u.id, u.wrapUpTime])), {
      exceptCallId: row.id,
      devices: true,
    }),
  ])
  const presence = new Map<number, AgentPresence>()
  for (const u of world.users) {
    const setting = settingAvailability(u, now)
    // External forwarding is a device too: their phone rings (forwarding.ts).
    const isOnline = online.has(u.id) || simulated.has(u.id) || forwardsCalls(u)
    const declared: AgentPresence['declared'] = !isOnline
      ? 'offline'
      : u.doNotDisturb || setting === 'unavailable'
        ? 'unavailable'
        : u.availabilityStatus === 'custom'
          ? 'auto'
          : 'available'
    const state = live.get(u.id)
    presence.set(u.id, {
      declared,
      live: state?.live ?? 'idle',
      inWorkingHours: setting !== 'auto_out_of_hours',
      idleSince: state?.idleSince ?? 0,
    })
  }
  return { teams: world.teams, presence, callerBlacklisted: world.callerBlacklisted }
}

function routingEventsOf(event: EngineEvent | { type: 'start' }, state: CallState): RoutingEvent[] {
  switch (event.type) {
    case 'start':
      return [{ type: 'start' }]
    case 'timer':
      return [{ type: 'timeout' }]
    case 'digits':
      return [...event.digits].map((digit) => ({ type: 'digit', digit }))
    case 'leg_answered':
      return [{ type: 'answered', userId: event.userId }]
    case 'leg_declined':
      return [{ type: 'declined', userId: event.userId }]
    case 'leg_no_answer':
      return [{ type: 'no_answer', userId: event.userId }]
    case 'caller_hungup':
      return [{ type: 'hungup' }]
    case 'voicemail_left':
      // The caller spoke and hung up: only meaningful while the voicemail records.
      return state.phase === 'voicemail' ? [{ type: 'hungup' }] : []
    case 'agent_hungup':
      return []
    case 'presence_changed':
      return [{ type: 'presence_changed' }]
    case 'transfer':
      // Only an outside number takes a call nobody answered (assertTransferable).
      return event.target.type === 'number' ? [{ type: 'transfer_external', e164: event.target.e164 }] : []
    case 'dial_result':
      return []
  }
}

/**
 * The heart of the engine, inside the call's transaction. Returns the updated row, or null
 * when the event changes nothing (a duplicate, a late or stale event).
 */
async function applyInTx(
  tx: Tx,
  deps: EngineDeps,
  row: CallRow,
  event: EngineEvent | { type: 'start' },
  effects: Effects,
  /** What the caller read already in this transaction: the routing version, the blacklist. */
  known: { routingVersion?: number; blacklisted?: boolean } = {},
): Promise<CallRow | null> {
  if (event.type === 'transfer') assertTransferable(row, event)
  if (row.status === 'done') return null
  if (event.type === 'timer' && (row.timerVersion !== event.version || row.timerAt === null)) return null
  const now = deps.clock.now()
  const nowMs = now.getTime()
  const pendingTransfer = row.status === 'answered' ? transferOf(row) : null
  const transferTurnNow = row.status === 'answered' && isTransferTurn(row, pendingTransfer, event)
  if (row.status === 'answered' && !transferTurnNow) {
    // Connected: only a hang-up, by either side, changes anything now.
    const agentLeft = event.type === 'agent_hungup' && event.userId === row.userId
    if (!agentLeft && event.type !== 'caller_hungup') return null
  }
  // An agent ringing for an inbound call answers it: the router only checks they ring, so no
  // presence or live state is loaded.
  const ringingAnswers =
    row.status === 'initial' &&
    row.direction === 'inbound' &&
    event.type === 'leg_answered' &&
    row.ringing.includes(event.userId)
  const world = await cachedCallWorld(tx, deps.worldCache, row.companyId, row.externalNumber, {
    blacklist: event.type === 'start',
    version: known.routingVersion,
    blacklisted: known.blacklisted,
  })
  const numberRow = world.numbers.get(row.numberId)
  const config: RoutingConfig | undefined = world.configs.get(row.numberId)
  const base = eventBase(deps.env)
  const refs = worldCallRefs(world, row, base, engineAssetSigner(deps, base))
  effects.refs = refs

  const events: { name: EventName; user?: number | null; extra?: Record<string, unknown> }[] = []
  const before = row.state as unknown as CallState
  let state = before
  let instruction: Instruction = { action: 'none' }
  const next: Partial<CallRow> = {}
  let timerSec: number | null = null
  let stopReason: RingStopReason = event.type === 'transfer' ? 'transferred' : 'timeout'
  /** The timeline's account of a transfer or outbound step (inbound: the router's instruction). */
  let detail: Record<string, unknown> | null = null
  const turn: Turn = { tx, deps, row, world, refs, now, event, effects, events, next }

  if (event.type === 'start') events.push({ name: 'call.created' })

  if (transferTurnNow) {
    const applied = await transferTurn(turn, pendingTransfer)
    if (!applied) return null
    detail = applied.detail
    timerSec = applied.timerSec
  } else if (row.status === 'answered') {
    // The call ends while a transfer rings: those legs stop.
    if (pendingTransfer && event.type === 'caller_hungup') stopTransferLegs(turn, pendingTransfer)
    next.status = 'done'
    next.endedAt = now
    effects.commands.push({ verb: 'hangup' })
    // call.ended follows once the recording is stored (call-finalize.ts).
    events.push({ name: 'call.hungup' })
    effects.jobs.push(...finalizeJobs(row.id))
    if (row.userId !== null) {
      // The agent is routable again once their wrap-up is over: waiting calls look then.
      const wrapUpSec = world.users.find((u) => u.id === row.userId)?.wrapUpTime ?? 0
      lookAgainAfter(effects, row.companyId, wrapUpSec, `call:${row.id}:wrap-up-over`)
      const ended = { ...row, ...next }
      effects.messages.push({
        userIds: [row.userId],
        message: { type: 'call.ended', call: agentCall(ended as CallRow, refs, 'done') },
      })
      if (refs.tagRequired) {
        effects.messages.push({
          userIds: [row.userId],
          message: { type: 'call.tag_required', call_id: row.id },
        })
      }
    }
  } else if (row.direction === 'outbound') {
    const applied = outboundTurn(turn, numberRow?.settings.recording.outbound.auto_start ?? false)
    if (!applied) return null
    detail = applied.detail
    timerSec = applied.timerSec
  } else {
    if (!config) {
      // The number was released while the call waited: nothing left to route it with.
      state = { ...before, phase: 'ended', outcome: before.outcome ?? 'abandoned', ringing: [] }
      instruction = { action: 'hangup' }
    } else {
      const routingWorldNow: RoutingWorld = ringingAnswers
        ? { teams: world.teams, presence: new Map(), callerBlacklisted: false }
        : await routingWorld(tx, deps, row, world, now)
      for (const e of routingEventsOf(event, state)) {
        const decision = route(config, routingWorldNow, state, e, nowMs)
        state = decision.state
        if (decision.instruction.action !== 'none' || instruction.action === 'none') {
          instruction = decision.instruction
        }
      }
    }
    if (instruction.action === 'none' && JSON.stringify(state) === JSON.stringify(before)) {
      if (event.type !== 'start') return null
    }
    if (event.type === 'leg_declined' && before.ringing.includes(event.userId)) {
      events.push({ name: 'call.agent_declined', user: event.userId })
      stopReason = 'declined'
    }
    if (event.type === 'caller_hungup') stopReason = 'caller_hung_up'
    if (event.type === 'voicemail_left' && before.phase === 'voicemail') {
      // call.voicemail_left goes out with the file's link once it is stored (call-finalize.ts).
      next.voicemailDurationSec = Math.min(event.durationSec, VOICEMAIL_MAX_SEC)
    }
    if (state.ivrKeys.length > before.ivrKeys.length) events.push({ name: 'call.ivr_option_selected' })

    switch (instruction.action) {
      case 'reject':
        effects.commands.push({ verb: 'reject', reason: instruction.reason })
        break
      case 'play':
        effects.commands.push({ verb: 'play', prompt: instruction.prompt })
        timerSec = promptSec(instruction.prompt, world)
        break
      case 'gather':
        effects.commands.push({
          verb: 'gather',
          prompt: instruction.prompt,
          timeoutSec: instruction.timeoutSec,
        })
        timerSec = promptSec(instruction.prompt, world) + instruction.timeoutSec
        break
      case 'ring':
        timerSec = instruction.timeoutSec
        break
      case 'wait':
        effects.commands.push({ verb: 'hold', music: config?.holdMusic ?? DEFAULT_HOLD_MUSIC })
        timerSec = instruction.timeoutSec
        break
      case 'voicemail':
        effects.commands.push({ verb: 'voicemail', maxLengthSec: VOICEMAIL_MAX_SEC })
        timerSec = VOICEMAIL_MAX_SEC
        break
      case 'transfer_external':
        effects.commands.push({ verb: 'dial_out', e164: instruction.e164 })
        if (event.type === 'transfer') {
          // Sent away through the Calls API before anyone answered (Aircall's external transfer).
          next.transferredBy = event.byUserId
          next.transferredTo = null
          events.push({
            name: 'call.external_transferred',
            extra: { external_transferred_to: instruction.e164, external_caller_number: row.externalNumber },
          })
        }
        break
      case 'connect':
        stopReason = 'answered_elsewhere'
        next.status = 'answered'
        next.answeredAt = now
        next.userId = instruction.userId
        effects.commands.push({ verb: 'bridge', userId: instruction.userId })
        if (numberRow?.settings.recording.inbound.auto_start) {
          next.recordingState = 'on'
          effects.commands.push({ verb: 'record', action: 'start' })
        }
        events.push({ name: 'call.answered' })
        break
      case 'hangup':
      case 'transfer_number':
        effects.commands.push({ verb: 'hangup' })
        break
      case 'none':
        break
    }

    // Who rings now, and who stopped.
    const rungNow = state.ringing.filter((id) => !before.ringing.includes(id))
    const stopped = before.ringing.filter((id) => !state.ringing.includes(id))
    const step = state.steps[state.stepIndex]
    if (state.phase === 'distribution' && step?.kind === 'team') next.teamId = step.teamId
    else if (state.phase === 'distribution' && step?.kind === 'user') next.teamId = null
    if (stopped.length > 0) {
      const answerer = instruction.action === 'connect' ? instruction.userId : null
      const cancelled = stopped.filter((id) => id !== answerer)
      if (cancelled.length > 0) effects.commands.push({ verb: 'cancel_legs', userIds: cancelled })
      for (const id of cancelled) {
        effects.messages.push({
          userIds: [id],
          message: {
            type: 'call.ring_stopped',
            call_id: row.id,
            reason: event.type === 'leg_declined' && id === event.userId ? 'declined' : stopReason,
          },
        })
      }
    }
    if (rungNow.length > 0 && instruction.action === 'ring') {
      effects.commands.push({ verb: 'ring_agents', userIds: rungNow, timeoutSec: instruction.timeoutSec })
      for (const id of rungNow) events.push({ name: 'call.ringing_on_agent', user: id })
    }

    if (state.phase === 'ended' && state.outcome !== 'answered') {
      next.status = 'done'
      next.endedAt = now
      next.missedCallReason = state.missedReason
      events.push({ name: 'call.hungup' })
      effects.jobs.push(...finalizeJobs(row.id))
    }
    if (state.outcome === 'answered') next.missedCallReason = null
    next.state = state as unknown as Record<string, unknown>
    next.ringing = state.ringing

    const messagesRow = { ...row, ...next } as CallRow
    if (rungNow.length > 0 && instruction.action === 'ring') {
      effects.messages.push({
        userIds: rungNow,
        message: { type: 'call.ringing', call: agentCall(messagesRow, refs, 'ringing') },
      })
      // The cards an integration posted while the call rang on others, or waited.
      for (const message of insightCardFrames(row)) effects.messages.push({ userIds: rungNow, message })
    }
    if (instruction.action === 'connect') {
      effects.messages.push({
        userIds: [instruction.userId],
        message: { type: 'call.answered', call: agentCall(messagesRow, refs, 'answered') },
      })
    }
  }

  const version = row.version + 1
  if (next.status === 'done' || next.status === 'answered') {
    next.timerAt = null
    next.timerVersion = null
  } else if (timerSec !== null) {
    next.timerAt = new Date(nowMs + timerSec * 1000)
    next.timerVersion = version
    effects.jobs.push(
      ...newJobs(callTimerJob, [
        {
          data: { callId: row.id, version },
          delayMs: timerSec * 1000,
          jobKey: callTimerKey(row.id, version),
        },
      ]),
    )
  }
  next.version = version
  await addForwardLegs(tx, row, world.users, effects.commands)

  // The row as the update leaves it (the row is locked, and no column changes by itself): the
  // event's writes go out together, as one statement (db/write-batch.ts).
  let call = { ...row, ...next } as CallRow
  const batch = writeBatch(tx)
  const recorded: Promise<unknown>[] = [
    updateCall(batch.db, row.id, next),
    insertTimelineRow(batch.db, {
      callId: call.id,
      seq: version,
      companyId: call.companyId,
      at: now,
      type: event.type,
      data: {
        ...timelineData(event, detail ?? instruction, call, before),
        ...forwardedTimeline(effects.commands),
      },
    }),
    recordEvents(
      batch.db,
      deps.clock,
      call.companyId,
      events.map((e) => ({
        event: e.name,
        data: { ...callWebhookData(call, refs, e.user === undefined ? call.userId : e.user), ...e.extra },
      })),
    ),
  ]
  /** Writes that read first (the wrap-up's user row): on the transaction itself, meanwhile. */
  const direct: Promise<unknown>[] = []
  if (next.status === 'done' && row.userId !== null) {
    // The agent on the call starts their wrap-up (user.wut_start now, user.wut_end by a job).
    const wrapUpSec = world.users.find((u) => u.id === row.userId)?.wrapUpTime ?? 0
    const wrapUp = startWrapUp(tx, deps, call, row.userId, wrapUpSec)
    effects.jobs.push(...wrapUp.jobs)
    direct.push(wrapUp.recorded)
  }
  const callbackNow = state.outcome === 'callback' && before.outcome !== 'callback'
  // The timer the call had no longer counts (it would fire, find another version and do
  // nothing): withdrawn, so that it costs nothing. The one firing now has started already.
  if (
    next.timerVersion !== undefined &&
    row.timerVersion !== null &&
    row.timerAt !== null &&
    event.type !== 'timer'
  ) {
    const key = callTimerKey(row.id, row.timerVersion)
    if (deps.queue.kind === 'embedded')
      recorded.push(deps.queue.cancel(callTimerJob.queue, key, { tx: batch.db }))
    else effects.cancelTimer = key
  }
  if (!callbackNow && effects.jobs.length > 0 && deps.queue.kind === 'embedded') {
    // The embedded queue lives in this database: the timer exists exactly when the state does.
    recorded.push(deps.queue.addBulk(effects.jobs, { tx: batch.db }))
  }
  await Promise.all(recorded)
  // The transaction's last write, but for a callback request's below: its COMMIT follows at once.
  await Promise.all([batch.runLast(), ...direct])
  if (callbackNow) {
    // The caller pressed * while waiting: tagged Callback Request, a task for the agents.
    const requested = await requestCallback(tx, deps, call)
    call = requested.call
    const agents = numberAgents(config, world.teams)
    if (requested.task && agents.length > 0)
      effects.messages.push({
        userIds: agents,
        message: { type: 'callback_task.created', task: requested.task },
      })
    if (effects.jobs.length > 0 && deps.queue.kind === 'embedded')
      await deps.queue.addBulk(effects.jobs, { tx })
  }
  return call
}

function timelineData(
  event: EngineEvent | { type: 'start' },
  instruction: Instruction | Record<string, unknown>,
  call: CallRow,
  before: CallState,
): Record<string, unknown> {
  const state = call.state as unknown as CallState
  const { type: _type, ...detail } = event
  return {
    ...detail,
    instruction,
    phase: state.phase,
    previous_phase: before.phase,
    status: call.status,
    ringing: call.ringing,
    ...(state.outcome ? { outcome: state.outcome } : {}),
    ...(call.missedCallReason ? { missed_call_reason: call.missedCallReason } : {}),
  }
}

/** What a branch of applyInTx works with: it adds to `effects`, `events` and `next`. */
type Turn = {
  tx: Tx
  deps: EngineDeps
  row: CallRow
  world: CallWorld
  refs: CallRefs
  now: Date
  event: EngineEvent | { type: 'start' }
  effects: Effects
  events: { name: EventName; user?: number | null; extra?: Record<string, unknown> }[]
  next: Partial<CallRow>
}
type TurnResult = { detail: Record<string, unknown>; timerSec: number | null } | null

/** The transfer ringing on a connected call, if any (kept in the call's state). */
function transferOf(row: CallRow): TransferState | null {
  return ((row.state as { transfer?: TransferState | null }).transfer ?? null) as TransferState | null
}

function withTransfer(row: CallRow, transfer: TransferState | null): Record<string, unknown> {
  return { ...row.state, transfer }
}

/**
 * A transfer is asked of a connected call that has an agent on it and no transfer ringing yet;
 * an agent may only transfer the call they are on. An inbound call nobody answered yet may only
 * go to an outside number, while the caller waits (Aircall: external transfers work for inbound
 * calls not answered yet). (Checked with the call locked.)
 */
function assertTransferable(row: CallRow, event: { byUserId: number | null; target: TransferTarget }): void {
  if (row.status === 'initial' && row.direction === 'inbound' && event.byUserId === null) {
    if (event.target.type !== 'number') {
      throw new DomainError(
        'not_allowed',
        'A call nobody answered yet can only be transferred to an outside number',
      )
    }
    if (!canTransferUnanswered(row.state as unknown as CallState)) {
      throw new DomainError('not_allowed', 'The caller is no longer waiting: the call cannot be transferred')
    }
    return
  }
  if (row.status !== 'answered' || row.userId === null) {
    throw new DomainError('not_allowed', 'Only a call an agent is on can be transferred')
  }
  if (event.byUserId !== null && event.byUserId !== row.userId) {
    throw new DomainError('not_allowed', 'You are not on this call')
  }
  if (transferOf(row)) throw new DomainError('not_allowed', 'A transfer of this call is already ringing')
  if (event.target.type === 'user' && event.target.userId === row.userId) {
    throw new DomainError('bad_request', 'user_id: is the agent already on the call', { field: 'user_id' })
  }
}

/** Events of a connected call that belong to its transfer (the rest: hang-ups, as before). */
function isTransferTurn(
  row: CallRow,
  transfer: TransferState | null,
  event: EngineEvent | { type: 'start' },
): boolean {
  if (event.type === 'transfer') return true
  if (!transfer) return false
  switch (event.type) {
    case 'leg_answered':
    case 'leg_declined':
    case 'leg_no_answer':
    case 'timer':
    case 'dial_result':
      return true
    case 'agent_hungup':
      // The transferring agent hangs up while it rings: they leave, the transfer goes on.
      return transfer.fromUserId !== null && event.userId === row.userId
    default:
      return false
  }
}

function transferEventOf(event: EngineEvent | { type: 'start' }): TransferEvent | null {
  switch (event.type) {
    case 'leg_answered':
      return { type: 'answered', userId: event.userId }
    case 'leg_declined':
      return { type: 'declined', userId: event.userId }
    case 'leg_no_answer':
      return { type: 'no_answer', userId: event.userId }
    case 'timer':
      return { type: 'timeout' }
    case 'dial_result':
      return event
    default:
      return null
  }
}

type RingStopReason = 'answered_elsewhere' | 'caller_hung_up' | 'timeout' | 'declined' | 'transferred'

/** Stops these transfer legs and tells their agents why. */
function stopLegs(turn: Turn, legs: number[], reasonOf: (userId: number) => RingStopReason): void {
  if (legs.length === 0) return
  turn.effects.commands.push({ verb: 'cancel_legs', userIds: legs })
  for (const id of legs) {
    turn.effects.messages.push({
      userIds: [id],
      message: { type: 'call.ring_stopped', call_id: turn.row.id, reason: reasonOf(id) },
    })
  }
}

/** The call ends while its transfer rings: those legs stop. */
function stopTransferLegs(turn: Turn, transfer: TransferState): void {
  stopLegs(turn, transferRinging(transfer), () => 'caller_hung_up')
  turn.next.ringing = []
}

/**
 * The agent who handed the call over starts their wrap-up (wrap-up.ts); waiting calls look
 * again once it is over.
 */
async function handOver(turn: Turn, userId: number): Promise<NewJob[]> {
  const wrapUpSec = turn.world.users.find((u) => u.id === userId)?.wrapUpTime ?? 0
  const jobs = await startHandoverWrapUp(turn.tx, turn.deps, turn.row, userId, wrapUpSec, turn.now)
  if (jobs.length === 0) return jobs
  return [
    ...jobs,
    ...newJobs(waitingCallsJob, [
      {
        data: { companyId: turn.row.companyId },
        delayMs: wrapUpSec * 1000,
        jobKey: `call:${turn.row.id}:wrap-up-over:u${userId}`,
      },
    ]),
  ]
}

/** Agents freed by a transfer may take the calls waiting for someone. */
function nudgeAfterTransfer(turn: Turn, version: number): void {
  lookAgainAfter(turn.effects, turn.row.companyId, 0, `call:${turn.row.id}:transfer:v${version}`)
}

/**
 * One step of a transfer of a connected call (telephony/transfer.ts): asked, a leg rings,
 * answers, declines or rings out, the outside number answers or not, the transferring agent
 * leaves. Returns null when the event changes nothing.
 */
async function transferTurn(turn: Turn, pending: TransferState | null): Promise<TurnResult> {
  const { row, event, effects, events, next, refs, now } = turn
  const nowMs = now.getTime()
  const version = row.version + 1
  const agentMessage = (userIds: number[], message: ServerMessage) => {
    if (userIds.length > 0) effects.messages.push({ userIds, message })
  }

  if (event.type === 'agent_hungup' && pending) {
    // Blind transfer: the agent may hang up once it rings; if nobody answers, the call ends.
    const left: TransferState = { ...pending, fromUserId: null }
    next.userId = null
    next.state = withTransfer(row, left)
    agentMessage([event.userId], {
      type: 'call.ended',
      call: agentCall({ ...row, ...next } as CallRow, refs, 'done'),
    })
    effects.jobs.push(...(await handOver(turn, event.userId)))
    nudgeAfterTransfer(turn, version)
    return { detail: { transfer: 'agent_left', by: event.userId }, timerSec: null }
  }

  let transfer: TransferState
  let step: TransferStep
  const world = await routingWorld(turn.tx, turn.deps, row, turn.world, now)
  if (event.type === 'transfer') {
    const seed = (row.state as { seed?: number }).seed ?? nowMs
    ;({ state: transfer, step } = startTransfer(
      { target: event.target, fromUserId: row.userId!, numberId: row.numberId, seed: seed ^ version },
      world,
      nowMs,
    ))
    // The caller waits with the number's music while the target rings (admin guide: the hold
    // music is also the transfer music).
    effects.commands.push({
      verb: 'hold',
      music: turn.world.configs.get(row.numberId)?.holdMusic ?? DEFAULT_HOLD_MUSIC,
    })
  } else {
    const e = transferEventOf(event)
    if (!pending || !e) return null
    ;({ state: transfer, step } = continueTransfer(pending, row.numberId, world, e, nowMs))
  }
  const before = transferRinging(pending)
  const ringingNow = transferRinging(transfer)
  const detail = {
    transfer: transfer.target,
    step: step.kind,
    ...('reason' in step ? { reason: step.reason } : {}),
  }
  const declinedBy = event.type === 'leg_declined' ? event.userId : null
  if (declinedBy !== null && before.includes(declinedBy)) {
    events.push({ name: 'call.agent_declined', user: declinedBy })
  }

  const resolved = step.kind === 'connected' || step.kind === 'failed'
  if (!resolved) {
    if (step.kind === 'none' && JSON.stringify(transfer) === JSON.stringify(pending)) return null
    // Legs that stopped ringing (declined, rang out) while the transfer goes on.
    stopLegs(
      turn,
      before.filter((id) => !ringingNow.includes(id)),
      (id) => (id === declinedBy ? 'declined' : 'timeout'),
    )
    const rungNow = ringingNow.filter((id) => !before.includes(id))
    next.state = withTransfer(row, transfer)
    next.ringing = ringingNow
    if (step.kind === 'ring' && rungNow.length > 0) {
      effects.commands.push({ verb: 'ring_agents', userIds: rungNow, timeoutSec: step.timeoutSec })
      for (const id of rungNow) events.push({ name: 'call.ringing_on_agent', user: id })
      agentMessage(rungNow, {
        type: 'call.ringing',
        call: agentCall({ ...row, ...next } as CallRow, refs, 'ringing'),
      })
      for (const message of insightCardFrames(row)) agentMessage(rungNow, message)
    }
    if (step.kind === 'dial') {
      effects.commands.push({
        verb: 'dial_out',
        e164: step.e164,
        callerId: refs.number?.e164,
        timeoutSec: step.timeoutSec,
      })
    }
    const timerSec =
      step.kind === 'ring' || step.kind === 'wait' || step.kind === 'dial' ? step.timeoutSec : null
    return { detail, timerSec }
  }

  // The transfer is over, one way or the other: no transfer timer any more.
  next.state = withTransfer(row, null)
  next.ringing = []
  next.timerAt = null
  next.timerVersion = null
  const from = transfer.fromUserId
  if (step.kind === 'connected') {
    if (step.userId !== null) {
      const to = step.userId
      stopLegs(
        turn,
        before.filter((id) => id !== to),
        () => 'answered_elsewhere',
      )
      effects.commands.push({ verb: 'bridge', userId: to })
      next.userId = to
      next.transferredBy = transfer.byUserId
      next.transferredTo = to
      events.push({ name: 'call.transferred' })
      agentMessage([to], {
        type: 'call.answered',
        call: agentCall({ ...row, ...next } as CallRow, refs, 'answered'),
      })
    } else {
      const e164 = transfer.target.type === 'number' ? transfer.target.e164 : ''
      // The carrier bridged the caller with the outside number: no agent of the company is on it.
      next.userId = null
      next.transferredBy = transfer.byUserId
      next.transferredTo = null
      events.push({
        name: 'call.external_transferred',
        extra: { external_transferred_to: e164, external_caller_number: row.externalNumber },
      })
    }
    if (from !== null) {
      agentMessage([from], {
        type: 'call.transferred',
        call_id: row.id,
        to:
          transfer.target.type === 'user'
            ? { user_id: step.userId, team_id: null, number: null }
            : transfer.target.type === 'team'
              ? { user_id: step.userId, team_id: transfer.target.teamId, number: null }
              : { user_id: null, team_id: null, number: transfer.target.e164 },
      })
      effects.jobs.push(...(await handOver(turn, from)))
      nudgeAfterTransfer(turn, version)
    }
    return { detail: { ...detail, answered_by: step.userId }, timerSec: null }
  }

  // Unsuccessful: the legs stop, the call comes back to the agent who transferred it.
  const reason = step.kind === 'failed' ? step.reason : 'failed'
  stopLegs(turn, before, (id) => (id === declinedBy ? 'declined' : 'timeout'))
  events.push({ name: 'call.unsuccessful_transfer' })
  if (from !== null) {
    effects.commands.push({ verb: 'bridge', userId: from })
    agentMessage([from], { type: 'call.transfer_failed', call_id: row.id, reason })
    return { detail: { ...detail, back_to: from }, timerSec: null }
  }
  // Nobody to come back to: the call ends.
  next.status = 'done'
  next.endedAt = now
  effects.commands.push({ verb: 'hangup' })
  events.push({ name: 'call.hungup' })
  effects.jobs.push(...finalizeJobs(row.id))
  return { detail: { ...detail, back_to: null }, timerSec: null }
}

function outboundEventOf(event: EngineEvent | { type: 'start' }): OutboundEvent | null {
  switch (event.type) {
    case 'start':
      return event
    case 'leg_answered':
      return { type: 'agent_answered', userId: event.userId }
    case 'leg_declined':
      return { type: 'agent_declined', userId: event.userId }
    case 'leg_no_answer':
      return { type: 'agent_no_answer', userId: event.userId }
    case 'agent_hungup':
      return event
    case 'dial_result':
      return event
    case 'caller_hungup':
      return { type: 'callee_hungup' }
    case 'timer':
      return { type: 'timeout' }
    default:
      return null
  }
}

/**
 * One step of an outbound call before it is answered (telephony/outbound.ts): the agent's
 * device rings, the customer leg is dialled with the number as caller ID, the person called
 * answers (call.answered) or not (done). Returns null when the event changes nothing.
 */
function outboundTurn(turn: Turn, autoRecord: boolean): TurnResult {
  const { row, event, effects, events, next, refs, now } = turn
  const before = row.state
  if (!isOutboundState(before)) return null
  const e = outboundEventOf(event)
  if (!e) return null
  const { state, instruction } = stepOutbound(before, e)
  if (instruction.action === 'none') return null
  next.state = state as unknown as Record<string, unknown>
  next.ringing = state.ringing
  const agent = state.agentId
  const messagesRow = () => ({ ...row, ...next }) as CallRow
  let timerSec: number | null = null
  switch (instruction.action) {
    case 'ring_agent':
      effects.commands.push({ verb: 'ring_agents', userIds: [agent], timeoutSec: instruction.timeoutSec })
      effects.messages.push({
        userIds: [agent],
        message: { type: 'call.ringing', call: agentCall(messagesRow(), refs, 'ringing') },
      })
      timerSec = instruction.timeoutSec
      break
    case 'dial':
      effects.commands.push({
        verb: 'dial_out',
        e164: instruction.e164,
        callerId: refs.number?.e164,
        timeoutSec: instruction.timeoutSec,
      })
      timerSec = instruction.timeoutSec
      break
    case 'connect':
      next.status = 'answered'
      next.answeredAt = now
      effects.commands.push({ verb: 'bridge', userId: agent })
      if (autoRecord) {
        next.recordingState = 'on'
        effects.commands.push({ verb: 'record', action: 'start' })
      }
      events.push({ name: 'call.answered' })
      effects.messages.push({
        userIds: [agent],
        message: { type: 'call.answered', call: agentCall(messagesRow(), refs, 'answered') },
      })
      break
    case 'hangup': {
      if (instruction.stopRinging) {
        effects.commands.push({ verb: 'cancel_legs', userIds: [agent] })
        const declined = e.type === 'agent_declined' || e.type === 'agent_hungup'
        effects.messages.push({
          userIds: [agent],
          message: { type: 'call.ring_stopped', call_id: row.id, reason: declined ? 'declined' : 'timeout' },
        })
      }
      next.status = 'done'
      next.endedAt = now
      effects.commands.push({ verb: 'hangup' })
      events.push({ name: 'call.hungup' })
      effects.jobs.push(...finalizeJobs(row.id))
      effects.messages.push({
        userIds: [agent],
        message: { type: 'call.ended', call: agentCall(messagesRow(), refs, 'done') },
      })
      // The agent's wrap-up starts now; waiting calls look again when it is over.
      const wrapUpSec = turn.world.users.find((u) => u.id === agent)?.wrapUpTime ?? 0
      lookAgainAfter(effects, row.companyId, wrapUpSec, `call:${row.id}:wrap-up-over`)
      break
    }
  }
  return { detail: { outbound: instruction, outcome: state.outcome }, timerSec }
}
