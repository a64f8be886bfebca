import { and, eq, gt, isNotNull, isNull, sql } from 'drizzle-orm'
import { z } from 'zod'
import type { Tx } from '../../db/client.ts'
import { callEvents, calls, handoverWrapUps, users } from '../../db/schema/index.ts'
import { defineJob, newJobs } from '../../jobs/job-definition.ts'
import type { NewJob } from '../../jobs/queue.ts'
import { commitCallChange, lockCall } from './call-change.ts'
import type { EngineDeps } from './call-engine.ts'
import type { CallRow } from './call-object.ts'

/**
 * An agent's wrap-up time (Aircall's "WUT", the guide's after-call work): the seconds after a
 * call of theirs ends during which the router does not ring them (live-state.ts derives that
 * from the calls table). Here, its two events, Aircall's `user.wut_start` / `user.wut_end`,
 * with the User object as data:
 * - `user.wut_start` is recorded in the transaction of the hang-up that ends the agent's call,
 *   when their wrap_up_time is above 0 — the same calls that make live-state.ts put them in
 *   after-call work (a call that ends with an agent on it, outbound ones included);
 * - `user.wut_end` by a delayed job keyed by the call, wrap_up_time later, which writes the
 *   `wrap_up_ended` timeline row and the event in one transaction that locks the call: once
 *   per call, however often the job runs. Each wut_start has exactly one wut_end, even when
 *   the agent takes another call meanwhile.
 * The wrap-up time is the one the user had when the call ended.
 */

/** The timeline row's type that marks a wrap-up over. */
export const WRAP_UP_ENDED = 'wrap_up_ended'

export const wrapUpEndJob = defineJob({
  queue: 'calls',
  name: 'wrap-up-end',
  schema: z.object({
    callId: z.number().int().positive(),
    userId: z.number().int().positive(),
    /** The wrap-up of an agent who handed the call over, not of the one on it at its end. */
    handover: z.boolean().optional(),
  }),
  tries: 5,
  backoffMs: 500,
  handle: async (deps: EngineDeps, data) => {
    if (data.handover) await endHandoverWrapUp(deps, data.callId, data.userId)
    else await endWrapUp(deps, data.callId, data.userId)
  },
})

/**
 * In the transaction where `userId` hands the live call over (the transfer was taken, or they
 * hung up while it rang): their wrap-up starts as if their call had ended — user.wut_start now,
 * after-call work for wrap_up_time (live-state.ts reads handover_wrap_ups), user.wut_end by a
 * job keyed by call and user. Once per call and agent.
 */
export async function startHandoverWrapUp(
  tx: Tx,
  deps: Pick<EngineDeps, 'userEvents'>,
  call: Pick<CallRow, 'id' | 'companyId'>,
  userId: number,
  wrapUpSec: number,
  now: Date,
): Promise<NewJob[]> {
  if (wrapUpSec <= 0) return []
  const made = await tx
    .insert(handoverWrapUps)
    .values({
      callId: call.id,
      userId,
      companyId: call.companyId,
      startedAt: now,
      until: new Date(now.getTime() + wrapUpSec * 1000),
    })
    .onConflictDoNothing()
    .returning({ userId: handoverWrapUps.userId })
  if (made.length === 0) return []
  await deps.userEvents.record(tx, call.companyId, userId, ['user.wut_start'])
  return wrapUpEndJobs(call.id, userId, wrapUpSec * 1000, true)
}

/** A handover's wrap-up is over: user.wut_end, once. */
export async function endHandoverWrapUp(deps: EngineDeps, callId: number, userId: number): Promise<void> {
  await deps.db.transaction(async (tx) => {
    const [ended] = await tx
      .update(handoverWrapUps)
      .set({ endedAt: deps.clock.now() })
      .where(
        and(
          eq(handoverWrapUps.callId, callId),
          eq(handoverWrapUps.userId, userId),
          isNull(handoverWrapUps.endedAt),
        ),
      )
      .returning({ companyId: handoverWrapUps.companyId })
    if (ended) await deps.userEvents.record(tx, ended.companyId, userId, ['user.wut_end'])
  })
}

/**
 * The job that ends a wrap-up: of the agent on the call at its end (one per call), or of an
 * agent who handed it over (one per call and agent).
 */
function wrapUpEndJobs(callId: number, userId: number, delayMs: number, handover = false): NewJob[] {
  return newJobs(wrapUpEndJob, [
    {
      data: handover ? { callId, userId, handover } : { callId, userId },
      delayMs: Math.max(0, delayMs),
      jobKey: handover ? `call:${callId}:wut-end:u${userId}` : `call:${callId}:wut-end`,
    },
  ])
}

/**
 * In the hang-up's transaction: the call ended with `userId` on it. Records user.wut_start
 * (`recorded`: the engine sends it along with the hang-up's other writes) and gives the job
 * that ends the wrap-up (for the engine to add with its other jobs); nothing when the user has
 * no wrap-up time.
 */
export function startWrapUp(
  tx: Tx,
  deps: Pick<EngineDeps, 'userEvents'>,
  call: Pick<CallRow, 'id' | 'companyId'>,
  userId: number,
  wrapUpSec: number,
): { jobs: NewJob[]; recorded: Promise<void> } {
  if (wrapUpSec <= 0) return { jobs: [], recorded: Promise.resolve() }
  return {
    jobs: wrapUpEndJobs(call.id, userId, wrapUpSec * 1000),
    recorded: deps.userEvents.record(tx, call.companyId, userId, ['user.wut_start']),
  }
}

/** The wrap-up after `callId` is over: the timeline row and user.wut_end, once. */
export async function endWrapUp(deps: EngineDeps, callId: number, userId: number): Promise<void> {
  await deps.db.transaction(async (tx) => {
    const [found] = await tx.select({ companyId: calls.companyId }).from(calls).where(eq(calls.id, callId))
    if (!found) return
    const row = await lockCall(tx, found.companyId, callId)
    const [done] = await tx
      .select({ seq: callEvents.seq })
      .from(callEvents)
      .where(and(eq(callEvents.callId, callId), eq(callEvents.type, WRAP_UP_ENDED)))
      .limit(1)
    if (done) return
    await commitCallChange(tx, deps, row, { type: WRAP_UP_ENDED, data: { userId } })
    await deps.userEvents.record(tx, row.companyId, userId, ['user.wut_end'])
  })
}

/** The longest wrap-up time a user may have (user-fields.ts MAX_WRAP_UP_SECONDS), plus a margin. */
const LOOK_BACK_MS = (300 + 60) * 1000

/**
 * Wrap-ups whose end job was lost (at scale the job is added after the hang-up's commit; a
 * crash in between loses it): queued again at a worker's start, due when the wrap-up ends.
 * Job keys make it a no-op for those still queued. Looks back as far as a wrap-up can last.
 */
export async function rearmWrapUps(deps: Pick<EngineDeps, 'db' | 'queue' | 'clock'>): Promise<number> {
  const now = deps.clock.now().getTime()
  const rows = await deps.db
    .select({ id: calls.id, userId: calls.userId, endedAt: calls.endedAt, wrapUpTime: users.wrapUpTime })
    .from(calls)
    .innerJoin(users, eq(users.id, calls.userId))
    .where(
      and(
        eq(calls.status, 'done'),
        isNotNull(calls.userId),
        gt(calls.endedAt, new Date(now - LOOK_BACK_MS)),
        gt(users.wrapUpTime, 0),
        sql`not exists (select 1 from ${callEvents} where ${callEvents.callId} = ${calls.id} and ${callEvents.type} = ${WRAP_UP_ENDED})`,
      ),
    )
  const handovers = await deps.db
    .select({ callId: handoverWrapUps.callId, userId: handoverWrapUps.userId, until: handoverWrapUps.until })
    .from(handoverWrapUps)
    .where(isNull(handoverWrapUps.endedAt))
  if (rows.length + handovers.length === 0) return 0
  await deps.queue.addBulk([
    ...rows.flatMap((r) => wrapUpEndJobs(r.id, r.userId!, r.endedAt!.getTime() + r.wrapUpTime * 1000 - now)),
    ...handovers.flatMap((h) => wrapUpEndJobs(h.callId, h.userId, h.until.getTime() - now, true)),
  ])
  return rows.length + handovers.length
}
