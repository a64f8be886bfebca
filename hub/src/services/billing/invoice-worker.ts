import { companies } from '../../db/schema/index.ts'
import { type Job, UnrecoverableJobError } from '../../jobs/queue.ts'
import type { HubDeps } from '../deps.ts'
import { generateInvoice } from './invoice-service.ts'
import { isPeriod, periodOf, runInstantOfMonth, shiftPeriod } from './periods.ts'
import { isSellerConfigured, sellerOf } from './seller.ts'

export const billingQueues = {
  /** One job per month: enqueues every company's invoice job, then schedules next month's run. */
  monthlyRun: 'billing-monthly-run',
  /** One job per (company, period): issues the invoice and its PDF. */
  invoice: 'billing-invoices',
} as const

type Deps = Pick<HubDeps, 'env' | 'db' | 'queue' | 'clock' | 'blobs' | 'logger'>

export const monthlyRunKey = (period: string) => `invoice-run:${period}`
export const invoiceJobKey = (companyId: number, period: string) => `invoice:${companyId}:${period}`

function periodData(job: Job): string {
  const data = job.data
  const period = typeof data === 'object' && data !== null && 'period' in data ? data.period : undefined
  if (typeof period !== 'string' || !isPeriod(period)) {
    throw new UnrecoverableJobError(`${job.name}: bad period ${JSON.stringify(period)}`)
  }
  return period
}

function companyData(job: Job): number {
  const data = job.data
  const id = typeof data === 'object' && data !== null && 'companyId' in data ? data.companyId : undefined
  if (typeof id !== 'number' || !Number.isInteger(id)) {
    throw new UnrecoverableJobError(`${job.name}: bad companyId ${JSON.stringify(id)}`)
  }
  return id
}

/**
 * Enqueues the monthly run that invoices `period`, due on the 1st of the next month at 00:05
 * UTC (at once if that instant has passed). The job key makes it a no-op when that run is
 * already known to the queue, so every boot and every run may call it.
 */
export async function scheduleMonthlyRun(deps: Deps, period: string): Promise<void> {
  const dueAt = runInstantOfMonth(shiftPeriod(period, 1))
  await deps.queue.add(
    billingQueues.monthlyRun,
    'monthly-run',
    { period },
    {
      jobKey: monthlyRunKey(period),
      delayMs: Math.max(0, dueAt.getTime() - deps.clock.now().getTime()),
      attempts: 10,
      backoffMs: 60_000,
    },
  )
}

/**
 * The durable monthly chain. At boot: the run of the month that just ended (catches up a run
 * missed while the hub was down or whose job died; a no-op if it ran, and invoice generation
 * is idempotent anyway) and the run of the current month (in case the chain broke).
 */
export async function ensureBillingSchedule(deps: Deps): Promise<void> {
  const current = periodOf(deps.clock.now())
  await scheduleMonthlyRun(deps, shiftPeriod(current, -1))
  await scheduleMonthlyRun(deps, current)
}

/**
 * One monthly run: schedules next month's run first (so the chain survives this job failing
 * for good), then one invoice job per company. The job key `invoice:<companyId>:<period>`
 * de-duplicates in the queue; the unique (company_id, period) index makes a second run of the
 * same job harmless.
 */
export async function runMonthlyBilling(deps: Deps, period: string): Promise<number> {
  const next = shiftPeriod(period, 1)
  await scheduleMonthlyRun(deps, next)
  // The one query across tenants: the run has to know every company. It reads ids only.
  const rows = await deps.db.select({ id: companies.id }).from(companies).orderBy(companies.id)
  for (const { id } of rows) {
    await deps.queue.add(
      billingQueues.invoice,
      'generate-invoice',
      { companyId: id, period },
      { jobKey: invoiceJobKey(id, period), attempts: 5, backoffMs: 60_000 },
    )
  }
  deps.logger.info(
    { period, companies: rows.length, next_run: runInstantOfMonth(shiftPeriod(next, 1)).toISOString() },
    'billing: invoices enqueued',
  )
  return rows.length
}

/**
 * Registers the billing job handlers on deps.queue and makes sure the monthly chain is
 * scheduled. Handlers are registered synchronously, before the returned promise settles, so
 * calling this before queue.start() is enough even without awaiting; the promise never
 * rejects (a failure to schedule is logged, and the next boot retries).
 *
 * Called once per boot by the roles that run workers, which is where invoices are issued: so
 * this is where an operator who forgot the seller settings hears about it.
 */
export async function registerBillingWorkers(deps: Deps): Promise<void> {
  const seller = sellerOf(deps.env)
  if (!isSellerConfigured(deps.env)) {
    deps.logger.warn(
      'billing: invoices are issued without seller details: set INVOICE_SELLER_NAME, INVOICE_SELLER_ADDRESS, INVOICE_SELLER_COUNTRY and INVOICE_SELLER_VAT_NUMBER to print your legal entity on them',
    )
  }
  deps.queue.process(billingQueues.monthlyRun, async (job) => {
    await runMonthlyBilling(deps, periodData(job))
  })
  deps.queue.process(billingQueues.invoice, async (job) => {
    const companyId = companyData(job)
    const period = periodData(job)
    const invoice = await generateInvoice(deps.db, deps.blobs, deps.clock, companyId, period, seller)
    deps.logger.info(
      { company_id: companyId, period, invoice_id: invoice?.id ?? null },
      'billing: invoice run',
    )
  })
  try {
    await ensureBillingSchedule(deps)
  } catch (err) {
    deps.logger.error({ err }, 'billing: could not schedule the monthly invoice run')
  }
}
