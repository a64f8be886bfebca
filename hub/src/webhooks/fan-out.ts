import { and, eq, inArray, sql } from 'drizzle-orm'
import { z } from 'zod'
import type { Clock } from '../core/clock.ts'
import type { Database, Queryable } from '../db/client.ts'
import { outbox, webhookDeliveries, webhooks } from '../db/schema/index.ts'
import { defineJob, newJobs } from '../jobs/job-definition.ts'
import type { JobQueue, NewJob } from '../jobs/queue.ts'
import { webhookDeliveryJob } from './deliver.ts'

/** An outbox event as the fan-out needs it. */
export type OutboxEventRef = { id: number; companyId: number; event: string }

/** Rows per INSERT: well under PostgreSQL's 65,535 parameters. */
const CHUNK = 2_000

/**
 * For a batch of outbox events, in the caller's transaction: a delivery row for each active
 * webhook of the event's company that subscribes to it (an empty list subscribes to all);
 * returns one delivery job per pending row, for the caller to add in one write once the rows
 * can be read by a worker. No job per event: one query finds the webhooks of every company in
 * the batch.
 *
 * Safe to run twice for the same events (a relay that died before its commit, two relays):
 * the (webhook, event) row is unique and the delivery job is keyed by the row, so a repeat
 * only fills in what is missing.
 */
export async function fanOutEvents(
  tx: Queryable,
  clock: Clock,
  events: readonly OutboxEventRef[],
): Promise<NewJob[]> {
  if (events.length === 0) return []
  const companyIds = [...new Set(events.map((e) => e.companyId))]
  const hooks = await tx
    .select({ id: webhooks.id, companyId: webhooks.companyId, events: webhooks.events })
    .from(webhooks)
    .where(and(inArray(webhooks.companyId, companyIds), eq(webhooks.active, true)))
  if (hooks.length === 0) return []
  const byCompany = new Map<number, typeof hooks>()
  for (const hook of hooks) {
    const list = byCompany.get(hook.companyId)
    if (list) list.push(hook)
    else byCompany.set(hook.companyId, [hook])
  }
  const now = clock.now()
  const rows = events.flatMap((e) =>
    (byCompany.get(e.companyId) ?? [])
      .filter((h) => h.events.length === 0 || h.events.includes(e.event))
      .map((h) => ({
        companyId: e.companyId,
        webhookId: h.id,
        outboxId: e.id,
        event: e.event,
        createdAt: now,
        updatedAt: now,
      })),
  )
  const pending: number[] = []
  for (let i = 0; i < rows.length; i += CHUNK) {
    // On a repeat the row exists: the no-op update makes RETURNING give it back, with its status.
    const made = await tx
      .insert(webhookDeliveries)
      .values(rows.slice(i, i + CHUNK))
      .onConflictDoUpdate({
        target: [webhookDeliveries.webhookId, webhookDeliveries.outboxId],
        set: { event: sql`excluded.event` },
      })
      .returning({ id: webhookDeliveries.id, status: webhookDeliveries.status })
    for (const d of made) if (d.status === 'pending') pending.push(d.id)
  }
  pending.sort((a, b) => a - b)
  return newJobs(
    webhookDeliveryJob,
    pending.map((deliveryId) => ({ data: { deliveryId }, jobKey: `delivery:${deliveryId}` })),
  )
}

export const fanOutJobData = z.object({ outboxId: z.number().int().positive() })

/**
 * The fan-out job of earlier versions (one job per outbox event, keyed `outbox:<id>`): the
 * relay now fans out itself (events/relay.ts), but jobs queued before an upgrade still run, and
 * their dead letters can still be replayed.
 */
export const webhookFanOutJob = defineJob({
  queue: 'webhooks',
  name: 'fan-out',
  schema: fanOutJobData,
  tries: 10,
  backoffMs: 1000,
  concurrency: 4,
  handle: async (deps: { db: Database; queue: JobQueue; clock: Clock }, data) => {
    const [event] = await deps.db
      .select({ id: outbox.id, companyId: outbox.companyId, event: outbox.event })
      .from(outbox)
      .where(eq(outbox.id, data.outboxId))
    if (!event) return
    // Added once the rows are committed: a worker must find the row of every job it takes.
    const jobs = await deps.db.transaction((tx) => fanOutEvents(tx, deps.clock, [event]))
    await deps.queue.addBulk(jobs)
  },
})
