import { and, eq, inArray, like } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestHub, type TestCompany, type TestHub } from '../../test/helpers/hub.ts'
import { eventually } from '../../test/jobs/eventually.ts'
import type { Queryable } from '../db/client.ts'
import { jobs, outbox, webhookDeliveries, webhooks } from '../db/schema/index.ts'
import type { Job, JobOptions, JobQueue, NewJob } from '../jobs/queue.ts'
import { webhookDeliveryJob } from '../webhooks/deliver.ts'
import { webhookFanOutJob } from '../webhooks/fan-out.ts'
import { recordEvent } from './outbox.ts'
import { type OutboxConsumer, relayOnce, startRelay } from './relay.ts'

// No workers: these tests drive the relay and the fan-out by hand and read the jobs table.
let hub: TestHub
beforeAll(async () => {
  hub = await createTestHub()
})
afterAll(() => hub.close())

/** Relays everything pending; other tests' rows may be in the same outbox. */
async function drain(queue: JobQueue = hub.queue) {
  while ((await relayOnce({ db: hub.db, queue, clock: hub.clock })) > 0) {}
}

async function emit(company: TestCompany, count: number) {
  await hub.db.transaction(async (tx) => {
    for (let i = 0; i < count; i++) await recordEvent(tx, hub.clock, company.id, 'contact.created', { id: i })
  })
  return (
    await hub.db
      .select({ id: outbox.id })
      .from(outbox)
      .where(eq(outbox.companyId, company.id))
      .orderBy(outbox.id)
  ).map((r) => r.id)
}

/** A consumer that records the ids of each batch it is handed, and asks for no jobs. */
function batchRecorder() {
  const taken: number[][] = []
  const consumer: OutboxConsumer = async (_tx, _deps, events) => {
    taken.push(events.map((e) => e.id))
    return []
  }
  return { taken, consumer }
}

describe('outbox relay', () => {
  it('fans each outbox row out to a delivery row and a keyed delivery job per subscribed webhook, in one write, and stamps it relayed', async () => {
    await drain()
    const company = await hub.createCompany()
    const base = { token: 't', signingSecret: 's', companyId: company.id }
    const hooks = await hub.db
      .insert(webhooks)
      .values([
        { ...base, url: 'https://a.example.com', events: [] },
        { ...base, url: 'https://b.example.com', events: ['user.created'] },
      ])
      .returning()
    const ids = await emit(company, 3)
    const added: { queue: string; name: string; data: unknown; options?: JobOptions }[][] = []
    const spy: JobQueue = Object.assign(Object.create(hub.queue), {
      addBulk: async (list: NewJob[], options?: { tx?: Queryable }) => {
        added.push(list.map((j) => ({ queue: j.queue, name: j.name, data: j.data, options: j.options })))
        await hub.queue.addBulk(list, options)
      },
    })
    expect(await relayOnce({ db: hub.db, queue: spy, clock: hub.clock })).toBe(3)
    const made = await hub.db
      .select()
      .from(webhookDeliveries)
      .where(inArray(webhookDeliveries.outboxId, ids))
      .orderBy(webhookDeliveries.id)
    // Only the webhook subscribed to every event gets contact.created, once per event.
    expect(made.map((d) => [d.outboxId, d.webhookId, d.status])).toEqual(
      ids.map((id) => [id, hooks[0]!.id, 'pending']),
    )
    expect(added).toHaveLength(1)
    expect(added[0]!.map((a) => [a.queue, a.name, a.data, a.options?.jobKey])).toEqual(
      made.map((d) => [
        webhookDeliveryJob.queue,
        'deliver',
        { deliveryId: d.id, companyId: company.id },
        `delivery:${d.id}`,
      ]),
    )
    const rows = await hub.db.select().from(outbox).where(inArray(outbox.id, ids))
    expect(rows.every((r) => r.relayedAt?.getTime() === hub.clock.now().getTime())).toBe(true)
    expect(await relayOnce({ db: hub.db, queue: spy, clock: hub.clock })).toBe(0)
    expect(added).toHaveLength(1)
  })

  it('makes no second delivery nor job when rows are relayed again (a relay that died before its commit)', async () => {
    await drain()
    const company = await hub.createCompany()
    await hub.db
      .insert(webhooks)
      .values({ token: 't', signingSecret: 's', companyId: company.id, url: 'https://a.example.com' })
    const ids = await emit(company, 2)
    await drain()
    await hub.db.update(outbox).set({ relayedAt: null }).where(inArray(outbox.id, ids))
    await drain()
    const made = await hub.db.select().from(webhookDeliveries).where(inArray(webhookDeliveries.outboxId, ids))
    expect(made).toHaveLength(2)
    const keyed = await hub.db
      .select()
      .from(jobs)
      .where(
        and(
          eq(jobs.queue, webhookDeliveryJob.queue),
          inArray(
            jobs.jobKey,
            made.map((d) => `delivery:${d.id}`),
          ),
        ),
      )
    expect(keyed).toHaveLength(2)
  })

  it('adds the jobs to a queue outside the database (BullMQ) only once their delivery rows are committed', async () => {
    await drain()
    const company = await hub.createCompany()
    await hub.db
      .insert(webhooks)
      .values({ token: 't', signingSecret: 's', companyId: company.id, url: 'https://a.example.com' })
    await emit(company, 2)
    const seen: (number | 'not readable')[] = []
    const outside: JobQueue = Object.assign(Object.create(hub.queue), {
      kind: 'bullmq',
      addBulk: async (list: NewJob[]) => {
        // What a worker in another process, taking the job at once, reads.
        const ids = list.map((j) => (j.data as { deliveryId: number }).deliveryId)
        const read = hub.db
          .select({ id: webhookDeliveries.id })
          .from(webhookDeliveries)
          .where(inArray(webhookDeliveries.id, ids))
        const rows = await Promise.race([
          read,
          new Promise<'not readable'>((r) => setTimeout(r, 2_000, 'not readable')),
        ])
        seen.push(rows === 'not readable' ? rows : rows.length)
        await hub.queue.addBulk(list)
      },
    })
    expect(await relayOnce({ db: hub.db, queue: outside, clock: hub.clock })).toBe(2)
    expect(seen).toEqual([2])
  })

  it('relays in batches until the backlog is gone, then stops when asked', async () => {
    await drain()
    const company = await hub.createCompany()
    const ids = await emit(company, 7)
    const relay = startRelay(
      { db: hub.db, queue: hub.queue, clock: hub.clock },
      { intervalMs: 10, batchSize: 3 },
    )
    try {
      await eventually(async () => {
        const rows = await hub.db.select().from(outbox).where(inArray(outbox.id, ids))
        expect(rows.every((r) => r.relayedAt !== null)).toBe(true)
      })
    } finally {
      await relay.stop()
    }
  })

  it('shares each batch between the companies with events waiting: another company’s event does not wait behind a burst', async () => {
    await drain()
    const busy = await hub.createCompany()
    const other = await hub.createCompany()
    const burst = await emit(busy, 40)
    const [late] = await emit(other, 1)
    const { taken, consumer } = batchRecorder()
    const deps = { db: hub.db, queue: hub.queue, clock: hub.clock }
    // A batch of 10 for two companies: at most 5 each, each company's oldest.
    expect(await relayOnce(deps, [consumer], 10)).toBe(6)
    expect(taken).toEqual([[...burst.slice(0, 5), late]])
    // Alone, the burst goes on in whole batches, oldest first.
    while ((await relayOnce(deps, [consumer], 10)) > 0) {}
    expect(taken.slice(1).map((batch) => batch.length)).toEqual([10, 10, 10, 5])
    expect(taken.slice(1).flat()).toEqual(burst.slice(5))
  })

  it('serves first the companies whose oldest event waits longest when more have events than a batch holds', async () => {
    await drain()
    const [first, second, third] = [
      await hub.createCompany(),
      await hub.createCompany(),
      await hub.createCompany(),
    ]
    const [waitedLongest] = await emit(third, 1)
    const [next] = await emit(first, 1)
    await emit(second, 1)
    const { taken, consumer } = batchRecorder()
    const deps = { db: hub.db, queue: hub.queue, clock: hub.clock }
    expect(await relayOnce(deps, [consumer], 2)).toBe(2)
    expect(taken).toEqual([[waitedLongest, next]])
    await drain()
  })

  it('is woken by the commit of an event, not by its next poll', async () => {
    await drain()
    const company = await hub.createCompany()
    // A poll an hour away: only the commit's signal can make the relay run in this test.
    const relay = startRelay({ db: hub.db, queue: hub.queue, clock: hub.clock }, { intervalMs: 3_600_000 })
    try {
      // Let it make its first pass and fall asleep.
      await new Promise((resolve) => setTimeout(resolve, 100))
      const ids = await emit(company, 1)
      await eventually(async () => {
        const [row] = await hub.db.select().from(outbox).where(inArray(outbox.id, ids))
        expect(row?.relayedAt).not.toBeNull()
      })
    } finally {
      await relay.stop()
    }
  })
})

describe('webhook fan-out', () => {
  it('creates one delivery per subscribed active webhook of the company, idempotently', async () => {
    const company = await hub.createCompany()
    const other = await hub.createCompany()
    const base = { token: 't', signingSecret: 's' }
    const hooks = await hub.db
      .insert(webhooks)
      .values([
        { ...base, companyId: company.id, url: 'https://a.example.com', events: [] },
        { ...base, companyId: company.id, url: 'https://b.example.com', events: ['contact.created'] },
        { ...base, companyId: company.id, url: 'https://c.example.com', events: ['user.created'] },
        { ...base, companyId: company.id, url: 'https://d.example.com', events: [], active: false },
        { ...base, companyId: other.id, url: 'https://e.example.com', events: [] },
      ])
      .returning()
    const [outboxId] = await emit(company, 1)
    const fanOut = (job: Job) => webhookFanOutJob.run(hub.deps, job)
    const job = { id: 'x', queue: webhookFanOutJob.queue, name: 'fan-out', attempt: 1, maxAttempts: 1 }
    await fanOut({ ...job, data: { outboxId } })
    await fanOut({ ...job, data: { outboxId } })
    const made = await hub.db
      .select()
      .from(webhookDeliveries)
      .where(eq(webhookDeliveries.outboxId, outboxId!))
    expect(made.map((d) => d.webhookId).sort()).toEqual([hooks[0]!.id, hooks[1]!.id].sort())
    expect(made.every((d) => d.status === 'pending' && d.event === 'contact.created')).toBe(true)
    const deliveryJobs = await hub.db
      .select()
      .from(jobs)
      .where(and(eq(jobs.queue, webhookDeliveryJob.queue), like(jobs.jobKey, 'delivery:%')))
    const keys = deliveryJobs.map((j) => j.jobKey)
    for (const d of made) expect(keys.filter((k) => k === `delivery:${d.id}`)).toHaveLength(1)
    expect(deliveryJobs.find((j) => j.jobKey === `delivery:${made[0]!.id}`)).toMatchObject({
      maxAttempts: 12,
      backoffMs: 20_000,
    })
  })

  it('refuses malformed job data without retrying, and ignores a vanished event', async () => {
    const fanOut = (job: Job) => webhookFanOutJob.run(hub.deps, job)
    const job = { id: 'x', queue: webhookFanOutJob.queue, name: 'fan-out', attempt: 1, maxAttempts: 5 }
    await expect(fanOut({ ...job, data: { outboxId: 'one' } })).rejects.toMatchObject({
      name: 'UnrecoverableJobError',
    })
    await expect(fanOut({ ...job, data: { outboxId: 999_999_999 } })).resolves.toBeUndefined()
  })
})
