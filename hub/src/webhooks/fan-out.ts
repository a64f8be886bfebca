import { and, eq, sql } from 'drizzle-orm'
import { z } from 'zod'
import type { Clock } from '../core/clock.ts'
import type { Database } from '../db/client.ts'
import { outbox, webhookDeliveries, webhooks } from '../db/schema/index.ts'
import { defineJob, enqueue } from '../jobs/job-definition.ts'
import type { JobQueue } from '../jobs/queue.ts'
import { webhookDeliveryJob } from './deliver.ts'

export const fanOutJobData = z.object({ outboxId: z.number().int().positive() })

/**
 * One job per outbox event: a delivery row for each of the company's active webhooks that
 * subscribes to the event (an empty list subscribes to all), then one delivery job each.
 * Safe to run twice: the (webhook, event) row is unique and the delivery job is keyed by the
 * row, so a retry after a crash only fills in what is missing.
 */
async function fanOut(
  deps: { db: Database; queue: JobQueue; clock: Clock },
  data: z.infer<typeof fanOutJobData>,
): Promise<void> {
  const [event] = await deps.db.select().from(outbox).where(eq(outbox.id, data.outboxId))
  if (!event) return
  const subscribed = await deps.db
    .select({ id: webhooks.id })
    .from(webhooks)
    .where(
      and(
        eq(webhooks.companyId, event.companyId),
        eq(webhooks.active, true),
        sql`(jsonb_array_length(${webhooks.events}) = 0 or ${webhooks.events} @> ${JSON.stringify([event.event])}::jsonb)`,
      ),
    )
  if (subscribed.length === 0) return
  const now = deps.clock.now()
  await deps.db
    .insert(webhookDeliveries)
    .values(
      subscribed.map((w) => ({
        companyId: event.companyId,
        webhookId: w.id,
        outboxId: event.id,
        event: event.event,
        createdAt: now,
        updatedAt: now,
      })),
    )
    .onConflictDoNothing({ target: [webhookDeliveries.webhookId, webhookDeliveries.outboxId] })
  const pending = await deps.db
    .select({ id: webhookDeliveries.id })
    .from(webhookDeliveries)
    .where(
      and(
        eq(webhookDeliveries.companyId, event.companyId),
        eq(webhookDeliveries.outboxId, event.id),
        eq(webhookDeliveries.status, 'pending'),
      ),
    )
  for (const delivery of pending) {
    await enqueue(
      deps.queue,
      webhookDeliveryJob,
      { deliveryId: delivery.id },
      { jobKey: `delivery:${delivery.id}` },
    )
  }
}

/**
 * The outbox relay's webhook target: one job per outbox event (keyed `outbox:<id>` by the
 * relay). Retried quickly: it only reads the database and enqueues.
 */
export const webhookFanOutJob = defineJob({
  queue: 'webhooks',
  name: 'fan-out',
  schema: fanOutJobData,
  tries: 10,
  backoffMs: 1000,
  concurrency: 4,
  handle: fanOut,
})
