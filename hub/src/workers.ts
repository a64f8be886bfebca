import { startRelay } from './events/relay.ts'
import { queueNames } from './jobs/queue.ts'
import { registerBillingWorkers } from './services/billing/invoice-worker.ts'
import type { HubDeps } from './services/deps.ts'
import { registerNumberWorkers } from './services/numbers/number-hours-worker.ts'
import { createDeliveryHandler } from './webhooks/deliver.ts'
import { createFanOutHandler } from './webhooks/fan-out.ts'
import { closeDeliveryConnections } from './webhooks/http-post.ts'

/**
 * Registers every job handler on deps.queue and starts the outbox relay. Call before
 * deps.queue.start(). The returned stop() halts the relay (the queue is closed separately).
 * `subscribeRemote`: how the relay hears of events committed by other processes (PostgreSQL
 * LISTEN); events of this process wake it directly.
 */
export function registerWorkers(
  deps: HubDeps,
  options: { relayIntervalMs?: number; subscribeRemote?: (wake: () => void) => () => void } = {},
): { stop(): Promise<void> } {
  const logger = deps.logger.child({ component: 'workers' })
  // Jobs queued by versions that fanned out in a job of its own; the relay does it now.
  deps.queue.process(queueNames.webhookFanOut, createFanOutHandler(deps), { concurrency: 4 })
  // Deliveries wait on receivers, not on this process: many run at once, each receiver's
  // share bounded by its connection pool (webhooks/http-post.ts).
  deps.queue.process(queueNames.webhookDelivery, createDeliveryHandler({ ...deps, logger }), {
    concurrency: 64,
  })
  // Registers its handlers synchronously; the schedule check it then runs never rejects.
  void registerBillingWorkers(deps)
  registerNumberWorkers(deps)
  const relay = startRelay(
    { db: deps.db, queue: deps.queue, clock: deps.clock, logger },
    { intervalMs: options.relayIntervalMs, subscribeRemote: options.subscribeRemote },
  )
  return {
    stop: async () => {
      await relay.stop()
      closeDeliveryConnections()
    },
  }
}
