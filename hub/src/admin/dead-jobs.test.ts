import { randomBytes } from 'node:crypto'
import { eq } from 'drizzle-orm'
import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { insertBillingNumber, setUsersCreatedAt } from '../../test/helpers/billing-factory.ts'
import { createTestHub, type TestHub } from '../../test/helpers/hub.ts'
import { startTestRedis, type TestRedis } from '../../test/helpers/redis.ts'
import { eventually } from '../../test/jobs/eventually.ts'
import { createLogger } from '../core/logger.ts'
import { companies, numbers, outbox } from '../db/schema/index.ts'
import { hubJobs, hubQueues } from '../job-registry.ts'
import { BullmqQueue } from '../jobs/bullmq-queue.ts'
import { enqueue, processJobs } from '../jobs/job-definition.ts'
import type { FailedJob, JobQueue } from '../jobs/queue.ts'
import { invoiceJob, invoiceJobKey } from '../services/billing/invoice-worker.ts'
import { hoursJobKey, numberHoursJob } from '../services/numbers/number-hours-worker.ts'
import { createAdminApp } from './admin-app.ts'

// `sb jobs:failed` and `sb jobs:retry` reach every queue of the job registry, not only the
// webhook queues: a number-hours job and a billing job that fail until their tries run out
// are listed, and replayed once the cause is fixed. Through the admin socket's API (what sb
// calls while a hub runs; without one, sb calls the same operations directly), on both
// queue drivers.

const drivers = ['embedded', 'bullmq'] as const

/** A quick retry policy: same handlers, tries used up in well under a second on real time (BullMQ). */
const quickly = { tries: 2, backoffMs: 50 }

describe.each(drivers)('dead letters of every queue (%s driver)', (driver) => {
  let hub: TestHub
  let redis: TestRedis | undefined
  let admin: ReturnType<typeof createAdminApp>

  beforeAll(async () => {
    let queue: JobQueue | undefined
    if (driver === 'bullmq') {
      redis = await startTestRedis('The BullMQ dead-letter tests')
      const connection = new Redis(redis.url, { maxRetriesPerRequest: null })
      queue = new BullmqQueue({
        connection,
        // Its own keys: the scale run shares one Redis between test files.
        prefix: `sbdead${randomBytes(4).toString('hex')}`,
        onClose: async () => {
          await connection.quit()
        },
      })
    }
    hub = await createTestHub({ queue })
    // Only the registry's handlers (no start-up sweeps, no relay): the jobs below are the only ones.
    processJobs(hub.queue, hub.deps, hubJobs)
    await hub.queue.start()
    admin = createAdminApp({
      db: hub.db,
      clock: hub.clock,
      queue: async () => hub.queue,
      mailer: hub.mailer,
      publicUrl: () => 'http://hub.test',
      logger: createLogger('silent'),
    })
  })
  afterAll(async () => {
    await hub?.close()
    await redis?.stop()
  })

  const failedJobs = async (query = '') => {
    const res = await admin.request(`/jobs/failed${query}`)
    expect(res.status).toBe(200)
    return ((await res.json()) as { jobs: FailedJob[] }).jobs
  }

  it('lists a dead number-hours job and a dead billing job, and replays them once fixed', async () => {
    const company = await hub.createCompany()

    // A number whose stored settings cannot be read: its business-hours check throws each try.
    const number = await insertBillingNumber(hub.db, { companyId: company.id, createdAt: hub.clock.now() })
    const closed = { ...number.settings.business_hours, mode: 'always_closed' as const }
    await hub.db
      .update(numbers)
      .set({ settings: JSON.parse('{}'), lastOpen: true })
      .where(eq(numbers.id, number.id))
    const now = hub.clock.now()
    await enqueue(
      hub.queue,
      { ...numberHoursJob, ...quickly },
      { company_id: company.id, number_id: number.id, at: now.toISOString() },
      { jobKey: hoursJobKey(number.id, now) },
    )

    // February's invoice of a company billed for February, while the blob store refuses writes.
    await setUsersCreatedAt(hub.db, company.id, new Date('2026-01-15T10:00:00Z'))
    await hub.db
      .update(companies)
      .set({
        billingAddress: {
          company_name: 'Acme SAS',
          line1: '1 rue de Rivoli',
          line2: null,
          city: 'Paris',
          postal_code: '75001',
          country: 'FR',
          vat_number: 'FR40303265045',
        },
      })
      .where(eq(companies.id, company.id))
    const put = hub.blobs.put
    hub.blobs.put = async () => {
      throw new Error('disk full')
    }
    await enqueue(
      hub.queue,
      { ...invoiceJob, ...quickly },
      { companyId: company.id, period: '2026-02' },
      { jobKey: invoiceJobKey(company.id, '2026-02') },
    )

    const mine = (jobs: FailedJob[]) => ({
      hours: jobs.find(
        (j) => j.queue === 'numbers' && (j.data as { number_id?: number }).number_id === number.id,
      ),
      invoice: jobs.find(
        (j) => j.queue === 'billing-invoices' && (j.data as { companyId?: number }).companyId === company.id,
      ),
    })
    // Embedded: retries are due on the hub's fake clock, moved on while waiting.
    const dead = await eventually(
      async () => {
        const found = mine(await failedJobs())
        expect(found.hours).toBeDefined()
        expect(found.invoice).toBeDefined()
        return { hours: found.hours!, invoice: found.invoice! }
      },
      { timeoutMs: 20_000, between: () => hub.clock.advance(1_000) },
    )
    expect(dead.hours).toMatchObject({ name: 'number-hours', attempts: 2, error: expect.any(String) })
    expect(dead.invoice).toMatchObject({ name: 'generate-invoice', attempts: 2, error: 'disk full' })
    // One queue at a time, as `sb jobs:failed <queue>` asks.
    expect(mine(await failedJobs('?queue=numbers')).hours?.id).toBe(dead.hours.id)
    expect(mine(await failedJobs('?queue=billing-invoices')).invoice?.id).toBe(dead.invoice.id)

    // Fixed: the settings are back (the number is closed, and was last seen open), the disk has room.
    await hub.db
      .update(numbers)
      .set({ settings: { ...number.settings, business_hours: closed } })
      .where(eq(numbers.id, number.id))
    hub.blobs.put = put
    for (const job of [dead.hours, dead.invoice]) {
      const res = await admin.request('/jobs/retry', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ queue: job.queue, id: job.id }),
      })
      expect(res.status).toBe(204)
    }

    // What the replayed jobs did: number.closed announced, the invoice issued.
    await eventually(async () => {
      const events = await hub.db.select().from(outbox).where(eq(outbox.companyId, company.id))
      expect(events.filter((e) => e.event === 'number.closed').map((e) => e.data.id)).toEqual([number.id])
    })
    await eventually(async () => {
      const invoices = await hub.call('GET', '/v1/invoices', { auth: company.basic })
      expect(invoices.body.invoices).toEqual([expect.objectContaining({ period: '2026-02' })])
    })
    const after = mine(await failedJobs())
    expect(after).toEqual({ hours: undefined, invoice: undefined })
  })

  it('accepts every queue of the registry and names them when refusing another', async () => {
    expect(hubQueues).toEqual(
      expect.arrayContaining([
        'webhooks',
        'webhook-deliveries',
        'numbers',
        'billing-monthly-run',
        'billing-invoices',
      ]),
    )
    for (const queue of hubQueues) {
      const res = await admin.request(`/jobs/failed?queue=${queue}`)
      expect({ queue, status: res.status }).toEqual({ queue, status: 200 })
    }
    const bad = await admin.request('/jobs/failed?queue=nope')
    expect(bad.status).toBe(400)
    expect(await bad.json()).toMatchObject({
      field: 'queue',
      message: expect.stringContaining('billing-invoices'),
    })
  })
})
