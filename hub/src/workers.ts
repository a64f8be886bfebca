import { startRelay, webhooksOutboxTarget } from './events/relay.ts'
import { queueNames } from './jobs/queue.ts'
import { registerBillingWorkers } from './services/billing/invoice-worker.ts'
import type { HubDeps } from './services/deps.ts'
import { registerNumberWorkers } from './services/numbers/number-hours-worker.ts'
import { createDeliveryHandler } from './webhooks/deliver.ts'
import { createFanOutHandler } from './webhooks/fan-out.ts'

/**
 * Registers every job handler on deps.queue and starts the outbox relay. Call before
 * deps.queue.start(). The returned stop() halts the relay (the queue is closed separately).
 */
export function registerWorkers(
  deps: HubDeps,
  options: { relayIntervalMs?: number } = {},
): { stop(): Promise<void> } {
  const logger = deps.logger.child({ component: 'workers' })
  deps.queue.process(queueNames.webhookFanOut, createFanOutHandler(deps), { concurrency: 4 })
  deps.queue.process(queueNames.webhookDelivery, createDeliveryHandler({ ...deps, logger }), {
    concurrency: 16,
  })
  // Registers its handlers synchronously; the schedule check it then runs never rejects.
  void registerBillingWorkers(deps)
  registerNumberWorkers(deps)
  const relay = startRelay(
    { db: deps.db, queue: deps.queue, clock: deps.clock, logger },
    { intervalMs: options.relayIntervalMs, targets: [webhooksOutboxTarget] },
  )
  return { stop: () => relay.stop() }
}
