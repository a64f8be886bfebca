import { z } from 'zod'
import { companies } from '../../db/schema/index.ts'
import { defineJob, enqueue } from '../../jobs/job-definition.ts'
import type { HubDeps } from '../deps.ts'
import { generateInvoice } from './invoice-service.ts'
import { isPeriod, periodOf, runInstantOfMonth, shiftPeriod } from './periods.ts'
import { isSellerConfigured, sellerOf } from './seller.ts'

type Deps = Pick<HubDeps, 'env' | 'db' | 'queue' | 'clock' | 'blobs' | 'logger'>

export const monthlyRunKey = (period: string) => `invoice-run:${period}`
export const invoiceJobKey = (companyId: number, period: string) => `invoice:${companyId}:${period}`

const periodSchema = z.string().refine(isPeriod, { error: 'must be a period like 2026-02' })

/** One job per month: enqueues every company's invoice job, then schedules next month's run. */
export const monthlyBillingRunJob = defineJob({
  queue: 'billing-monthly-run',
  name: 'monthly-run',
  schema: z.object({ period: periodSchema }),
  tries: 10,
  backoffMs: 60_000,
  handle: async (deps: Deps, data) => {
    await runMonthlyBilling(deps, data.period)
  },
})

/** One job per (company, period): issues the invoice and its PDF. */
export const invoiceJob = defineJob({
  queue: 'billing-invoices',
  name: 'generate-invoice',
  schema: z.object({ companyId: z.number().int().positive(), period: periodSchema }),
  tries: 5,
  backoffMs: 60_000,
  handle: async (deps: Deps, { companyId, period }) => {
    const invoice = await generateInvoice(
      deps.db,
      deps.blobs,
      deps.clock,
      companyId,
      period,
      sellerOf(deps.env),
    )
    deps.logger.info(
      { company_id: companyId, period, invoice_id: invoice?.id ?? null },
      'billing: invoice run',
    )
  },
})

/**
 * Enqueues the monthly run that invoices `period`, due on the 1st of the next month at 00:05
 * UTC (at once if that instant has passed). The job key makes it a no-op when that run is
 * already known to the queue, so every boot and every run may call it.
 */
export async function scheduleMonthlyRun(deps: Deps, period: string): Promise<void> {
  const dueAt = runInstantOfMonth(shiftPeriod(period, 1))
  await enqueue(
    deps.queue,
    monthlyBillingRunJob,
    { period },
    { jobKey: monthlyRunKey(period), delayMs: Math.max(0, dueAt.getTime() - deps.clock.now().getTime()) },
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
    await enqueue(deps.queue, invoiceJob, { companyId: id, period }, { jobKey: invoiceJobKey(id, period) })
  }
  deps.logger.info(
    { period, companies: rows.length, next_run: runInstantOfMonth(shiftPeriod(next, 1)).toISOString() },
    'billing: invoices enqueued',
  )
  return rows.length
}

/**
 * What billing does when workers start (once per boot, by the roles that run workers): make
 * sure the monthly chain is scheduled, and tell an operator who forgot the seller settings,
 * since this is where invoices are issued. Never rejects: a failure to schedule is logged,
 * and the next boot retries.
 */
export async function startBillingSchedule(deps: Deps): Promise<void> {
  if (!isSellerConfigured(deps.env)) {
    deps.logger.warn(
      'billing: invoices are issued without seller details: set INVOICE_SELLER_NAME, INVOICE_SELLER_ADDRESS, INVOICE_SELLER_COUNTRY and INVOICE_SELLER_VAT_NUMBER to print your legal entity on them',
    )
  }
  try {
    await ensureBillingSchedule(deps)
  } catch (err) {
    deps.logger.error({ err }, 'billing: could not schedule the monthly invoice run')
  }
}
