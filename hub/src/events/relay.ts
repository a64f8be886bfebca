import { and, asc, inArray, isNull } from 'drizzle-orm'
import type { Clock } from '../core/clock.ts'
import type { Logger } from '../core/logger.ts'
import type { Database } from '../db/client.ts'
import { outbox } from '../db/schema/index.ts'
import { enqueue, type JobDefinition } from '../jobs/job-definition.ts'
import type { JobQueue } from '../jobs/queue.ts'

/**
 * A consumer of outbox events: a kind of job whose data is `{ outboxId }`; every event
 * becomes one job of each target (the webhooks' is webhooks/fan-out.ts's webhookFanOutJob).
 */
export type OutboxTarget = Pick<
  JobDefinition<{ outboxId: number }, never>,
  'queue' | 'name' | 'schema' | 'tries' | 'backoffMs'
>

export type RelayDeps = { db: Database; queue: JobQueue; clock: Clock }

const BATCH = 200

/**
 * Moves one batch of unrelayed outbox rows (oldest first) into the queue, then stamps them
 * relayed; returns how many rows it handled.
 *
 * Enqueue first, stamp second: a crash in between re-enqueues the batch on the next pass, and
 * that is a no-op because every job is keyed `outbox:<id>`. Several hub processes may relay
 * the same rows concurrently for the same reason. (No `FOR UPDATE` transaction around it: on
 * PGlite the embedded queue writes through the same single connection, which a transaction
 * would hold.)
 */
export async function relayOnce(
  deps: RelayDeps,
  targets: readonly OutboxTarget[],
  batchSize = BATCH,
): Promise<number> {
  const rows = await deps.db
    .select({ id: outbox.id })
    .from(outbox)
    .where(isNull(outbox.relayedAt))
    .orderBy(asc(outbox.id))
    .limit(batchSize)
  if (rows.length === 0) return 0
  for (const row of rows) {
    for (const target of targets) {
      await enqueue(deps.queue, target, { outboxId: row.id }, { jobKey: `outbox:${row.id}` })
    }
  }
  await deps.db
    .update(outbox)
    .set({ relayedAt: deps.clock.now() })
    .where(
      and(
        inArray(
          outbox.id,
          rows.map((r) => r.id),
        ),
        isNull(outbox.relayedAt),
      ),
    )
  return rows.length
}

/** Runs relayOnce every intervalMs (at once again while batches come back full) until stop(). */
export function startRelay(
  deps: RelayDeps & { logger?: Logger },
  options: { intervalMs?: number; targets: readonly OutboxTarget[]; batchSize?: number },
): { stop(): Promise<void> } {
  const intervalMs = options.intervalMs ?? 150
  const batchSize = options.batchSize ?? BATCH
  let stopped = false
  let wake: (() => void) | undefined
  const loop = (async () => {
    while (!stopped) {
      let handled = 0
      try {
        handled = await relayOnce(deps, options.targets, batchSize)
      } catch (err) {
        if (stopped) break
        deps.logger?.error({ err }, 'outbox relay failed')
      }
      if (handled < batchSize && !stopped) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, intervalMs)
          wake = () => {
            clearTimeout(timer)
            resolve()
          }
        })
        wake = undefined
      }
    }
  })()
  return {
    stop: async () => {
      stopped = true
      wake?.()
      await loop
    },
  }
}
