import { and, eq, gt, inArray, sql } from 'drizzle-orm'
import { z } from 'zod'
import { createBatcher } from '../core/batcher.ts'
import type { Clock } from '../core/clock.ts'
import type { Logger } from '../core/logger.ts'
import { type Database, rowsOf } from '../db/client.ts'
import { outbox, webhookDeliveries, webhooks } from '../db/schema/index.ts'
import type { Env } from '../env.ts'
import { defineJob, type JobInfo, newJobs } from '../jobs/job-definition.ts'
import { DeferJobError, type JobQueue, type NewJob, UnrecoverableJobError } from '../jobs/queue.ts'
import { createDeliveryShares, type DeliveryShares } from './delivery-shares.ts'
import { fillDeliveryWindows, type QueuedDelivery, windowDeliveries } from './delivery-window.ts'
import { postJson } from './http-post.ts'
import { SIGNATURE_HEADER, signPayload, TIMESTAMP_HEADER } from './signature.ts'
import { checkWebhookUrl, WebhookUrlError } from './url-safety.ts'

/**
 * Delivery policy.
 * - Tries per event: 12, waiting 20 s * 2^(n-1) between them (20 s, 40 s, … ~5.7 h): about 11 h
 *   of retries in all, like Aircall's "retries continue for up to 12 h". After the last try
 *   the delivery is `failed` and its job is a dead letter an operator can replay.
 * - Every non-2xx answer (3xx included: redirects are not followed), timeout or network error is
 *   a failure, and every failure is retried — 4xx too. Aircall retries them, and a 404/401 is
 *   often a receiver mid-deploy; the auto-disable below bounds what a dead receiver costs.
 *   The exception: a URL refused by the SSRF guard is not retried (the DNS answer that made
 *   it private will not change within the retry window often enough to matter).
 * - 50 consecutive failed tries (across all events) disable the webhook (active=false), as
 *   Aircall does: new events skip it, but the events that failed keep their retries, and one
 *   success re-enables it and resets the count. `PUT active:true` re-enables it at once;
 *   `PUT active:false` (an admin's choice) also stops the pending retries.
 */
export const DELIVERY_ATTEMPTS = 12
export const DELIVERY_BACKOFF_MS = 20_000
export const AUTO_DISABLE_AFTER = 50
export const WEBHOOK_USER_AGENT = 'Switchboard-Webhooks/1'

export const deliveryJobData = z.object({
  deliveryId: z.number().int().positive(),
  /** Whose window the delivery is in (absent from jobs queued before the window existed). */
  companyId: z.number().int().positive().optional(),
})

export type DeliveryDeps = { db: Database; clock: Clock; env: Env; logger: Logger; queue: JobQueue }
type WindowDeps = Pick<DeliveryDeps, 'db' | 'queue' | 'clock'>

/** The POST for one (webhook, event), as Aircall builds it: `{resource, event, timestamp, token, data}`. */
async function deliver(
  deps: DeliveryDeps,
  data: z.infer<typeof deliveryJobData>,
  job: JobInfo,
): Promise<void> {
  const allowPrivate = deps.env.WEBHOOKS_ALLOW_PRIVATE
  const deliveryId = data.deliveryId
  const batches = batchesFor(deps)
  const row = await batches.load(deliveryId)
  // Webhook deleted since (its deliveries go with it): its room in the window is free.
  if (!row) {
    if (data.companyId !== undefined) windowFreed(deps, data.companyId)
    return
  }
  // Already delivered (a run again after a crash): nothing to do.
  if (row.delivery.status === 'delivered') return
  const { webhook, event } = row
  /** Its first try: the delivery is in its company's window, and leaves it with this try's end. */
  const inWindow = row.delivery.attempts === 0

  // Auto-disabled (too many failures in a row): Aircall keeps retrying the events that
  // failed, and one success turns the webhook back on. Switched off by an admin (PUT
  // active:false resets the failure count): nothing more is sent.
  const autoDisabled = !webhook.active && webhook.consecutiveFailures >= AUTO_DISABLE_AFTER
  if (!webhook.active && !autoDisabled) {
    await recordDelivery(
      deps,
      { deliveryId, companyId: webhook.companyId, inWindow },
      { status: 'failed', error: 'not sent: the webhook is disabled' },
      false,
    )
    return
  }

  const timestamp = Math.floor(deps.clock.now().getTime() / 1000)
  const body = JSON.stringify({
    resource: event.resource,
    event: event.event,
    timestamp,
    token: webhook.token,
    data: event.data,
  })
  let statusCode: number | null = null
  let error: string | null = null
  let refused = false
  // The company's share of this worker's sends to its slow receivers (delivery-shares.ts):
  // none free within the wait, the job steps aside for other deliveries and comes back later,
  // its tries untouched.
  const shares = sharesFor(deps)
  const slot = await shares.acquire(webhook.companyId, webhook.id)
  if (!slot) throw new DeferJobError(shares.deferral(webhook.id))
  try {
    const url = await checkWebhookUrl(webhook.url, { allowPrivate })
    const res = await postJson(
      url,
      body,
      {
        'content-type': 'application/json',
        'user-agent': WEBHOOK_USER_AGENT,
        [TIMESTAMP_HEADER]: String(timestamp),
        [SIGNATURE_HEADER]: signPayload(webhook.signingSecret, timestamp, body),
        'X-Switchboard-Event': event.event,
        'X-Switchboard-Delivery': String(deliveryId),
      },
      { timeoutMs: deps.env.WEBHOOK_TIMEOUT_MS, allowPrivate },
    )
    statusCode = res.status
    if (res.status < 200 || res.status > 299) {
      error = `HTTP ${res.status}${res.bodySnippet ? `: ${res.bodySnippet.slice(0, 200)}` : ''}`
    }
  } catch (err) {
    refused = err instanceof WebhookUrlError
    error =
      err instanceof WebhookUrlError
        ? `refused: ${err.message}`
        : err instanceof Error
          ? err.message || err.name
          : String(err)
  } finally {
    slot.release()
  }

  if (error === null) {
    await batches.recordSuccess({ deliveryId, webhookId: webhook.id, statusCode: statusCode ?? 200 })
    if (inWindow) windowFreed(deps, webhook.companyId)
    return
  }

  const [after] = await deps.db
    .update(webhooks)
    .set({
      consecutiveFailures: sql`${webhooks.consecutiveFailures} + 1`,
      active: sql`case when ${webhooks.consecutiveFailures} + 1 >= ${AUTO_DISABLE_AFTER} then false else ${webhooks.active} end`,
    })
    .where(eq(webhooks.id, webhook.id))
    .returning({ active: webhooks.active, failures: webhooks.consecutiveFailures })
  if (after && !after.active && after.failures === AUTO_DISABLE_AFTER) {
    deps.logger.warn(
      { webhook: webhook.webhookId, company: webhook.companyId, failures: after.failures },
      'webhook disabled after consecutive failures: new events skip it, failed ones keep retrying',
    )
  }
  const final = refused || job.attempt >= job.maxAttempts
  await recordDelivery(
    deps,
    { deliveryId, companyId: webhook.companyId, inWindow },
    { status: final ? 'failed' : 'pending', error, statusCode },
    true,
  )
  if (refused) throw new UnrecoverableJobError(error)
  throw new Error(`webhook delivery ${deliveryId} failed: ${error}`)
}

/** A company's sends at once per worker to its slow receivers: a quarter of the queue's concurrency (64). */
export const DELIVERIES_PER_COMPANY = 16
/**
 * How long a delivery waits for its company's share before it steps aside: long enough for a
 * fast receiver's answers to hand the slots on (no deferral while a new company's first burst
 * goes out), short enough that a stuck company gives the queue back within a second.
 */
const SHARE_WAIT_MS = 1_000
/** Answers this slow make a receiver's sends count against its company's share. */
const SLOW_ANSWER_MS = 1_000

/** One set of shares per database (tests run several hubs in one process). */
const sharesByDatabase = new WeakMap<object, DeliveryShares>()
function sharesFor(deps: DeliveryDeps): DeliveryShares {
  let shares = sharesByDatabase.get(deps.db)
  if (!shares) {
    shares = createDeliveryShares({
      perCompany: DELIVERIES_PER_COMPANY,
      waitMs: SHARE_WAIT_MS,
      slowMs: SLOW_ANSWER_MS,
      initialAnswerMs: deps.env.WEBHOOK_TIMEOUT_MS,
    })
    sharesByDatabase.set(deps.db, shares)
  }
  return shares
}

/**
 * One job per (webhook, event), keyed `delivery:<id>` by the fan-out. Every try, and a run
 * again after a crash, sends the same `X-Switchboard-Delivery: <id>`: deliveries are at least
 * once, and that header is the receiver's key to drop a duplicate.
 */
export const webhookDeliveryJob = defineJob({
  queue: 'webhook-deliveries',
  name: 'deliver',
  schema: deliveryJobData,
  tries: DELIVERY_ATTEMPTS,
  backoffMs: DELIVERY_BACKOFF_MS,
  // Mostly waiting on receivers: many at once per worker, each receiver's share bounded by its
  // connection pool (http-post.ts).
  concurrency: 64,
  handle: deliver,
})

type DeliveryRow = {
  delivery: typeof webhookDeliveries.$inferSelect
  webhook: typeof webhooks.$inferSelect
  event: typeof outbox.$inferSelect
}
type Success = { deliveryId: number; webhookId: number; statusCode: number }
type Batches = {
  load(deliveryId: number): Promise<DeliveryRow | undefined>
  recordSuccess(outcome: Success): Promise<undefined>
}

/**
 * The deliveries a worker runs together are read in one query, and their successes written in
 * one transaction: a few statements for a batch of deliveries instead of five each. One set of
 * batches per database (tests run several hubs in one process).
 */
const batchesByDatabase = new WeakMap<object, Batches>()
function batchesFor(deps: DeliveryDeps): Batches {
  let batches = batchesByDatabase.get(deps.db)
  if (!batches) {
    batches = {
      load: createBatcher(async (ids: number[]) => {
        const rows = await deps.db
          .select({ delivery: webhookDeliveries, webhook: webhooks, event: outbox })
          .from(webhookDeliveries)
          .innerJoin(webhooks, eq(webhooks.id, webhookDeliveries.webhookId))
          .innerJoin(outbox, eq(outbox.id, webhookDeliveries.outboxId))
          .where(inArray(webhookDeliveries.id, ids))
        const byId = new Map(rows.map((r) => [r.delivery.id, r]))
        return ids.map((id) => byId.get(id))
      }),
      recordSuccess: createBatcher((outcomes: Success[]) => recordSuccesses(deps, outcomes)),
    }
    batchesByDatabase.set(deps.db, batches)
  }
  return batches
}

/**
 * Delivered: the rows say so, and each webhook's failure count restarts (one success turns an
 * auto-disabled webhook back on). A webhook with no failures is not rewritten: its row is not
 * a point every delivery to it queues on.
 */
async function recordSuccesses(deps: DeliveryDeps, outcomes: Success[]): Promise<undefined[]> {
  const now = deps.clock.now()
  const byStatus = new Map<number, number[]>()
  for (const o of outcomes) byStatus.set(o.statusCode, [...(byStatus.get(o.statusCode) ?? []), o.deliveryId])
  await deps.db.transaction(async (tx) => {
    for (const [statusCode, ids] of byStatus) {
      await tx
        .update(webhookDeliveries)
        .set({
          status: 'delivered',
          attempts: sql`${webhookDeliveries.attempts} + 1`,
          lastStatusCode: statusCode,
          lastError: null,
          deliveredAt: now,
          updatedAt: now,
        })
        .where(inArray(webhookDeliveries.id, ids))
    }
    await tx
      .update(webhooks)
      .set({
        consecutiveFailures: 0,
        active: sql`case when ${webhooks.consecutiveFailures} >= ${AUTO_DISABLE_AFTER} then true else ${webhooks.active} end`,
      })
      .where(
        and(
          inArray(webhooks.id, [...new Set(outcomes.map((o) => o.webhookId))]),
          gt(webhooks.consecutiveFailures, 0),
        ),
      )
  })
  return outcomes.map(() => undefined)
}

/** A try that did not deliver: the row says so; a first try leaves its company's window. */
async function recordDelivery(
  deps: DeliveryDeps,
  delivery: { deliveryId: number; companyId: number; inWindow: boolean },
  outcome: { status: 'pending' | 'failed'; error: string; statusCode?: number | null },
  attempted: boolean,
) {
  await deps.db
    .update(webhookDeliveries)
    .set({
      status: outcome.status,
      lastError: outcome.error,
      updatedAt: deps.clock.now(),
      ...(attempted
        ? { attempts: sql`${webhookDeliveries.attempts} + 1`, lastStatusCode: outcome.statusCode ?? null }
        : {}),
    })
    .where(eq(webhookDeliveries.id, delivery.deliveryId))
  if (delivery.inWindow) windowFreed(deps, delivery.companyId)
}

/** The job of each delivery, keyed by its row: adding one twice is a no-op. */
export function deliveryJobs(rows: readonly QueuedDelivery[]): NewJob[] {
  return newJobs(
    webhookDeliveryJob,
    [...rows]
      .sort((a, b) => a.id - b.id)
      .map((r) => ({ data: { deliveryId: r.id, companyId: r.companyId }, jobKey: `delivery:${r.id}` })),
  )
}

/**
 * Refills these companies' windows (delivery-window.ts) in one transaction, then adds the jobs
 * of the deliveries that entered them: in the transaction with the embedded queue, after its
 * commit with BullMQ (a crash in between leaves rows queued without a job: rearmDeliveries
 * adds them at the next start).
 */
export async function refillDeliveryWindows(deps: WindowDeps, companyIds: readonly number[]): Promise<void> {
  if (companyIds.length === 0) return
  const inDatabase = deps.queue.kind === 'embedded'
  const jobs = await deps.db.transaction(async (tx) => {
    const made = deliveryJobs(await fillDeliveryWindows(tx, deps.clock.now(), companyIds))
    if (inDatabase && made.length > 0) await deps.queue.addBulk(made, { tx })
    return made
  })
  if (!inDatabase && jobs.length > 0) await deps.queue.addBulk(jobs)
}

/** Refills the window of every company with a backlog. */
async function refillBackloggedWindows(deps: WindowDeps): Promise<void> {
  const waiting = rowsOf<{ company_id: number }>(
    await deps.db.execute(
      // A probe per webhook (its backlog's index), not a scan of every backlog.
      sql`select distinct h.company_id from ${webhooks} h where exists (
        select 1 from ${webhookDeliveries} b
        where b.webhook_id = h.id and b.status = 'pending' and b.queued_at is null)`,
    ),
  )
  await refillDeliveryWindows(
    deps,
    waiting.map((r) => r.company_id),
  )
}

/**
 * At a worker's start: the job of every delivery in a window (lost if a process died between
 * a window's commit and its add to Redis; keyed, a no-op for the others: the window's index
 * reads only them), then every window with a backlog refilled (room freed by a delivery whose
 * refill never ran).
 */
export async function rearmDeliveries(deps: WindowDeps): Promise<number> {
  const queued = await windowDeliveries(deps.db)
  await deps.queue.addBulk(deliveryJobs(queued))
  await refillBackloggedWindows(deps)
  return queued.length
}

/** Window deliveries this long without a first try are given their job again (keyed: a no-op if it exists). */
const STALE_WINDOW_MS = 60_000

/**
 * The sweep, every few seconds: the jobs of window deliveries queued a minute ago or more and
 * still not tried (with BullMQ their add to Redis may have failed after the window's commit;
 * keyed, a no-op for the jobs that exist), then every window with a backlog refilled.
 */
export async function sweepDeliveryWindows(deps: WindowDeps): Promise<void> {
  const before = new Date(deps.clock.now().getTime() - STALE_WINDOW_MS)
  const stale = await windowDeliveries(deps.db, { queuedBefore: before, limit: 1_000 })
  if (stale.length > 0) await deps.queue.addBulk(deliveryJobs(stale))
  await refillBackloggedWindows(deps)
}

/**
 * How long freed room in the windows waits for more before they are refilled (ms): a busy
 * company's window is refilled a few dozen times a second, not once per delivery, and stays
 * well over the queue's concurrency in between.
 */
const REFILL_AFTER_MS = 50
/** Room freed in a company's window that is refilled without waiting: the queue's concurrency. */
const REFILL_AT_ONCE = 64
/**
 * How often every window with a backlog is refilled anyway (ms): the safety net for a refill
 * that failed, or that ran just before the commit of the backlog it would have taken.
 */
const SWEEP_EVERY_MS = 5_000

type Refills = {
  /** Deliveries that left each company's window since its last refill. */
  dirty: Map<number, number>
  timer: ReturnType<typeof setTimeout> | null
  stopped: boolean
  /** Refills and sweeps running: stop() waits for them, before the pool and queue close. */
  running: Set<Promise<void>>
}
/** One set of pending refills per database (tests run several hubs in one process). */
const refillsByDatabase = new WeakMap<object, Refills>()
function refillsOf(db: Database): Refills {
  let refills = refillsByDatabase.get(db)
  if (!refills) {
    refills = { dirty: new Map(), timer: null, stopped: false, running: new Set() }
    refillsByDatabase.set(db, refills)
  }
  return refills
}

/**
 * A delivery left its company's window: the window is refilled shortly, with the others freed
 * meanwhile, or at once when a queue's concurrency's worth of room is free.
 */
function windowFreed(deps: DeliveryDeps, companyId: number): void {
  const refills = refillsOf(deps.db)
  if (refills.stopped) return
  const freed = (refills.dirty.get(companyId) ?? 0) + 1
  refills.dirty.set(companyId, freed)
  if (freed >= REFILL_AT_ONCE) {
    refills.dirty.delete(companyId)
    refill(deps, [companyId])
    return
  }
  if (refills.timer) return
  refills.timer = setTimeout(() => {
    refills.timer = null
    const companies = [...refills.dirty.keys()]
    refills.dirty.clear()
    refill(deps, companies)
  }, REFILL_AFTER_MS)
}

function refill(deps: DeliveryDeps, companies: number[]): void {
  if (companies.length === 0) return
  track(
    refillsOf(deps.db),
    refillDeliveryWindows(deps, companies).catch((err: unknown) => {
      deps.logger.warn(
        { err, companies },
        'webhooks: could not refill the windows of deliveries (retried within 5 s)',
      )
    }),
  )
}

function track(refills: Refills, work: Promise<void>): void {
  refills.running.add(work)
  void work.finally(() => refills.running.delete(work))
}

/**
 * A worker's share of the windows: rearmDeliveries at its start, then the sweep every few
 * seconds. stop() ends both and the refills still waiting, and waits for those running.
 */
export function startDeliveryWindows(deps: WindowDeps & { logger: Logger }): { stop(): Promise<void> } {
  const refills = refillsOf(deps.db)
  refills.stopped = false
  const failed = (err: unknown) => {
    deps.logger.error({ err }, 'webhooks: could not queue the deliveries waiting')
  }
  track(
    refills,
    rearmDeliveries(deps).then(() => undefined, failed),
  )
  // One sweep at a time; refills running alongside do not hold it back (a busy worker always
  // has one running).
  let sweeping = false
  const sweep = setInterval(() => {
    if (sweeping) return
    sweeping = true
    track(
      refills,
      sweepDeliveryWindows(deps)
        .catch(failed)
        .finally(() => {
          sweeping = false
        }),
    )
  }, SWEEP_EVERY_MS)
  sweep.unref()
  return {
    async stop() {
      clearInterval(sweep)
      refills.stopped = true
      if (refills.timer) clearTimeout(refills.timer)
      refills.timer = null
      refills.dirty.clear()
      await Promise.all(refills.running)
    },
  }
}
