import { queuesOf, type RegisteredJob } from './jobs/job-definition.ts'
import { invoiceJob, monthlyBillingRunJob } from './services/billing/invoice-worker.ts'
import { callMailJob } from './services/calls/call-mails.ts'
import { dailySummaryJob, dailySummaryTickJob } from './services/calls/daily-summary.ts'
import type { HubDeps } from './services/deps.ts'
import { crmUnhealthyMailJob } from './services/integrations/sync-health.ts'
import { crmSyncJob } from './services/integrations/sync-job.ts'
import { numberHoursJob } from './services/numbers/number-hours-worker.ts'
import { sandboxDeviceJob } from './telephony/carrier/sandbox-call-control.ts'
import { callTimerJob, waitingCallsJob } from './telephony/engine/call-engine.ts'
import { callFinalizeJob, legacyCallFinalizeJob } from './telephony/engine/call-finalize.ts'
import { wrapUpEndJob } from './telephony/engine/wrap-up.ts'
import { webhookDeliveryJob } from './webhooks/deliver.ts'
import { webhookFanOutJob } from './webhooks/fan-out.ts'

/**
 * Every kind of background job the hub runs. Each is defined by its domain (queue, name, data
 * schema, tries, backoff, handler); this list is the only place they meet. Workers register
 * their handlers from it (workers.ts), and `sb jobs:failed` / `sb jobs:retry` look for dead
 * letters in its queues, so a job added here is consumed and can be replayed without any
 * other change.
 */
export const hubJobs: readonly RegisteredJob<HubDeps>[] = [
  webhookFanOutJob,
  webhookDeliveryJob,
  numberHoursJob,
  monthlyBillingRunJob,
  invoiceJob,
  callTimerJob,
  waitingCallsJob,
  sandboxDeviceJob,
  callFinalizeJob,
  legacyCallFinalizeJob,
  wrapUpEndJob,
  callMailJob,
  dailySummaryTickJob,
  dailySummaryJob,
  crmSyncJob,
  crmUnhealthyMailJob,
]

/** The queues of hubJobs, in order: where dead letters can be. */
export const hubQueues: readonly string[] = [...queuesOf(hubJobs).keys()]
