import { isValidTimeZone, localTime, zoneOffsetMs } from '@switchboard/shared'
import { and, eq, lt, sql } from 'drizzle-orm'
import { z } from 'zod'
import { dailySummaries, users } from '../../db/schema/index.ts'
import { defineJob, enqueue, newJobs } from '../../jobs/job-definition.ts'
import { dailySummaryMail } from '../../mail/templates.ts'
import { eventBase } from '../../telephony/engine/call-object.ts'
import type { HubDeps } from '../deps.ts'
import { callsToHandle } from './calls-to-handle.ts'

/**
 * The daily summary ("Résumé quotidien des appels à traiter"): every morning at 08:00 on their
 * own clock (the user's time zone), users whose `notification_prefs.daily_summary` is on get
 * the list of calls they still have to handle (calls-to-handle.ts), in their language; nothing
 * when the list is empty.
 *
 * Scheduling is one durable chain of tick jobs, one per quarter hour UTC (every time zone's
 * offset is a whole number of quarter hours, so 08:00 anywhere falls on a tick). Each tick
 * first queues the next one, then queues one summary job per user for whom it is between
 * 08:00 and noon and whose day has no summary yet, keyed by (user, local date). Ticks evaluate
 * at their own instant or later, so a tick that runs late (a hub down at 08:00 and back before
 * noon) still sends the morning's summary; after noon the day is skipped. Workers queue the
 * current quarter's tick when they start (job keys make it a no-op when it is known), which
 * starts the chain on a new hub and mends a broken one.
 *
 * Exactly once a day: the summary job first claims the user's local date in daily_summaries
 * (a conditional upsert: only one claim per date ever succeeds), then builds and sends the
 * mail. A failed send gives the claim back so the retry sends it; a worker that dies between
 * the claim and the send leaves the day claimed, and that day's mail is not sent rather than
 * risking it twice (its calls are in the next day's window). The window of the missed calls
 * and voicemails runs from the end of the previous summary (sent or empty), the last 24 hours
 * for a first one, and never more than a week.
 */

/** 08:00 on the user's wall clock, in minutes since midnight. */
const SUMMARY_MINUTE = 8 * 60
/** Until noon a late summary still goes out; later it would no longer be the morning's. */
const LATE_MINUTES = 4 * 60
const TICK_MS = 15 * 60 * 1000
const DAY_MS = 24 * 60 * 60 * 1000
const FIRST_WINDOW_MS = DAY_MS
const MAX_WINDOW_MS = 7 * DAY_MS
/** Calls the mail lists; beyond, it counts them ("…and N more") and links the call list. */
const SUMMARY_LIST_LIMIT = 50

type Deps = Pick<HubDeps, 'db' | 'queue' | 'clock' | 'mailer' | 'env' | 'logger'>

/** The API accepts IANA names only, but a row written otherwise must not stop everyone's tick. */
const zoneOf = (timeZone: string) => (isValidTimeZone(timeZone) ? timeZone : 'Etc/UTC')

/** The instant `minute` (since local midnight) of `date` (YYYY-MM-DD) happens in the zone. */
function localInstant(timeZone: string, date: string, minute: number): Date {
  const [year, month, day] = date.split('-').map(Number)
  const wall = Date.UTC(year!, month! - 1, day!, 0, minute)
  // Twice: the offset at the first guess may lie on the other side of a DST change.
  const guess = wall - zoneOffsetMs(timeZone, new Date(wall))
  return new Date(wall - zoneOffsetMs(timeZone, new Date(guess)))
}

const tickKey = (at: Date) => `daily-summary-tick:${at.toISOString()}`
const summaryJobKey = (userId: number, date: string) => `daily-summary:${userId}:${date}`

const quarterOf = (at: Date) => new Date(Math.floor(at.getTime() / TICK_MS) * TICK_MS)

async function addTick(deps: Pick<Deps, 'queue' | 'clock'>, at: Date) {
  await enqueue(
    deps.queue,
    dailySummaryTickJob,
    { at: at.toISOString() },
    { jobKey: tickKey(at), delayMs: Math.max(0, at.getTime() - deps.clock.now().getTime()) },
  )
}

/** Workers' start: the current quarter's tick (see the top of this file). */
export async function ensureDailySummaryTicks(deps: Pick<Deps, 'queue' | 'clock'>): Promise<void> {
  await addTick(deps, quarterOf(deps.clock.now()))
}

/** One tick: the next one, then the summaries due at `at` (or now, when the tick runs late). */
async function runDailySummaryTick(deps: Deps, at: Date): Promise<number> {
  const evalAt = new Date(Math.max(deps.clock.now().getTime(), at.getTime()))
  await addTick(deps, new Date(quarterOf(evalAt).getTime() + TICK_MS))
  // The one query across tenants: the schedule has to know every user who asked for a
  // summary. It reads ids, time zones and dates only; each summary job is company-scoped.
  const rows = await deps.db
    .select({
      userId: users.id,
      companyId: users.companyId,
      timeZone: users.timeZone,
      lastDate: dailySummaries.localDate,
    })
    .from(users)
    .leftJoin(dailySummaries, eq(dailySummaries.userId, users.id))
    .where(sql`${users.notificationPrefs}->>'daily_summary' = 'true'`)
  const now = deps.clock.now()
  const due: { data: z.infer<typeof summaryData>; jobKey: string; delayMs: number }[] = []
  for (const row of rows) {
    const zone = zoneOf(row.timeZone)
    const local = localTime(zone, evalAt)
    if (local.minute < SUMMARY_MINUTE || local.minute >= SUMMARY_MINUTE + LATE_MINUTES) continue
    const date = local.stamp.slice(0, 10)
    if (row.lastDate !== null && row.lastDate >= date) continue
    const dueAt = localInstant(zone, date, SUMMARY_MINUTE)
    due.push({
      data: { company_id: row.companyId, user_id: row.userId, date },
      jobKey: summaryJobKey(row.userId, date),
      delayMs: Math.max(0, dueAt.getTime() - now.getTime()),
    })
  }
  if (due.length > 0) await deps.queue.addBulk(newJobs(dailySummaryJob, due))
  return due.length
}

/** The durable quarter-hour timer of the daily summaries. */
export const dailySummaryTickJob = defineJob({
  queue: 'daily-summaries',
  name: 'tick',
  schema: z.object({ at: z.iso.datetime() }),
  tries: 5,
  backoffMs: 10_000,
  handle: async (deps: Deps, data) => {
    await runDailySummaryTick(deps, new Date(data.at))
  },
})

const summaryData = z.object({
  company_id: z.number().int().positive(),
  user_id: z.number().int().positive(),
  /** The user's local date the summary is for. */
  date: z.iso.date(),
})

/** One user's summary of one day. */
export const dailySummaryJob = defineJob({
  queue: 'daily-summaries',
  name: 'summary',
  schema: summaryData,
  tries: 5,
  backoffMs: 30_000,
  concurrency: 4,
  handle: async (deps: Deps, data) => {
    await sendDailySummary(deps, data)
  },
})

/**
 * Builds and sends one user's summary of `date`, unless that day already has one (claimed,
 * sent or found empty), the user is gone, or they turned the summary off since.
 */
export async function sendDailySummary(
  deps: Deps,
  job: z.infer<typeof summaryData>,
): Promise<'sent' | 'empty' | 'skipped'> {
  const { db } = deps
  const [user] = await db
    .select()
    .from(users)
    .where(and(eq(users.id, job.user_id), eq(users.companyId, job.company_id)))
  if (user?.notificationPrefs.daily_summary !== true) return 'skipped'
  const mine = and(eq(dailySummaries.userId, user.id), eq(dailySummaries.companyId, user.companyId))
  const [previous] = await db.select().from(dailySummaries).where(mine)
  if (previous && previous.localDate >= job.date) return 'skipped'
  const now = deps.clock.now()
  // The claim: of two runs of the same day (a duplicate job, a retry racing a stalled run),
  // exactly one gets a row back.
  const claimed = await db
    .insert(dailySummaries)
    .values({ userId: user.id, companyId: user.companyId, localDate: job.date, claimedAt: now })
    .onConflictDoUpdate({
      target: dailySummaries.userId,
      set: { localDate: job.date, claimedAt: now },
      setWhere: lt(dailySummaries.localDate, job.date),
    })
    .returning({ userId: dailySummaries.userId })
  if (claimed.length === 0) return 'skipped'

  const zone = zoneOf(user.timeZone)
  const dueAt = localInstant(zone, job.date, SUMMARY_MINUTE).getTime()
  const since = new Date(
    Math.max(previous?.coveredUntil?.getTime() ?? dueAt - FIRST_WINDOW_MS, dueAt - MAX_WINDOW_MS),
  )
  const found = await callsToHandle(db, {
    companyId: user.companyId,
    userId: user.id,
    since,
    until: now,
    limit: SUMMARY_LIST_LIMIT,
  })
  if (found.total === 0) {
    await db.update(dailySummaries).set({ coveredUntil: now }).where(mine)
    return 'empty'
  }
  const base = eventBase(deps.env)
  const message = dailySummaryMail({
    to: user.email,
    language: user.language,
    timeZone: zone,
    firstName: user.firstName,
    sections: found.sections.map((s) => ({
      kind: s.kind,
      total: s.total,
      calls: s.calls.map((c) => ({ ...c, link: `${base}/v1/calls/${c.callId}` })),
    })),
    more: found.more,
    listLink: `${base}/v1/calls?from=${Math.floor(since.getTime() / 1000)}`,
  })
  try {
    await deps.mailer.send(message)
  } catch (err) {
    // Not sent: give the day back, so the job's next try sends it.
    if (previous) {
      await db
        .update(dailySummaries)
        .set({ localDate: previous.localDate, claimedAt: previous.claimedAt })
        .where(and(mine, eq(dailySummaries.localDate, job.date)))
    } else {
      await db.delete(dailySummaries).where(and(mine, eq(dailySummaries.localDate, job.date)))
    }
    throw err
  }
  await db
    .update(dailySummaries)
    .set({ coveredUntil: now, sentAt: deps.clock.now(), callCount: found.total })
    .where(mine)
  deps.logger.info(
    { company_id: user.companyId, user_id: user.id, date: job.date, calls: found.total },
    'daily summary sent',
  )
  return 'sent'
}
