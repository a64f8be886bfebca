import { startRelay, webhooksConsumer } from './events/relay.ts'
import { hubJobs } from './job-registry.ts'
import { processJobs } from './jobs/job-definition.ts'
import { startBillingSchedule } from './services/billing/invoice-worker.ts'
import { callMailsConsumer } from './services/calls/call-mails.ts'
import { ensureDailySummaryTicks } from './services/calls/daily-summary.ts'
import type { HubDeps } from './services/deps.ts'
import { rearmCrmSyncs } from './services/integrations/sync-job.ts'
import { crmSyncConsumer } from './services/integrations/sync-trigger.ts'
import { ensureNumberHoursJobs } from './services/numbers/number-hours-worker.ts'
import { rearmCallTimers, startTimerSweep } from './telephony/engine/call-engine.ts'
import { rearmFinalizations } from './telephony/engine/call-finalize.ts'
import { rearmWrapUps } from './telephony/engine/wrap-up.ts'
import { startDeliveryWindows } from './webhooks/deliver.ts'
import { closeDeliveryConnections } from './webhooks/http-post.ts'

/**
 * Calls in progress when a process died keep going, and those that ended get finalized: their
 * timers, finalizations and wrap-up ends are queued again (job keys make it a no-op for those
 * still queued). Run at a worker's start, and at a web process's start at scale (server.ts):
 * with BullMQ a call's jobs are added after its commit, so a web process killed in between
 * lost them. Never rejects: each failure is logged, and the next start tries again.
 */
export function rearmCallJobs(deps: HubDeps, logger: HubDeps['logger']): void {
  void rearmCallTimers(deps).catch((err: unknown) => {
    logger.error({ err }, 'calls: could not re-arm the call timers')
  })
  void rearmFinalizations(deps).catch((err: unknown) => {
    logger.error({ err }, 'calls: could not queue the finalization of ended calls')
  })
  void rearmWrapUps(deps).catch((err: unknown) => {
    logger.error({ err }, 'calls: could not queue the end of wrap-ups')
  })
}

/**
 * A worker process's duties: the handler of every job of the registry on deps.queue, the
 * start-up sweeps of the domains that keep durable chains (billing's monthly run, numbers'
 * business-hours checks, the daily summary mails' ticks), and the outbox relay, which fans
 * events out to webhook deliveries, call mails and CRM syncs.
 * Call before deps.queue.start(). The returned stop() halts the relay and closes the delivery
 * connections (the queue is closed separately).
 */
export function registerWorkers(
  deps: HubDeps,
  options: {
    relayIntervalMs?: number
    subscribeRemote?: (wake: () => void) => () => Promise<void> | void
    /** No other process runs jobs on this database (embedded: this one holds DATA_DIR's lock). */
    soleWorker?: boolean
  } = {},
): { stop(): Promise<void> } {
  const logger = deps.logger.child({ component: 'workers' })
  const startedAt = deps.clock.now()
  processJobs(deps.queue, { ...deps, logger }, hubJobs)
  // Neither rejects: each logs its own failure, and the next boot tries again.
  void startBillingSchedule(deps)
  void ensureNumberHoursJobs(deps).catch((err: unknown) => {
    logger.error({ err }, 'numbers: could not schedule the business-hours checks')
  })
  rearmCallJobs(deps, logger)
  // Webhook deliveries queued whose jobs a crash lost, windows whose refill it stopped, and a
  // sweep of the windows with a backlog every few seconds.
  const windows = startDeliveryWindows({ ...deps, logger })
  // The daily summary mails' quarter-hour chain (a no-op when its current tick is queued).
  void ensureDailySummaryTicks(deps).catch((err: unknown) => {
    logger.error({ err }, 'calls: could not schedule the daily summary mails')
  })
  void rearmCrmSyncs(deps, { soleWorker: options.soleWorker, startedAt }).catch((err: unknown) => {
    logger.error({ err }, 'integrations: could not queue the CRM syncs waiting')
  })
  // With BullMQ, the jobs a call's change arms are added after its commit, and a crash in
  // between loses them: lost call timers are found by a sweep (the rest when the process that
  // crashed starts again: server.ts). The embedded queue's jobs commit with the change.
  const timers = deps.queue.kind !== 'embedded' ? startTimerSweep({ ...deps, logger }) : null
  // Woken by the commit of each outbox event: in this process directly, from other processes
  // through `subscribeRemote` (PostgreSQL LISTEN).
  const relay = startRelay(
    { db: deps.db, queue: deps.queue, clock: deps.clock, logger },
    {
      intervalMs: options.relayIntervalMs,
      subscribeRemote: options.subscribeRemote,
      // Webhook deliveries, the mails the users' notification preferences ask for, and the
      // CRM sync of calls on numbers linked to an integration.
      consumers: [webhooksConsumer, callMailsConsumer, crmSyncConsumer],
    },
  )
  return {
    stop: async () => {
      await timers?.stop()
      await relay.stop()
      await windows.stop()
      closeDeliveryConnections()
    },
  }
}
