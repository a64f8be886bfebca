import { and, eq, gt, inArray, sql } from 'drizzle-orm'
import { z } from 'zod'
import { createBatcher } from '../core/batcher.ts'
import type { Clock } from '../core/clock.ts'
import type { Logger } from '../core/logger.ts'
import type { Database } from '../db/client.ts'
import { outbox, webhookDeliveries, webhooks } from '../db/schema/index.ts'
import type { Env } from '../env.ts'
import { defineJob, type JobInfo } from '../jobs/job-definition.ts'
import { DeferJobError, UnrecoverableJobError } from '../jobs/queue.ts'
import { createDeliveryShares, type DeliveryShares } from './delivery-shares.ts'
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

export const deliveryJobData = z.object({ deliveryId: z.number().int().positive() })

export type DeliveryDeps = { db: Database; clock: Clock; env: Env; logger: Logger }

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
  // Webhook deleted since (its deliveries go with it), or already delivered: nothing to do.
  if (!row || row.delivery.status === 'delivered') return
  const { webhook, event } = row

  // Auto-disabled (too many failures in a row): Aircall keeps retrying the events that
  // failed, and one success turns the webhook back on. Switched off by an admin (PUT
  // active:false resets the failure count): nothing more is sent.
  const autoDisabled = !webhook.active && webhook.consecutiveFailures >= AUTO_DISABLE_AFTER
  if (!webhook.active && !autoDisabled) {
    await recordDelivery(
      deps,
      deliveryId,
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
  // The company's share of this worker's sends (delivery-shares.ts): none free within the
  // wait, the job steps aside for other companies' deliveries and comes back later, its tries
  // untouched.
  const shares = sharesFor(deps)
  const slot = await shares.acquire(webhook.companyId)
  if (!slot) throw new DeferJobError(shares.deferral(webhook.companyId))
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
  await recordDelivery(deps, deliveryId, { status: final ? 'failed' : 'pending', error, statusCode }, true)
  if (refused) throw new UnrecoverableJobError(error)
  throw new Error(`webhook delivery ${deliveryId} failed: ${error}`)
}

/** A slow company's sends at once per worker: a quarter of the queue's concurrency (64). */
export const DELIVERIES_PER_COMPANY = 16
/**
 * How long a delivery waits for its company's share before it steps aside: long enough for a
 * fast receiver's answers to hand the slots on (no deferral while a new company's first burst
 * goes out), short enough that a stuck company gives the queue back within a second.
 */
const SHARE_WAIT_MS = 1_000
/** Answers this slow make a company's sends count against its share. */
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

async function recordDelivery(
  deps: DeliveryDeps,
  deliveryId: number,
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
    .where(eq(webhookDeliveries.id, deliveryId))
}
