import { inArray, sql } from 'drizzle-orm'
import type { Clock } from '../core/clock.ts'
import type { Logger } from '../core/logger.ts'
import { type Database, type Queryable, rowsOf } from '../db/client.ts'
import { outbox } from '../db/schema/index.ts'
import type { JobQueue, NewJob } from '../jobs/queue.ts'
import { fanOutEvents, type OutboxEventRef } from '../webhooks/fan-out.ts'
import { onOutboxCommitted } from './outbox-signal.ts'

/**
 * A consumer of outbox events: given a batch, it writes what it needs in the relay's
 * transaction and returns the jobs to add. It must be idempotent: a batch that was not stamped
 * relayed is handed over again.
 */
export type OutboxConsumer = (
  tx: Queryable,
  deps: { clock: Clock },
  events: readonly OutboxEventRef[],
) => Promise<NewJob[]>

/** Outgoing webhooks: a delivery row and job per subscribed webhook (hub/src/webhooks/fan-out.ts). */
export const webhooksConsumer: OutboxConsumer = (tx, deps, events) => fanOutEvents(tx, deps.clock, events)

export type RelayDeps = { db: Database; queue: JobQueue; clock: Clock }

const BATCH = 500

/**
 * A batch of the events not relayed yet, shared between the companies that have some: each
 * takes at most its share of the batch (`batch / companies`, at least one), its oldest first.
 * Oldest first over every company, one company's burst (10,000 contacts imported) would be
 * relayed before any event another company records after it. The companies are found with one
 * index probe each (a loose scan of `outbox_pending_company_idx`), not by reading the backlog.
 */
async function takeBatch(tx: Queryable, batchSize: number): Promise<OutboxEventRef[]> {
  const rows = rowsOf<{ id: number | string; company_id: number; event: string }>(
    await tx.execute(sql`
      with recursive pending(company_id) as (
        select min(company_id) from ${outbox} where relayed_at is null
        union all
        select (select min(o.company_id) from ${outbox} o
                where o.relayed_at is null and o.company_id > pending.company_id)
        from pending where pending.company_id is not null
      ),
      -- Those whose oldest event waits longest first: past a batch's worth of companies, the
      -- others come in the next batches, not after every lower id.
      companies as (
        select company_id from pending where company_id is not null
        order by (select min(o.id) from ${outbox} o where o.company_id = pending.company_id and o.relayed_at is null)
        limit ${batchSize}
      ),
      share as (select greatest(1, ${batchSize} / greatest(1, count(*))) as n from companies)
      select o.id, o.company_id, o.event from companies c cross join share
      cross join lateral (
        select o.id, o.company_id, o.event from ${outbox} o
        where o.company_id = c.company_id and o.relayed_at is null
        order by o.id
        limit share.n
        for update skip locked
      ) o`),
  )
  return rows
    .map((r) => ({ id: Number(r.id), companyId: r.company_id, event: r.event }))
    .sort((a, b) => a.id - b.id)
}

/**
 * Relays one batch of outbox rows (each company's share, oldest first: takeBatch): each
 * consumer writes its rows and gives its jobs, the jobs are added in one write, and the rows
 * are stamped relayed. Rows are taken `FOR UPDATE SKIP LOCKED`, so several hubs relaying at
 * once split the work.
 * - Embedded queue (jobs in this database): all of it in one transaction; a crash before the
 *   commit leaves the rows for the next pass, after it nothing is missing.
 * - BullMQ (jobs in Redis): the jobs are added only once the transaction has committed, so a
 *   worker always finds the rows of the job it takes; then the rows are stamped. A crash in
 *   between leaves them unstamped: the next pass finds the same pending rows and adds the same
 *   keyed jobs again, a no-op.
 * Returns how many rows it relayed.
 */
export async function relayOnce(
  deps: RelayDeps,
  consumers: readonly OutboxConsumer[] = [webhooksConsumer],
  batchSize = BATCH,
): Promise<number> {
  const jobsInDatabase = deps.queue.kind === 'embedded'
  const stamp = (db: Queryable, ids: number[]) =>
    db.update(outbox).set({ relayedAt: deps.clock.now() }).where(inArray(outbox.id, ids))
  const batch = await deps.db.transaction(async (tx) => {
    const rows = await takeBatch(tx, batchSize)
    const ids = rows.map((r) => r.id)
    const jobs: NewJob[] = []
    if (rows.length === 0) return { ids, jobs }
    for (const consume of consumers) jobs.push(...(await consume(tx, deps, rows)))
    if (jobsInDatabase) {
      await deps.queue.addBulk(jobs, { tx })
      await stamp(tx, ids)
    }
    return { ids, jobs }
  })
  if (!jobsInDatabase && batch.ids.length > 0) {
    await deps.queue.addBulk(batch.jobs)
    await stamp(deps.db, batch.ids)
  }
  return batch.ids.length
}

/**
 * Relays as soon as an outbox event is committed: in this process (onOutboxCommitted), and
 * from other processes through `subscribeRemote` (PostgreSQL LISTEN, wired by the server).
 * Polls every intervalMs as a safety net (a commit whose signal was missed, events written by
 * a process that does not signal). Runs again at once while a pass relays anything or a signal
 * arrived during it. Until stop().
 */
export function startRelay(
  deps: RelayDeps & { logger?: Logger },
  options: {
    intervalMs?: number
    consumers?: readonly OutboxConsumer[]
    batchSize?: number
    subscribeRemote?: (wake: () => void) => () => Promise<void> | void
  } = {},
): { stop(): Promise<void>; wake(): void } {
  const intervalMs = options.intervalMs ?? 1_000
  const batchSize = options.batchSize ?? BATCH
  let stopped = false
  let signalled = false
  let wakeSleeper: (() => void) | undefined
  const wake = () => {
    signalled = true
    wakeSleeper?.()
  }
  const unsubscribe = [onOutboxCommitted(wake), options.subscribeRemote?.(wake)]
  const loop = (async () => {
    while (!stopped) {
      signalled = false
      let handled = 0
      try {
        handled = await relayOnce(deps, options.consumers, batchSize)
      } catch (err) {
        if (stopped) break
        deps.logger?.error({ err }, 'outbox relay failed')
        // Back off a little before the next try (a database restart, say).
        signalled = false
      }
      // Shares leave a batch short of full while a backlog remains: only an empty pass waits.
      if (handled === 0 && !signalled && !stopped) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(done, intervalMs)
          function done() {
            clearTimeout(timer)
            wakeSleeper = undefined
            resolve()
          }
          wakeSleeper = done
        })
      }
    }
  })()
  return {
    wake,
    stop: async () => {
      stopped = true
      // The remote subscription (a LISTEN) ends before the database pool closes behind it.
      await Promise.all(unsubscribe.map((off) => off?.()))
      wakeSleeper?.()
      await loop
    },
  }
}
