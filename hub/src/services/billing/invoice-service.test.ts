import { and, eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  createRecordingQueue,
  insertBillingNumber,
  parsePdf,
  setUsersCreatedAt,
  startBillingWorkers,
} from '../../../test/helpers/billing-factory.ts'
import { createTestHub, type TestHub } from '../../../test/helpers/hub.ts'
import { companies, invoices } from '../../db/schema/index.ts'
import { generateInvoice, invoicePdfKey } from './invoice-service.ts'
import {
  ensureBillingSchedule,
  invoiceJob,
  invoiceJobKey,
  monthlyBillingRunJob,
  monthlyRunKey,
} from './invoice-worker.ts'

let hub: TestHub
beforeAll(async () => {
  hub = await createTestHub()
})
afterAll(() => hub.close())

const d = (iso: string) => new Date(iso)
const FRENCH_ADDRESS = {
  company_name: 'Acme SAS',
  line1: '1 rue de Rivoli',
  line2: null,
  city: 'Paris',
  postal_code: '75001',
  country: 'FR',
  vat_number: 'FR40303265045',
}

/** A company billed for February 2026: 2 seats all month, one FR number all month, one from the 15th. */
async function billedCompany() {
  const company = await hub.createCompany()
  await setUsersCreatedAt(hub.db, company.id, d('2025-12-01T10:00:00Z'))
  await hub.db.update(companies).set({ billingAddress: FRENCH_ADDRESS }).where(eq(companies.id, company.id))
  await insertBillingNumber(hub.db, { companyId: company.id, createdAt: d('2025-10-03T10:00:00Z') })
  await insertBillingNumber(hub.db, {
    companyId: company.id,
    country: 'IT',
    monthlyPriceMinor: 800,
    createdAt: d('2026-02-15T16:00:00Z'),
  })
  return company
}

async function invoicesOf(companyId: number) {
  return hub.db.select().from(invoices).where(eq(invoices.companyId, companyId))
}

describe('generateInvoice', () => {
  it('issues the invoice with its lines, VAT and a stored PDF', async () => {
    const company = await billedCompany()
    const invoice = await generateInvoice(hub.db, hub.blobs, hub.clock, company.id, '2026-02')
    expect(invoice).toMatchObject({
      companyId: company.id,
      period: '2026-02',
      number: `SB-202602-${String(company.id).padStart(6, '0')}`,
      status: 'issued',
      plan: 'Essentials',
      currency: 'EUR',
      // 600 + 800 × 14/28 + 2 seats × 3,000
      subtotalMinor: 600 + 400 + 6000,
      vatRateBp: 2000,
      vatMinor: 1400,
      totalMinor: 8400,
      pdfKey: `c/${company.id}/invoices/2026-02.pdf`,
    })
    expect(invoice?.lines.map((l) => l.kind)).toEqual(['number', 'number', 'seats'])
    const blob = await hub.blobs.get(invoicePdfKey(company.id, '2026-02'))
    expect(blob?.contentType).toBe('application/pdf')
    const pdf = parsePdf(blob!.bytes)
    expect(pdf.strings).toContain('84.00 EUR')
    expect(pdf.strings).toContain('Acme SAS')
  })

  it('is idempotent: a second run returns the same invoice and leaves the PDF alone', async () => {
    const company = await billedCompany()
    const first = await generateInvoice(hub.db, hub.blobs, hub.clock, company.id, '2026-02')
    const pdf = await hub.blobs.get(invoicePdfKey(company.id, '2026-02'))
    await insertBillingNumber(hub.db, { companyId: company.id, createdAt: d('2026-01-01T00:00:00Z') })
    hub.clock.advance(60_000)
    const second = await generateInvoice(hub.db, hub.blobs, hub.clock, company.id, '2026-02')
    expect(second?.id).toBe(first?.id)
    expect(second?.totalMinor).toBe(first?.totalMinor)
    expect(await invoicesOf(company.id)).toHaveLength(1)
    expect((await hub.blobs.get(invoicePdfKey(company.id, '2026-02')))?.bytes).toEqual(pdf?.bytes)
  })

  it('has a unique (company, period) index behind it', async () => {
    const company = await billedCompany()
    const invoice = await generateInvoice(hub.db, hub.blobs, hub.clock, company.id, '2026-02')
    const { id: _id, ...copy } = invoice!
    await expect(hub.db.insert(invoices).values(copy)).rejects.toThrow()
  })

  it('refuses a period that is not over yet', async () => {
    const company = await billedCompany()
    await expect(generateInvoice(hub.db, hub.blobs, hub.clock, company.id, '2026-03')).rejects.toThrow(
      /not over/,
    )
    expect(await invoicesOf(company.id)).toHaveLength(0)
  })

  it('issues nothing when the company had no user and no number in the period', async () => {
    const company = await hub.createCompany() // users created on 2026-03-02
    expect(await generateInvoice(hub.db, hub.blobs, hub.clock, company.id, '2026-02')).toBeNull()
    expect(await invoicesOf(company.id)).toHaveLength(0)
  })
})

describe('billing jobs', () => {
  it('schedules the catch-up run of last month now and the next one on the 1st at 00:05 UTC', async () => {
    const rec = createRecordingQueue(hub.clock)
    await ensureBillingSchedule({ ...hub.deps, queue: rec.queue })
    await ensureBillingSchedule({ ...hub.deps, queue: rec.queue }) // a second boot adds nothing
    expect(rec.jobs.map((j) => [j.queue, j.data, j.options.jobKey, j.runAt.toISOString()])).toEqual([
      [
        monthlyBillingRunJob.queue,
        { period: '2026-02' },
        monthlyRunKey('2026-02'),
        hub.clock.now().toISOString(),
      ],
      [
        monthlyBillingRunJob.queue,
        { period: '2026-03' },
        monthlyRunKey('2026-03'),
        '2026-04-01T00:05:00.000Z',
      ],
    ])
  })

  it('runs monthly: one invoice job per company, each invoice made once even when its job runs twice', async () => {
    const company = await billedCompany()
    const rec = createRecordingQueue(hub.clock)
    const deps = { ...hub.deps, queue: rec.queue }
    await startBillingWorkers(deps)
    await rec.runDue()

    const invoiceJobs = rec.jobs.filter((j) => j.queue === invoiceJob.queue)
    const mine = invoiceJobs.filter((j) => (j.data as { companyId: number }).companyId === company.id)
    expect(mine.map((j) => j.options.jobKey)).toEqual([invoiceJobKey(company.id, '2026-02')])
    expect(mine[0]?.state).toBe('completed')
    const [invoice] = await invoicesOf(company.id)
    expect(invoice?.period).toBe('2026-02')

    // The queue delivers at least once: the same job again changes nothing.
    await rec.run(mine[0]!)
    await rec.run(mine[0]!)
    expect(await invoicesOf(company.id)).toHaveLength(1)

    // The run rescheduled itself: next month's run waits for 2026-04-01 00:05 UTC.
    const pending = rec.jobs.filter((j) => j.state === 'waiting')
    expect(pending.map((j) => [j.data, j.runAt.toISOString()])).toEqual([
      [{ period: '2026-03' }, '2026-04-01T00:05:00.000Z'],
    ])
  })

  it('fires the next run when the clock reaches it, and chains to the month after', async () => {
    const saved = hub.clock.now()
    try {
      const company = await billedCompany()
      const rec = createRecordingQueue(hub.clock)
      await startBillingWorkers({ ...hub.deps, queue: rec.queue })
      await rec.runDue()
      hub.clock.set(d('2026-04-01T00:04:59Z'))
      expect(await rec.runDue()).toBe(0)
      hub.clock.set(d('2026-04-01T00:05:00Z'))
      expect(await rec.runDue()).toBeGreaterThan(0)
      const periods = (await invoicesOf(company.id)).map((i) => i.period).sort()
      expect(periods).toEqual(['2026-02', '2026-03'])
      const next = rec.jobs.filter((j) => j.state === 'waiting')
      expect(next.map((j) => [j.options.jobKey, j.runAt.toISOString()])).toEqual([
        [monthlyRunKey('2026-04'), '2026-05-01T00:05:00.000Z'],
      ])
    } finally {
      hub.clock.set(saved)
    }
  })

  it('fails an invoice job with bad data for good instead of retrying it', async () => {
    const rec = createRecordingQueue(hub.clock)
    await startBillingWorkers({ ...hub.deps, queue: rec.queue })
    // Data as an older release might have stored it: the queue's primitive, not enqueue(), which would refuse it.
    await rec.queue.add(invoiceJob.queue, invoiceJob.name, { companyId: 'x', period: '2026-02' })
    const bad = rec.jobs.at(-1)!
    await expect(rec.run(bad)).rejects.toMatchObject({ name: 'UnrecoverableJobError' })
  })

  it('keeps invoices of other companies apart', async () => {
    const a = await billedCompany()
    const b = await billedCompany()
    await generateInvoice(hub.db, hub.blobs, hub.clock, a.id, '2026-02')
    const rows = await hub.db
      .select()
      .from(invoices)
      .where(and(eq(invoices.companyId, b.id), eq(invoices.period, '2026-02')))
    expect(rows).toHaveLength(0)
  })
})
