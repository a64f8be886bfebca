/**
 * The hub's job queues, in the job registry's order. The registry (job-registry.ts) is what
 * workers consume and it imports every job's domain code; `sb --help` lists these names without
 * loading all of that. job-registry.test.ts checks that the two agree.
 */
export const hubQueueNames = [
  'webhooks',
  'webhook-deliveries',
  'numbers',
  'billing-monthly-run',
  'billing-invoices',
  'calls',
  'call-finalize',
  'mail',
  'daily-summaries',
  'crm-sync',
] as const
