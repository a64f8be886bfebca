import type { NumberSettings } from '@switchboard/shared'
import { nextScheduleChange } from '@switchboard/shared'
import { and, eq, isNull } from 'drizzle-orm'
import { z } from 'zod'
import type { Clock } from '../../core/clock.ts'
import { createLinks } from '../../core/links.ts'
import { numbers } from '../../db/schema/index.ts'
import type { Env } from '../../env.ts'
import { recordEvent } from '../../events/outbox.ts'
import { defineJob, enqueue } from '../../jobs/job-definition.ts'
import type { Job, JobQueue } from '../../jobs/queue.ts'
import { isOpenAt, toBusinessHours } from '../../telephony/number-config.ts'
import type { HubDeps } from '../deps.ts'
import { hydrateNumber } from './number-hydrate.ts'

/**
 * number.opened / number.closed come from durable jobs, never from reads: one job per number
 * waits for the next instant its business hours flip (nextScheduleChange), compares the state
 * then with numbers.last_open, records the event in the same transaction as the new
 * last_open, and schedules the following flip. Job keys carry the instant
 * (`number-hours:<id>:<ISO>`), so scheduling the same flip twice (settings saved twice, the
 * boot sweep, a retried job) adds one job. A stale job (hours changed since it was
 * scheduled) finds nothing to announce and re-schedules the current next flip, which the
 * key de-duplicates, so old and new chains merge.
 */

/** With no flip in the next 8 days (always open, or holidays further away), look again in 7. */
const RECHECK_MS = 7 * 24 * 3600 * 1000

const jobData = z.object({ company_id: z.number().int(), number_id: z.number().int(), at: z.iso.datetime() })
type HoursJobData = z.infer<typeof jobData>

export const hoursJobKey = (numberId: number, at: Date) => `number-hours:${numberId}:${at.toISOString()}`

async function addHoursJob(queue: JobQueue, now: Date, target: { id: number; companyId: number }, at: Date) {
  const data: HoursJobData = { company_id: target.companyId, number_id: target.id, at: at.toISOString() }
  await enqueue(queue, numberHoursJob, data, {
    jobKey: hoursJobKey(target.id, at),
    delayMs: Math.max(0, at.getTime() - now.getTime()),
  })
}

/**
 * Schedules the job of the number's next open/closed flip after `from` (default now);
 * `checkNow` also runs a check right away (after a settings change that may flip it).
 */
export async function scheduleNumberHours(
  queue: JobQueue,
  clock: Clock,
  number: { id: number; companyId: number; settings: NumberSettings },
  options: { checkNow?: boolean; from?: Date } = {},
): Promise<void> {
  const now = clock.now()
  const from = options.from ?? now
  if (options.checkNow) await addHoursJob(queue, now, number, now)
  const next =
    nextScheduleChange(toBusinessHours(number.settings.business_hours), from) ??
    new Date(from.getTime() + RECHECK_MS)
  await addHoursJob(queue, now, number, next)
}

/** Absolute links of direct links in events recorded outside a request. */
export function eventBase(env: Pick<Env, 'PUBLIC_URL' | 'PORT'>): string {
  return env.PUBLIC_URL?.replace(/\/$/, '') ?? `http://localhost:${env.PORT}`
}

type WorkerDeps = Pick<HubDeps, 'db' | 'clock' | 'queue' | 'env'>

/** The job: announce a flip if there is one, then schedule the next. */
export async function runNumberHoursJob(deps: WorkerDeps, job: Pick<Job, 'data'>): Promise<void> {
  const data = jobData.parse(job.data)
  // Never evaluate before the instant the job was meant for (a timer firing a little early
  // would otherwise find no change and re-schedule itself under its own key: a dead chain).
  const evalAt = new Date(Math.max(deps.clock.now().getTime(), Date.parse(data.at)))
  const row = await deps.db.transaction(async (tx) => {
    const [current] = await tx
      .select()
      .from(numbers)
      .where(
        and(
          eq(numbers.id, data.number_id),
          eq(numbers.companyId, data.company_id),
          isNull(numbers.releasedAt),
        ),
      )
      .for('update')
    if (!current) return null
    const open = isOpenAt(current.settings, evalAt)
    if (current.lastOpen === open) return current
    const [updated] = await tx
      .update(numbers)
      .set({ lastOpen: open })
      .where(and(eq(numbers.id, current.id), eq(numbers.companyId, data.company_id)))
      .returning()
    const json = await hydrateNumber(tx, data.company_id, createLinks(eventBase(deps.env)), evalAt, updated!)
    await recordEvent(tx, deps.clock, data.company_id, open ? 'number.opened' : 'number.closed', json)
    return updated!
  })
  if (!row) return // released since: the chain ends with the number
  await scheduleNumberHours(deps.queue, deps.clock, row, { from: evalAt })
}

/** The durable timer of a number's next open/closed flip (see the top of this file). */
export const numberHoursJob = defineJob({
  queue: 'numbers',
  name: 'number-hours',
  schema: jobData,
  tries: 5,
  backoffMs: 5_000,
  handle: (deps: WorkerDeps, data) => runNumberHoursJob(deps, { data }),
})

/**
 * One check job per live number, across companies (a system sweep, not a tenant query). Run
 * when workers start: it catches up on flips missed while no worker ran and re-creates chains
 * lost between a commit and its enqueue.
 */
export async function ensureNumberHoursJobs(deps: Pick<HubDeps, 'db' | 'clock' | 'queue'>): Promise<number> {
  const rows = await deps.db
    .select({ id: numbers.id, companyId: numbers.companyId })
    .from(numbers)
    .where(isNull(numbers.releasedAt))
  // Only the check: each check computes its number's next flip when it runs, which spreads
  // the schedule computations over the workers instead of the boot.
  const now = deps.clock.now()
  for (const row of rows) await addHoursJob(deps.queue, now, row, now)
  return rows.length
}
