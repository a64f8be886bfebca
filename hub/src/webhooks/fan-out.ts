import { and, eq, inArray, sql } from 'drizzle-orm'
import { z } from 'zod'
import type { Clock } from '../core/clock.ts'
import type { Database, Queryable } from '../db/client.ts'
import { outbox, webhookDeliveries, webhooks } from '../db/schema/index.ts'
import { defineJob } from '../jobs/job-definition.ts'
import type { JobQueue, NewJob } from '../jobs/queue.ts'
import { deliveryJobs } from './deliver.ts'
import { fillDeliveryWindows, type QueuedDelivery, windowRooms } from './delivery-window.ts'

/** An outbox event as the fan-out needs it. */
export type OutboxEventRef = { id: number; companyId: number; event: string }

/** Rows per INSERT: well under PostgreSQL's 65,535 parameters. */
const CHUNK = 2_000

/**
 * For a batch of outbox events, in the caller's transaction: a delivery row for each active
 * webhook of the event's company that subscribes to it (an empty list subscribes to all);
 * returns the jobs of the rows that enter their company's window (delivery-window.ts), for the
 * caller to add in one write once the rows can be read by a worker. The others wait in the
 * company's backlog. No job per event: one query finds the webhooks of every company in the
 * batch.
 *
 * Safe to run twice for the same events (a relay that died before its commit, or before its
 * jobs were added to Redis; two relays): the (webhook, event) row is unique and the delivery
 * job is keyed by the row, so a repeat only fills in what is missing.
 */
export async function fanOutEvents(
  tx: Queryable,
  clock: Clock,
  events: readonly OutboxEventRef[],
): Promise<NewJob[]> {
  if (events.length === 0) return []
  const companyIds = [...new Set(events.map((e) => e.companyId))]
  const hooks = await tx
    // With the room in each webhook's window and its company's.
    .select({
      id: webhooks.id,
      companyId: webhooks.companyId,
      events: webhooks.events,
      ...windowRooms(webhooks.companyId, webhooks.id),
    })
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
  // Each company's new deliveries enter its window while it has room, in the events' order;
  // the others wait in its backlog.
  const companyRooms = new Map(hooks.map((h) => [h.companyId, h.companyRoom]))
  const webhookRooms = new Map(hooks.map((h) => [h.id, h.webhookRoom]))
  const backlogged = new Set<number>()
  const rows = events.flatMap((e) =>
    (byCompany.get(e.companyId) ?? [])
      .filter((h) => h.events.length === 0 || h.events.includes(e.event))
      .map((h) => {
        const room = Math.min(companyRooms.get(e.companyId) ?? 0, webhookRooms.get(h.id) ?? 0)
        if (room > 0) {
          companyRooms.set(e.companyId, companyRooms.get(e.companyId)! - 1)
          webhookRooms.set(h.id, webhookRooms.get(h.id)! - 1)
        } else backlogged.add(e.companyId)
        return {
          companyId: e.companyId,
          webhookId: h.id,
          outboxId: e.id,
          event: e.event,
          queuedAt: room > 0 ? now : null,
          createdAt: now,
          updatedAt: now,
        }
      }),
  )
  /** Rows in a window: new ones, and a repeat's, whose jobs may be the ones that were lost. */
  const queued: QueuedDelivery[] = []
  for (let i = 0; i < rows.length; i += CHUNK) {
    // On a repeat the row exists: the no-op update makes RETURNING give it back, as it is.
    const made = await tx
      .insert(webhookDeliveries)
      .values(rows.slice(i, i + CHUNK))
      .onConflictDoUpdate({
        target: [webhookDeliveries.webhookId, webhookDeliveries.outboxId],
        set: { event: sql`excluded.event` },
      })
      .returning({
        id: webhookDeliveries.id,
        companyId: webhookDeliveries.companyId,
        status: webhookDeliveries.status,
        queuedAt: webhookDeliveries.queuedAt,
      })
    for (const d of made) if (d.status === 'pending' && d.queuedAt !== null) queued.push(d)
  }
  // A window with a backlog takes its oldest deliveries if it has room (freed since its refill).
  const entered = await fillDeliveryWindows(tx, now, [...backlogged])
  return deliveryJobs([...queued, ...entered])
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
