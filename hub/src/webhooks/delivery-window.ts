import { type AnyColumn, type SQL, sql } from 'drizzle-orm'
import { type Queryable, rowsOf } from '../db/client.ts'
import { intArrayLiteral } from '../db/int-array.ts'
import { webhookDeliveries, webhooks } from '../db/schema/index.ts'

/**
 * A company's window of queued webhook deliveries. The delivery queue is one line for every
 * company, first come first served: with a job per delivery added as soon as the event is
 * relayed, one company's burst (10,000 contacts imported) would put 10,000 jobs ahead of
 * every event the other companies send after it, and all of them in Redis at once.
 *
 * So a delivery row is made at once (nothing is lost), but its job is added only while the
 * company has fewer than `DELIVERY_WINDOW` deliveries queued and not tried yet, and its webhook
 * fewer than `WEBHOOK_WINDOW`; the others wait in their webhook's backlog (`queued_at` null)
 * and enter the window, oldest first, as it empties: when a delivery succeeds, fails its try
 * (its retry waits outside the window) or is dropped. Another company's event then waits
 * behind at most a window of each busy company's deliveries, not behind their whole backlog;
 * and a company's slow receiver, whose deliveries leave the window slowly, holds at most its
 * own part of it, so the company's other webhooks still get theirs in.
 *
 * The company's window is four times the queue's concurrency (64 per worker), a webhook's
 * three times, so that one receiver alone still keeps a worker busy between the window's
 * refills (batched: deliver.ts), and another company's event waits behind a fraction of a
 * second of its sends at most (256 at the 2,000 deliveries/s a worker sends to a quick
 * receiver).
 */
export const DELIVERY_WINDOW = 256
export const WEBHOOK_WINDOW = 192

export type QueuedDelivery = { id: number; companyId: number }

/** A company's (or, with `webhookId`, one webhook's) deliveries in the window. */
function inWindow(companyId: SQL | AnyColumn, webhookId?: SQL | AnyColumn): SQL {
  return sql`(select count(*) from ${webhookDeliveries} w
    where w.company_id = ${companyId}${webhookId === undefined ? sql`` : sql` and w.webhook_id = ${webhookId}`}
      and w.status = 'pending' and w.queued_at is not null and w.attempts = 0)`
}

/**
 * Moves backlog deliveries into each company's window, up to `DELIVERY_WINDOW` queued and not
 * tried, and `WEBHOOK_WINDOW` of each webhook; returns them. The webhooks take turns (each
 * one's oldest, then each one's second, …), so a webhook whose receiver is dead, with a long
 * backlog, does not keep the company's other webhooks out of the room freed. Run in the
 * transaction that freed room or made rows; their jobs are added in it (embedded queue) or
 * after its commit (BullMQ).
 *
 * Two of these at once for a company do not overfill it: both pick the same rows, and the
 * later update finds them queued already (`queued_at is null` is checked again once the first
 * commits) and takes none, so at worst the window is refilled by the next one. Companies are
 * taken in id order, so two of these lock in the same order.
 */
export async function fillDeliveryWindows(
  tx: Queryable,
  now: Date,
  companyIds: readonly number[],
): Promise<QueuedDelivery[]> {
  if (companyIds.length === 0) return []
  const ids = [...new Set(companyIds)].sort((a, b) => a - b)
  const rows = rowsOf<{ id: number | string; company_id: number }>(
    await tx.execute(sql`
      update ${webhookDeliveries} d set queued_at = ${now.toISOString()}::timestamptz
      from (
        select p.id from unnest(${intArrayLiteral(ids)}::int[]) as c(company_id)
        cross join lateral (
          select greatest(0, ${DELIVERY_WINDOW} - ${inWindow(sql`c.company_id`)}) as n
        ) room
        cross join lateral (
          select b.id from ${webhooks} h
          cross join lateral (
            select b.id, row_number() over (order by b.id) as turn from ${webhookDeliveries} b
            where b.webhook_id = h.id and b.status = 'pending' and b.queued_at is null
            order by b.id
            limit least(room.n, greatest(0, ${WEBHOOK_WINDOW} - ${inWindow(sql`c.company_id`, sql`h.id`)}))
          ) b
          where h.company_id = c.company_id
          order by b.turn, b.id
          limit room.n
        ) p
        order by p.id
      ) picked
      where d.id = picked.id and d.queued_at is null
      returning d.id, d.company_id`),
  )
  return rows.map((r) => ({ id: Number(r.id), companyId: r.company_id }))
}

/**
 * The deliveries in a window (queued, not tried yet), oldest first: those a job should be
 * running or waiting for. `queuedBefore` and `limit` narrow them to the oldest few. With
 * BullMQ a job is added after its window's commit; if that add failed (Redis unreachable for a
 * moment, or a crash) the row would hold its room with no job.
 */
export async function windowDeliveries(
  db: Queryable,
  options: { queuedBefore?: Date; limit?: number } = {},
): Promise<QueuedDelivery[]> {
  const before =
    options.queuedBefore === undefined
      ? sql``
      : sql` and queued_at < ${options.queuedBefore.toISOString()}::timestamptz`
  const limit = options.limit === undefined ? sql`` : sql` limit ${options.limit}`
  const rows = rowsOf<{ id: number | string; company_id: number }>(
    await db.execute(sql`
      select id, company_id from ${webhookDeliveries}
      where status = 'pending' and queued_at is not null and attempts = 0${before}
      order by queued_at${limit}`),
  )
  return rows.map((r) => ({ id: Number(r.id), companyId: r.company_id }))
}

/**
 * How many new deliveries the window of the webhook `webhookId` (of the company `companyId`)
 * takes at once, as columns of a select: the webhook's free room (none while it has a
 * backlog: new deliveries go behind it) and its company's. Two relays at once may both count
 * the same room: a window can then hold up to twice its size for a moment.
 */
export function windowRooms(
  companyId: SQL | AnyColumn,
  webhookId: SQL | AnyColumn,
): { webhookRoom: SQL<number>; companyRoom: SQL<number> } {
  return {
    webhookRoom: sql<number>`case when exists (
        select 1 from ${webhookDeliveries} b
        where b.webhook_id = ${webhookId} and b.status = 'pending' and b.queued_at is null)
      then 0
      else greatest(0, ${sql.raw(String(WEBHOOK_WINDOW))} - ${inWindow(companyId, webhookId)})::int
      end`.mapWith(Number),
    companyRoom:
      sql<number>`greatest(0, ${sql.raw(String(DELIVERY_WINDOW))} - ${inWindow(companyId)})::int`.mapWith(
        Number,
      ),
  }
}
