import type { ServerMessage } from '@switchboard/shared'
import { and, eq, isNotNull, isNull, sql } from 'drizzle-orm'
import { z } from 'zod'
import type { BlobStore } from '../../blobs/blob-store.ts'
import type { Clock } from '../../core/clock.ts'
import { notFound } from '../../core/errors.ts'
import type { Logger } from '../../core/logger.ts'
import type { Database, Tx } from '../../db/client.ts'
import { callEvents, calls, numbers, sandboxDevices } from '../../db/schema/index.ts'
import type { Env } from '../../env.ts'
import { type EventName, recordEvent } from '../../events/outbox.ts'
import { defineJob, newJobs } from '../../jobs/job-definition.ts'
import type { JobQueue, NewJob } from '../../jobs/queue.ts'
import type { CallCommand, CallControl, CarrierEvent } from '../carrier/call-control.ts'
import { initialCallState, route } from '../router.ts'
import type {
  AgentPresence,
  CallState,
  Instruction,
  Prompt,
  RoutingConfig,
  RoutingEvent,
  RoutingWorld,
} from '../routing-types.ts'
import { type CallWorld, loadCallWorld, settingAvailability } from '../routing-world.ts'
import { engineAssetSigner, finalizeJobs } from './call-finalize.ts'
import { agentCall, type CallRefs, type CallRow, callWebhookData, eventBase } from './call-object.ts'
import { loadLiveStates } from './live-state.ts'
import type { AgentChannel, PresenceDirectory } from './ports.ts'

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
  callControl: CallControl
  agentChannel: AgentChannel
  presence: PresenceDirectory
}

export type EngineEvent =
  | CarrierEvent
  | { type: 'timer'; version: number }
  /** Agents may have become routable (connected, tagged, wrap-up over): waiting calls look again. */
  | { type: 'presence_changed' }

/** How long a voicemail may last before the recording stops (Twilio <Record maxLength>). */
export const VOICEMAIL_MAX_SEC = 120
const TTS_CHARS_PER_SEC = 15
const MIN_PROMPT_SEC = 2
const UNKNOWN_AUDIO_SEC = 10

type Effects = {
  commands: CallCommand[]
  messages: { userIds: number[]; message: ServerMessage }[]
  jobs: NewJob[]
}

export type ApplyResult = { applied: boolean; call: CallRow | null }

export const callTimerJob = defineJob({
  queue: 'calls',
  name: 'call-timer',
  schema: z.object({ callId: z.number().int().positive(), version: z.number().int().nonnegative() }),
  tries: 5,
  backoffMs: 500,
  concurrency: 8,
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
  const waiting = await deps.db
    .select({ id: calls.id })
    .from(calls)
    .where(
      and(
        eq(calls.companyId, companyId),
        isNull(calls.endedAt),
        eq(calls.status, 'initial'),
        sql`cardinality(${calls.ringing}) = 0`,
        sql`${calls.state}->>'phase' = 'distribution'`,
      ),
    )
    .orderBy(calls.startedAt)
  // Oldest first: the caller who waited longest gets the agent.
  for (const call of waiting) await applyCallEvent(deps, call.id, { type: 'presence_changed' })
}

export { eventBase }

/**
 * A call arrives at a number: creates it and applies its start in one transaction
 * (call.created, then whatever the router decides first).
 */
export async function startInboundCall(
  deps: EngineDeps,
  input: { companyId: number; numberId: number; from: string; rawDigits: string; carrierRef?: string },
): Promise<CallRow> {
  const effects: Effects = { commands: [], messages: [], jobs: [] }
  const now = deps.clock.now()
  const row = await deps.db.transaction(async (tx) => {
    const [created] = await tx
      .insert(calls)
      .values({
        companyId: input.companyId,
        numberId: input.numberId,
        direction: 'inbound',
        status: 'initial',
        externalNumber: input.from,
        rawDigits: input.rawDigits,
        startedAt: now,
        state: initialCallState(now.getTime(), Math.floor(Math.random() * 2 ** 32)),
        version: 0,
        carrierRef: input.carrierRef ?? null,
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
 * company): another company's call is not found.
 */
export async function applyCallEvent(
  deps: EngineDeps,
  callId: number,
  event: EngineEvent,
  companyId?: number,
): Promise<ApplyResult> {
  const effects: Effects = { commands: [], messages: [], jobs: [] }
  const outcome = await deps.db.transaction(async (tx) => {
    const [row] = await tx
      .select()
      .from(calls)
      .where(and(eq(calls.id, callId), companyId === undefined ? undefined : eq(calls.companyId, companyId)))
      .for('update')
    if (!row) return { found: false as const }
    const updated = await applyInTx(tx, deps, row, event, effects)
    return { found: true as const, row: updated ?? row, applied: updated !== null }
  })
  if (!outcome.found) {
    if (companyId !== undefined) throw notFound('Call not found')
    return { applied: false, call: null }
  }
  if (outcome.applied) await runEffects(deps, outcome.row, effects)
  return { applied: outcome.applied, call: outcome.row }
}

/** Re-arms the timers of calls in progress (a restart, or a queue add lost in a crash). */
export async function rearmCallTimers(deps: Pick<EngineDeps, 'db' | 'queue' | 'clock'>): Promise<number> {
  const rows = await deps.db
    .select({ id: calls.id, timerAt: calls.timerAt, timerVersion: calls.timerVersion })
    .from(calls)
    .where(and(isNull(calls.endedAt), isNotNull(calls.timerAt)))
  if (rows.length === 0) return 0
  const now = deps.clock.now().getTime()
  // Job keys make this harmless for timers still queued: only lost ones are added.
  await deps.queue.addBulk(
    newJobs(
      callTimerJob,
      rows.map((r) => ({
        data: { callId: r.id, version: r.timerVersion ?? 0 },
        delayMs: Math.max(0, r.timerAt!.getTime() - now),
        jobKey: `call:${r.id}:v${r.timerVersion ?? 0}`,
      })),
    ),
  )
  return rows.length
}

async function runEffects(deps: EngineDeps, row: CallRow, effects: Effects): Promise<void> {
  if (effects.jobs.length > 0 && deps.queue.kind !== 'embedded') {
    // Outside the database: added once the change is committed. A crash in between loses the
    // add; rearmCallTimers at the next start recovers it from timer_at.
    await deps.queue.addBulk(effects.jobs).catch((err: unknown) => {
      deps.logger.error({ err, callId: row.id }, 'calls: could not queue the call timer')
    })
  }
  if (effects.commands.length > 0) {
    await deps.callControl.execute(
      { id: row.id, companyId: row.companyId, carrierRef: row.carrierRef, version: row.version },
      effects.commands,
    )
  }
  for (const m of effects.messages) {
    if (m.userIds.length === 0) continue
    try {
      deps.agentChannel.send(row.companyId, m.userIds, m.message)
    } catch (err) {
      deps.logger.warn({ err, callId: row.id }, 'calls: agent channel refused a message')
    }
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
  const [online, devices, live] = await Promise.all([
    deps.presence.onlineUsers(row.companyId),
    tx
      .select({ userId: sandboxDevices.userId })
      .from(sandboxDevices)
      .where(eq(sandboxDevices.companyId, row.companyId)),
    loadLiveStates(
      tx,
      row.companyId,
      now.getTime(),
      new Map(world.users.map((u) => [u.id, u.wrapUpTime])),
      row.id,
    ),
  ])
  const simulated = new Set(devices.map((d) => d.userId))
  const presence = new Map<number, AgentPresence>()
  for (const u of world.users) {
    const setting = settingAvailability(u, now)
    const isOnline = online.has(u.id) || simulated.has(u.id)
    const declared: AgentPresence['declared'] = !isOnline
      ? 'offline'
      : u.presence === 'do_not_disturb' || setting === 'unavailable'
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
): Promise<CallRow | null> {
  if (row.status === 'done') return null
  if (event.type === 'timer' && (row.timerVersion !== event.version || row.timerAt === null)) return null
  const now = deps.clock.now()
  const nowMs = now.getTime()
  const [world, numberSettings] = await Promise.all([
    loadCallWorld(tx, row.companyId, row.externalNumber),
    tx
      .select({ settings: numbers.settings, country: numbers.country, timeZone: numbers.timeZone })
      .from(numbers)
      .where(and(eq(numbers.id, row.numberId), eq(numbers.companyId, row.companyId)))
      .then((r) => r[0]),
  ])
  const numberRow = world.numbers.get(row.numberId)
  const config: RoutingConfig | undefined = world.configs.get(row.numberId)
  const base = eventBase(deps.env)
  const refs: CallRefs = {
    base,
    number:
      numberRow && numberSettings
        ? {
            id: row.numberId,
            name: numberRow.name,
            e164: numberRow.e164,
            country: numberSettings.country,
            timeZone: numberSettings.timeZone,
            isIvr: config?.isIvr ?? false,
          }
        : null,
    users: new Map(
      world.users.map((u) => [u.id, { name: `${u.firstName} ${u.lastName}`.trim(), email: u.email }]),
    ),
    teams: world.teamNames,
    tagRequired: numberSettings?.settings.mandatory_tagging ?? false,
    assetUrl: engineAssetSigner(deps, base),
  }

  const events: { name: EventName; user?: number | null }[] = []
  const before = row.state as unknown as CallState
  let state = before
  let instruction: Instruction = { action: 'none' }
  const next: Partial<CallRow> = {}
  let timerSec: number | null = null
  let stopReason: 'answered_elsewhere' | 'caller_hung_up' | 'timeout' | 'declined' = 'timeout'

  if (event.type === 'start') events.push({ name: 'call.created' })

  if (row.status === 'answered') {
    // Connected: only a hang-up, by either side, changes anything now.
    const agentLeft = event.type === 'agent_hungup' && event.userId === row.userId
    if (!agentLeft && event.type !== 'caller_hungup') return null
    next.status = 'done'
    next.endedAt = now
    effects.commands.push({ verb: 'hangup' })
    // call.ended follows once the recording is stored (call-finalize.ts).
    events.push({ name: 'call.hungup' })
    effects.jobs.push(...finalizeJobs(row.id))
    if (row.userId !== null) {
      // The agent is routable again once their wrap-up is over: waiting calls look then.
      const wrapUpSec = world.users.find((u) => u.id === row.userId)?.wrapUpTime ?? 0
      effects.jobs.push(
        ...newJobs(waitingCallsJob, [
          {
            data: { companyId: row.companyId },
            delayMs: wrapUpSec * 1000,
            jobKey: `call:${row.id}:wrap-up-over`,
          },
        ]),
      )
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
  } else {
    if (!config) {
      // The number was released while the call waited: nothing left to route it with.
      state = { ...before, phase: 'ended', outcome: before.outcome ?? 'abandoned', ringing: [] }
      instruction = { action: 'hangup' }
    } else {
      const routingWorldNow = await routingWorld(tx, deps, row, world, now)
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
        effects.commands.push({ verb: 'hold' })
        timerSec = instruction.timeoutSec
        break
      case 'voicemail':
        effects.commands.push({ verb: 'voicemail', maxLengthSec: VOICEMAIL_MAX_SEC })
        timerSec = VOICEMAIL_MAX_SEC
        break
      case 'transfer_external':
        effects.commands.push({ verb: 'dial_out', e164: instruction.e164 })
        break
      case 'connect':
        stopReason = 'answered_elsewhere'
        next.status = 'answered'
        next.answeredAt = now
        next.userId = instruction.userId
        effects.commands.push({ verb: 'bridge', userId: instruction.userId })
        if (numberSettings?.settings.recording.inbound.auto_start) {
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
        { data: { callId: row.id, version }, delayMs: timerSec * 1000, jobKey: `call:${row.id}:v${version}` },
      ]),
    )
  }
  next.version = version

  const [updated] = await tx.update(calls).set(next).where(eq(calls.id, row.id)).returning()
  const call = updated!
  await tx.insert(callEvents).values({
    callId: call.id,
    seq: version,
    companyId: call.companyId,
    at: now,
    type: event.type,
    data: timelineData(event, instruction, call, before),
  })
  for (const e of events) {
    await recordEvent(
      tx,
      deps.clock,
      call.companyId,
      e.name,
      callWebhookData(call, refs, e.user === undefined ? call.userId : e.user),
    )
  }
  if (effects.jobs.length > 0 && deps.queue.kind === 'embedded') {
    // The embedded queue lives in this database: the timer exists exactly when the state does.
    await deps.queue.addBulk(effects.jobs, { tx })
  }
  return call
}

function timelineData(
  event: EngineEvent | { type: 'start' },
  instruction: Instruction,
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
