import { createServer, type IncomingHttpHeaders } from 'node:http'
import type { AddressInfo } from 'node:net'
import { and, desc, eq, gt, inArray, isNotNull, isNull, sql } from 'drizzle-orm'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { createTestHub, type TestCompany, type TestHub } from '../../test/helpers/hub.ts'
import { eventually } from '../../test/jobs/eventually.ts'
import { jobs, outbox, webhookDeliveries, webhooks } from '../db/schema/index.ts'
import { type EventName, recordEvent, recordEvents } from '../events/outbox.ts'
import { hubQueues } from '../job-registry.ts'
import { listDeadJobs, replayDeadJob } from '../jobs/dead-letters.ts'
import {
  AUTO_DISABLE_AFTER,
  DELIVERIES_PER_COMPANY,
  DELIVERY_ATTEMPTS,
  DELIVERY_BACKOFF_MS,
  deliveryJobData,
  rearmDeliveries,
  sweepDeliveryWindows,
  webhookDeliveryJob,
} from './deliver.ts'
import { DELIVERY_WINDOW, WEBHOOK_WINDOW } from './delivery-window.ts'
import { verifySignature } from './signature.ts'

type Received = { headers: IncomingHttpHeaders; rawBody: string; body: Record<string, unknown> }
type Receiver = Awaited<ReturnType<typeof startReceiver>>

/** A webhook receiver on loopback: records what arrives, answers what the test says. */
async function startReceiver() {
  const received: Received[] = []
  let respond: (nth: number) => number | 'hang' | Promise<number> = () => 200
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const rawBody = Buffer.concat(chunks).toString('utf8')
      received.push({ headers: req.headers, rawBody, body: JSON.parse(rawBody) })
      const answer = respond(received.length)
      if (answer === 'hang') return
      void Promise.resolve(answer).then((status) =>
        res.writeHead(status, { 'content-type': 'text/plain' }).end(status < 300 ? 'ok' : 'receiver unhappy'),
      )
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo // listening on a TCP port: an AddressInfo
  return {
    url: `http://127.0.0.1:${port}/hooks`,
    port,
    received,
    answer(fn: (nth: number) => number | 'hang' | Promise<number>) {
      respond = fn
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

const receivers: Receiver[] = []
async function receiver() {
  const r = await startReceiver()
  receivers.push(r)
  return r
}
afterEach(async () => {
  await Promise.all(receivers.splice(0).map((r) => r.close()))
})

async function emit(hub: TestHub, company: TestCompany, event: EventName, data: Record<string, unknown>) {
  await hub.db.transaction((tx) => recordEvent(tx, hub.clock, company.id, event, data))
  const [row] = await hub.db
    .select({ id: outbox.id })
    .from(outbox)
    .where(and(eq(outbox.companyId, company.id), eq(outbox.event, event)))
    .orderBy(outbox.id)
  return row!.id
}

/** n contact.created events of one company in one transaction: relayed together, a burst. */
async function burst(hub: TestHub, company: TestCompany, n: number) {
  const list = Array.from({ length: n }, (_, i) => ({
    event: 'contact.created' as const,
    data: { id: i + 1 },
  }))
  await hub.db.transaction((tx) => recordEvents(tx, hub.clock, company.id, list))
  const [row] = await hub.db
    .select({ id: outbox.id })
    .from(outbox)
    .where(eq(outbox.companyId, company.id))
    .orderBy(desc(outbox.id))
    .limit(1)
  return row!.id
}

/**
 * contact.created events already relayed, and a delivery of each to the webhook with no job:
 * queued (in the window) or waiting in its backlog, as a crash can leave them.
 */
async function relayedDeliveries(
  hub: TestHub,
  company: TestCompany,
  webhookId: string,
  contacts: readonly { id: number; queued: boolean }[],
) {
  const [hook] = await hub.db.select().from(webhooks).where(eq(webhooks.webhookId, webhookId))
  const now = hub.clock.now()
  const events = await hub.db
    .insert(outbox)
    .values(
      contacts.map((c) => ({
        companyId: company.id,
        event: 'contact.created',
        resource: 'contact',
        data: { id: c.id },
        occurredAt: now,
        relayedAt: now,
      })),
    )
    .returning({ id: outbox.id })
  await hub.db.insert(webhookDeliveries).values(
    events.map((e, i) => ({
      companyId: company.id,
      webhookId: hook!.id,
      outboxId: e.id,
      event: 'contact.created',
      queuedAt: contacts[i]!.queued ? now : null,
    })),
  )
}

async function createWebhook(hub: TestHub, company: TestCompany, body: Record<string, unknown>) {
  const res = await hub.call('POST', '/v1/webhooks', { auth: company.basic, body })
  expect(res.status).toBe(201)
  return res.body.webhook as { webhook_id: string; token: string; signing_secret: string }
}

async function deliveries(hub: TestHub, company: TestCompany, webhookId: string) {
  const res = await hub.call('GET', `/v1/webhooks/${webhookId}/deliveries?per_page=50`, {
    auth: company.basic,
  })
  expect(res.status).toBe(200)
  return res.body as {
    deliveries: {
      id: number
      event: string
      status: string
      attempts: number
      last_status_code: number | null
      last_error: string | null
    }[]
    meta: { total: number }
  }
}

/** Waits until an outbox event has been relayed (its deliveries, if any, are then queued). */
async function fanOutDone(hub: TestHub, outboxId: number) {
  await eventually(async () => {
    const [row] = await hub.db
      .select({ relayedAt: outbox.relayedAt })
      .from(outbox)
      .where(eq(outbox.id, outboxId))
    expect(row?.relayedAt).not.toBeNull()
  })
}

/**
 * The API rate limit counts per company in windows of the hub's fake clock, which stands still
 * while `eventually` polls without advancing it: a slow delivery on a loaded machine would let
 * the polls use up the default 120 and every later call answer 429. These tests poll the API
 * for background work and are not about the rate limit, so it is out of the way here.
 */
const pollingEnv = { RATE_LIMIT_PER_MINUTE: '1000000' }

/**
 * A delivery that found its company's share of sends taken steps aside until a time on the
 * hub's clock, which stands still in these tests; a failed one waits for its retry on that
 * clock too. Moving the clock would bring both. This brings the company's deliveries that
 * stepped aside (never tried: attempts 0) due now, and leaves the failed ones waiting.
 */
async function setAsideDeliveriesDue(hub: TestHub, company: TestCompany) {
  const now = hub.clock.now()
  await hub.db
    .update(jobs)
    .set({ runAt: now })
    .where(
      and(
        eq(jobs.queue, webhookDeliveryJob.queue),
        eq(jobs.state, 'waiting'),
        eq(jobs.attempts, 0),
        gt(jobs.runAt, now),
        sql`${jobs.data}->>'companyId' = ${String(company.id)}`,
      ),
    )
}

describe('outgoing webhooks (WEBHOOKS_ALLOW_PRIVATE for the loopback receiver)', () => {
  let hub: TestHub
  beforeAll(async () => {
    hub = await createTestHub({ workers: true, env: pollingEnv })
  })
  afterAll(() => hub.close())

  it('delivers subscribed events, signed, in the Aircall envelope, to the right company only', async () => {
    const company = await hub.createCompany()
    const neighbour = await hub.createCompany()
    const mine = await receiver()
    const theirs = await receiver()
    const webhook = await createWebhook(hub, company, {
      url: mine.url,
      events: ['user.created', 'user.deleted'],
    })
    await createWebhook(hub, neighbour, { url: theirs.url })

    const skipped = await emit(hub, company, 'team.created', { id: 9, name: 'Support' })
    await emit(hub, company, 'user.created', { id: 1, name: 'Ada Lovelace' })
    const last = await emit(hub, company, 'user.deleted', { id: 1 })

    await eventually(() => expect(mine.received).toHaveLength(2))
    await fanOutDone(hub, skipped)
    await fanOutDone(hub, last)
    const byEvent = Object.fromEntries(mine.received.map((r) => [r.body.event, r]))
    expect(Object.keys(byEvent).sort()).toEqual(['user.created', 'user.deleted'])
    const created = byEvent['user.created']!
    const nowSec = Math.floor(hub.clock.now().getTime() / 1000)
    expect(created.body).toEqual({
      resource: 'user',
      event: 'user.created',
      timestamp: nowSec,
      token: webhook.token,
      data: { id: 1, name: 'Ada Lovelace' },
    })
    expect(created.headers['content-type']).toBe('application/json')
    expect(created.headers['user-agent']).toBe('Switchboard-Webhooks/1')
    expect(created.headers['x-switchboard-timestamp']).toBe(String(nowSec))
    expect(created.headers['x-switchboard-signature']).toMatch(/^v1=[0-9a-f]{64}$/)
    const verify = (r: Received, secret: string) =>
      verifySignature({
        secret,
        rawBody: r.rawBody,
        timestamp: r.headers['x-switchboard-timestamp'] as string,
        signature: r.headers['x-switchboard-signature'] as string,
        nowSec,
      })
    expect(verify(created, webhook.signing_secret)).toBe(true)
    expect(verify(byEvent['user.deleted']!, webhook.signing_secret)).toBe(true)
    expect(verify(created, 'whsec_someone-else')).toBe(false)
    expect(
      verify({ ...created, rawBody: created.rawBody.replace('Ada', 'Eve') }, webhook.signing_secret),
    ).toBe(false)

    await eventually(async () => {
      const log = await deliveries(hub, company, webhook.webhook_id)
      expect(log.meta.total).toBe(2)
      for (const d of log.deliveries) {
        expect(d).toMatchObject({ status: 'delivered', attempts: 1, last_status_code: 200, last_error: null })
      }
    })
    expect(theirs.received).toEqual([])
  })

  it('retries a failing receiver with exponential backoff until it answers 2xx', async () => {
    const company = await hub.createCompany()
    const r = await receiver()
    r.answer((nth) => (nth <= 2 ? 500 : 204))
    const webhook = await createWebhook(hub, company, { url: r.url })
    await emit(hub, company, 'contact.created', { id: 77 })

    await eventually(() => expect(r.received).toHaveLength(1))
    await eventually(async () => {
      const [d] = (await deliveries(hub, company, webhook.webhook_id)).deliveries
      expect(d).toMatchObject({
        status: 'pending',
        attempts: 1,
        last_status_code: 500,
        last_error: 'HTTP 500: receiver unhappy',
      })
    })
    await eventually(() => expect(r.received).toHaveLength(3), {
      between: () => hub.clock.advance(DELIVERY_BACKOFF_MS),
    })
    const stamps = r.received.map((x) => x.body.timestamp as number)
    expect(stamps[1]! - stamps[0]!).toBeGreaterThanOrEqual(DELIVERY_BACKOFF_MS / 1000)
    expect(stamps[2]! - stamps[1]!).toBeGreaterThanOrEqual((2 * DELIVERY_BACKOFF_MS) / 1000)
    await eventually(async () => {
      const [d] = (await deliveries(hub, company, webhook.webhook_id)).deliveries
      expect(d).toMatchObject({ status: 'delivered', attempts: 3, last_status_code: 204, last_error: null })
    })
    const [row] = await hub.db.select().from(webhooks).where(eq(webhooks.webhookId, webhook.webhook_id))
    expect(row).toMatchObject({ active: true, consecutiveFailures: 0 })
  })

  it('sends one X-Switchboard-Delivery per (webhook, event), the same on every try and on a run again after a crash', async () => {
    const company = await hub.createCompany()
    const r = await receiver()
    const other = await receiver()
    r.answer((nth) => (nth === 1 ? 500 : 200))
    const webhook = await createWebhook(hub, company, { url: r.url })
    await createWebhook(hub, company, { url: other.url, events: ['contact.created'] })
    const deliveryOf = (x: Received) => x.headers['x-switchboard-delivery']

    await emit(hub, company, 'contact.created', { id: 1 })
    // Generous waits: background work on a loaded machine.
    await eventually(() => expect(r.received).toHaveLength(2), {
      timeoutMs: 20_000,
      between: () => hub.clock.advance(DELIVERY_BACKOFF_MS),
    })
    await eventually(() => expect(other.received).toHaveLength(1), 20_000)
    const [first, retry] = r.received
    // The retry is the same delivery: same header, and it is the id the deliveries log shows.
    expect(deliveryOf(retry!)).toBe(deliveryOf(first!))
    // The receiver has its answer before the hub records it.
    const log = await eventually(async () => {
      const found = await deliveries(hub, company, webhook.webhook_id)
      expect(found.deliveries).toEqual([expect.objectContaining({ status: 'delivered', attempts: 2 })])
      return found
    }, 20_000)
    expect(deliveryOf(first!)).toBe(String(log.deliveries[0]!.id))
    // Another webhook receiving the same event, and another event: other deliveries.
    expect(deliveryOf(other.received[0]!)).not.toBe(deliveryOf(first!))
    await emit(hub, company, 'contact.deleted', { id: 1 })
    await eventually(() => expect(r.received).toHaveLength(3), 20_000)
    const third = r.received[2]!
    expect(deliveryOf(third)).not.toBe(deliveryOf(first!))
    await eventually(async () => {
      const found = await deliveries(hub, company, webhook.webhook_id)
      expect(found.deliveries.filter((d) => d.status === 'delivered')).toHaveLength(2)
    }, 20_000)

    // A crash after the receiver answered but before the outcome was recorded: the job runs
    // again and the receiver gets the POST a second time, with the same key to drop it by.
    const deliveryId = Number(deliveryOf(third))
    await hub.db
      .update(webhookDeliveries)
      .set({ status: 'pending', deliveredAt: null })
      .where(eq(webhookDeliveries.id, deliveryId))
    await webhookDeliveryJob.run(hub.deps, {
      id: 'rerun',
      queue: webhookDeliveryJob.queue,
      name: webhookDeliveryJob.name,
      data: { deliveryId },
      attempt: 1,
      maxAttempts: webhookDeliveryJob.tries,
    })
    expect(r.received).toHaveLength(4)
    expect(deliveryOf(r.received[3]!)).toBe(deliveryOf(third))
    expect(r.received[3]!.body).toMatchObject({ event: 'contact.deleted', data: { id: 1 } })
  })

  it(`gives up after ${DELIVERY_ATTEMPTS} tries; the dead letter can be replayed`, async () => {
    const company = await hub.createCompany()
    const r = await receiver()
    r.answer(() => 502)
    const webhook = await createWebhook(hub, company, { url: r.url })
    await emit(hub, company, 'team.deleted', { id: 5 })
    await eventually(
      async () => {
        const [d] = (await deliveries(hub, company, webhook.webhook_id)).deliveries
        expect(d).toMatchObject({ status: 'failed', attempts: DELIVERY_ATTEMPTS, last_status_code: 502 })
      },
      {
        timeoutMs: 20_000,
        between: () => hub.clock.advance(DELIVERY_BACKOFF_MS * 2 ** (DELIVERY_ATTEMPTS - 2)),
      },
    )
    expect(r.received).toHaveLength(DELIVERY_ATTEMPTS)
    // The delivery row says "failed" from inside the last attempt; the queue files the dead
    // letter once that attempt has returned.
    const dead = await eventually(async () => {
      const found = (await listDeadJobs(hub.queue, { queues: hubQueues })).filter(
        (j) => j.queue === webhookDeliveryJob.queue,
      )
      expect(found).toHaveLength(1)
      return found
    })
    expect(dead[0]!.error).toContain('HTTP 502')

    r.answer(() => 200)
    await replayDeadJob(hub.queue, dead[0]!)
    await eventually(async () => {
      const [d] = (await deliveries(hub, company, webhook.webhook_id)).deliveries
      expect(d).toMatchObject({ status: 'delivered', attempts: DELIVERY_ATTEMPTS + 1, last_status_code: 200 })
    })
    // Replayed: no longer a dead letter. (Scoped to this job: the hub and its other queues are
    // shared with the rest of the file, and the clock has been pushed weeks ahead above.)
    const stillDead = await listDeadJobs(hub.queue, { queues: [webhookDeliveryJob.queue] })
    expect(stillDead.filter((j) => j.id === dead[0]!.id)).toEqual([])
  })

  // 50 sends twice over: seconds on a quiet machine, minutes at worst on one loaded past its cores.
  it(`disables a webhook after ${AUTO_DISABLE_AFTER} consecutive failures; its failed events keep retrying and one success re-enables it`, async () => {
    const company = await hub.createCompany()
    const r = await receiver()
    r.answer(() => 503)
    const webhook = await createWebhook(hub, company, { url: r.url })
    const path = `/v1/webhooks/${webhook.webhook_id}`
    const failEvents = (ids: number[]) =>
      hub.db.transaction(async (tx) => {
        for (const id of ids) await recordEvent(tx, hub.clock, company.id, 'contact.updated', { id })
      })
    const log = async () => (await deliveries(hub, company, webhook.webhook_id)).deliveries
    const isActive = async () => (await hub.call('GET', path, { auth: company.basic })).body.webhook.active
    // On a busy machine the receiver's answers take over a second: it then counts as slow, and
    // the sends past its company's share step aside until a time on the hub's clock. They are
    // brought due; the failed ones are not: each event is tried once. A send the receiver does
    // not answer within WEBHOOK_TIMEOUT_MS (a machine loaded past its cores) is a failure too.
    const timePasses = async () => setAsideDeliveriesDue(hub, company)
    const before = Array.from({ length: AUTO_DISABLE_AFTER - 1 }, (_, i) => i + 1)
    await failEvents(before)
    await eventually(
      async () => {
        await timePasses()
        const tried = (await log()).filter((d) => d.attempts === 1 && d.status === 'pending')
        expect(tried).toHaveLength(before.length)
      },
      { timeoutMs: 60_000 },
    )
    // One failure short: still active.
    expect(await isActive()).toBe(true)
    await failEvents([AUTO_DISABLE_AFTER])
    await eventually(
      async () => {
        await timePasses()
        expect(await isActive()).toBe(false)
      },
      { timeoutMs: 30_000 },
    )
    // Each event was sent once: no retry before the webhook turned off.
    expect(r.received.length).toBeLessThanOrEqual(AUTO_DISABLE_AFTER)

    // New events skip a disabled webhook.
    const ignored = await emit(hub, company, 'contact.deleted', { id: 1 })
    await fanOutDone(hub, ignored)
    expect((await deliveries(hub, company, webhook.webhook_id)).meta.total).toBe(AUTO_DISABLE_AFTER)

    // The events that failed are still pending (the 50th attempt records its outcome just after
    // it disabled the webhook), and are retried.
    await eventually(async () => {
      const list = await log()
      expect(list).toHaveLength(AUTO_DISABLE_AFTER)
      expect(list.every((d) => d.status === 'pending' && d.attempts === 1)).toBe(true)
    })
    // A client that edits the webhook and sends it back as it read it (active:false) does not
    // turn the auto-disable into an admin's switch-off.
    const renamed = await hub.call('PUT', path, {
      auth: company.basic,
      body: { custom_name: 'Renamed while down', active: false },
    })
    expect(renamed.body.webhook).toMatchObject({ custom_name: 'Renamed while down', active: false })
    r.answer(() => 200)
    await eventually(
      async () => {
        // Each once more, or more than once where a try timed out on a machine loaded past its cores.
        const list = await log()
        expect(list.every((d) => d.status === 'delivered' && d.attempts >= 2)).toBe(true)
      },
      { timeoutMs: 60_000, between: () => hub.clock.advance(DELIVERY_BACKOFF_MS) },
    )
    // The first success turned it back on: new events reach it again.
    const back = await hub.call('GET', path, { auth: company.basic })
    expect(back.body.webhook.active).toBe(true)
    expect(r.received.filter((x) => x.body.event === 'contact.deleted')).toEqual([])
    await emit(hub, company, 'user.created', { id: 2 })
    await eventually(() =>
      expect(r.received.filter((x) => x.body.event === 'user.created').map((x) => x.body.data)).toEqual([
        { id: 2 },
      ]),
    )
  }, 200_000)

  it('stops the pending retries of a webhook an admin switches off; active:true turns it back on', async () => {
    const company = await hub.createCompany()
    const r = await receiver()
    r.answer(() => 500)
    const webhook = await createWebhook(hub, company, { url: r.url })
    const path = `/v1/webhooks/${webhook.webhook_id}`
    await emit(hub, company, 'team.created', { id: 7 })
    await eventually(async () => {
      const [d] = (await deliveries(hub, company, webhook.webhook_id)).deliveries
      expect(d).toMatchObject({ status: 'pending', attempts: 1 })
    })

    const off = await hub.call('PUT', path, { auth: company.basic, body: { active: false } })
    expect(off.body.webhook.active).toBe(false)
    r.answer(() => 200)
    await eventually(
      async () => {
        const [d] = (await deliveries(hub, company, webhook.webhook_id)).deliveries
        expect(d).toMatchObject({
          status: 'failed',
          attempts: 1,
          last_error: 'not sent: the webhook is disabled',
        })
      },
      { between: () => hub.clock.advance(DELIVERY_BACKOFF_MS) },
    )
    expect(r.received).toHaveLength(1)

    const on = await hub.call('PUT', path, { auth: company.basic, body: { active: true } })
    expect(on.body.webhook.active).toBe(true)
    await emit(hub, company, 'user.created', { id: 2 })
    await eventually(() => expect(r.received).toHaveLength(2))
    expect(r.received.at(-1)!.body).toMatchObject({ event: 'user.created', data: { id: 2 } })
  })

  it('drops the pending retries of a deleted webhook quietly', async () => {
    const company = await hub.createCompany()
    const r = await receiver()
    r.answer(() => 500)
    const webhook = await createWebhook(hub, company, { url: r.url })
    await emit(hub, company, 'user.deleted', { id: 3 })
    await eventually(() => expect(r.received).toHaveLength(1))
    const [row] = await hub.db.select().from(webhooks).where(eq(webhooks.webhookId, webhook.webhook_id))
    const [delivery] = await hub.db
      .select()
      .from(webhookDeliveries)
      .where(eq(webhookDeliveries.webhookId, row!.id))
    const jobState = async () =>
      (
        await hub.db
          .select({ state: jobs.state })
          .from(jobs)
          .where(and(eq(jobs.queue, webhookDeliveryJob.queue), eq(jobs.jobKey, `delivery:${delivery!.id}`)))
      )[0]?.state
    await eventually(async () => expect(await jobState()).toBe('waiting'))
    expect(
      (await hub.call('DELETE', `/v1/webhooks/${webhook.webhook_id}`, { auth: company.basic })).status,
    ).toBe(204)
    await eventually(async () => expect(await jobState()).toBe('completed'), {
      between: () => hub.clock.advance(DELIVERY_BACKOFF_MS),
    })
    expect(r.received).toHaveLength(1)
    const deadLetters = await hub.queue.listFailed(webhookDeliveryJob.queue)
    expect(
      deadLetters.filter((j) => (j.data as { deliveryId?: number }).deliveryId === delivery!.id),
    ).toEqual([])
  })
})

describe('each company’s window of queued deliveries', () => {
  let hub: TestHub
  beforeAll(async () => {
    hub = await createTestHub({ workers: true, env: pollingEnv })
  })
  afterAll(() => hub.close())

  it(`queues ${WEBHOOK_WINDOW} of a webhook’s burst at a time: another company’s later event goes ahead of the rest`, async () => {
    const busy = await hub.createCompany()
    const other = await hub.createCompany()
    const flood = await receiver()
    const prompt = await receiver()
    // The busy company's receiver answers once the other company's event is queued: what was
    // queued before it is then exactly what goes ahead of it.
    let open!: () => void
    const gate = new Promise<void>((resolve) => {
      open = resolve
    })
    flood.answer(() => gate.then(() => 200))
    let floodWhenPrompted = -1
    prompt.answer(() => {
      floodWhenPrompted = flood.received.length
      return 200
    })
    await createWebhook(hub, busy, { url: flood.url })
    await createWebhook(hub, other, { url: prompt.url })
    const total = 4 * DELIVERY_WINDOW
    await fanOutDone(hub, await burst(hub, busy, total))
    const waiting = await hub.db
      .select({ id: webhookDeliveries.id })
      .from(webhookDeliveries)
      .where(and(eq(webhookDeliveries.companyId, busy.id), isNull(webhookDeliveries.queuedAt)))
    expect(waiting).toHaveLength(total - WEBHOOK_WINDOW)
    // The deliveries' log says which wait for the window: the newest do, the oldest are queued.
    const [hook] = (await hub.call('GET', '/v1/webhooks', { auth: busy.basic })).body.webhooks as {
      webhook_id: string
    }[]
    const log = await hub.call('GET', `/v1/webhooks/${hook!.webhook_id}/deliveries?per_page=50`, {
      auth: busy.basic,
    })
    expect(log.status).toBe(200)
    const listed = log.body.deliveries as { id: number; queued_at: string | null }[]
    const queuedIds = new Set(
      (
        await hub.db
          .select({ id: webhookDeliveries.id })
          .from(webhookDeliveries)
          .where(and(eq(webhookDeliveries.companyId, busy.id), isNotNull(webhookDeliveries.queuedAt)))
      ).map((r) => r.id),
    )
    expect(listed.length).toBeGreaterThan(0)
    for (const d of listed) expect(d.queued_at !== null).toBe(queuedIds.has(d.id))
    await fanOutDone(hub, await emit(hub, other, 'contact.created', { id: 1 }))
    open()

    // The gated receiver's answers took as long as the steps above (over a second on a busy
    // machine): it then counts as slow, and the deliveries past its company's share step aside
    // until a time on the hub's clock. Time passes.
    const timePasses = { between: () => hub.clock.advance(1_000) }
    await eventually(() => expect(prompt.received).toHaveLength(1), timePasses)
    // Behind the busy company's window (and the sends running with it), not its whole burst.
    expect(floodWhenPrompted).toBeGreaterThanOrEqual(0)
    expect(floodWhenPrompted).toBeLessThan(2 * DELIVERY_WINDOW)
    // The rest of the burst follows, each event once.
    await eventually(() => expect(flood.received).toHaveLength(total), { ...timePasses, timeoutMs: 30_000 })
    const ids = new Set(flood.received.map((r) => (r.body.data as { id: number }).id))
    expect(ids.size).toBe(total)
    await eventually(async () => {
      const left = await hub.db
        .select({ id: webhookDeliveries.id })
        .from(webhookDeliveries)
        .where(and(eq(webhookDeliveries.companyId, busy.id), eq(webhookDeliveries.status, 'pending')))
      expect(left).toHaveLength(0)
    }, timePasses)
    expect(flood.received).toHaveLength(total)
  })

  it('gives a delivery queued a minute ago and never tried its job again (an add to Redis that failed)', async () => {
    const company = await hub.createCompany()
    const r = await receiver()
    const webhook = await createWebhook(hub, company, { url: r.url })
    await relayedDeliveries(hub, company, webhook.webhook_id, [{ id: 7, queued: true }])
    // Not yet a minute: its job may still be on its way.
    await sweepDeliveryWindows(hub)
    await new Promise((resolve) => setTimeout(resolve, 300))
    expect(r.received).toHaveLength(0)
    hub.clock.advance(61_000)
    await sweepDeliveryWindows(hub)
    await eventually(() => expect(r.received.map((x) => x.body.data)).toEqual([{ id: 7 }]))
  })

  it('sends, at a worker’s start, queued deliveries whose jobs were lost and the backlog behind them', async () => {
    const company = await hub.createCompany()
    const r = await receiver()
    const webhook = await createWebhook(hub, company, { url: r.url })
    // As a crash leaves them: one delivery queued whose job never reached Redis, one waiting in
    // the backlog whose refill never ran; their events were relayed.
    await relayedDeliveries(hub, company, webhook.webhook_id, [
      { id: 1, queued: true },
      { id: 2, queued: false },
    ])
    expect(await rearmDeliveries(hub)).toBeGreaterThanOrEqual(1)
    const sent = () => r.received.map((x) => (x.body.data as { id: number }).id).sort()
    await eventually(() => expect(sent()).toEqual([1, 2]))
    await eventually(async () => {
      const log = (await deliveries(hub, company, webhook.webhook_id)).deliveries
      expect(log.map((d) => d.status)).toEqual(['delivered', 'delivered'])
    })
  })
})

describe('delivery timeout', () => {
  let hub: TestHub
  beforeAll(async () => {
    hub = await createTestHub({ workers: true, env: { ...pollingEnv, WEBHOOK_TIMEOUT_MS: '200' } })
  })
  afterAll(() => hub.close())

  it('counts a receiver that does not answer within WEBHOOK_TIMEOUT_MS as a failure', async () => {
    const company = await hub.createCompany()
    const r = await receiver()
    r.answer(() => 'hang')
    const webhook = await createWebhook(hub, company, { url: r.url })
    await emit(hub, company, 'user.created', { id: 1 })
    await eventually(async () => {
      const [d] = (await deliveries(hub, company, webhook.webhook_id)).deliveries
      expect(d).toMatchObject({ status: 'pending', attempts: 1, last_status_code: null })
      expect(d!.last_error).toBe('timed out after 200 ms')
    })
  })
})

describe('webhook deliveries shared between companies', () => {
  let hub: TestHub
  beforeAll(async () => {
    // Long enough that, without shares, one company's hanging sends would hold every slot of
    // the worker for the whole test.
    hub = await createTestHub({ workers: true, env: { ...pollingEnv, WEBHOOK_TIMEOUT_MS: '60000' } })
  })
  afterAll(() => hub.close())

  it(`a receiver that does not answer holds ${DELIVERIES_PER_COMPANY} sends, and another company's webhooks go on`, async () => {
    const stuck = await hub.createCompany()
    const other = await hub.createCompany()
    const silent = await receiver()
    silent.answer(() => 'hang')
    const prompt = await receiver()
    const stuckHook = await createWebhook(hub, stuck, { url: silent.url })
    await createWebhook(hub, other, { url: prompt.url })
    // More events than the delivery queue runs at once (64).
    let last = 0
    for (let i = 1; i <= 100; i++) last = await emit(hub, stuck, 'contact.created', { id: i })
    await fanOutDone(hub, last)
    await eventually(() => expect(silent.received).toHaveLength(DELIVERIES_PER_COMPANY))

    const sent = await emit(hub, other, 'contact.created', { id: 1 })
    // Delivered while the silent receiver still holds the stuck company's sends.
    await eventually(() => expect(prompt.received.map((r) => r.body.data)).toEqual([{ id: 1 }]), 5_000)
    expect(silent.received).toHaveLength(DELIVERIES_PER_COMPANY)
    await eventually(async () => {
      const [row] = await hub.db
        .select({ status: webhookDeliveries.status })
        .from(webhookDeliveries)
        .where(eq(webhookDeliveries.outboxId, sent))
      expect(row?.status).toBe('delivered')
    })
    // The stuck company's other deliveries wait their turn, later, their tries untouched.
    const log = (await deliveries(hub, stuck, stuckHook.webhook_id)).deliveries
    expect(log.every((d) => d.status === 'pending')).toBe(true)
    const [row] = await hub.db
      .select({ id: webhooks.id })
      .from(webhooks)
      .where(eq(webhooks.webhookId, stuckHook.webhook_id))
    const ids = (
      await hub.db
        .select({ id: webhookDeliveries.id })
        .from(webhookDeliveries)
        .where(eq(webhookDeliveries.webhookId, row!.id))
    ).map((d) => `delivery:${d.id}`)
    await eventually(async () => {
      const parked = await hub.db
        .select({ attempts: jobs.attempts, runAt: jobs.runAt })
        .from(jobs)
        .where(
          and(eq(jobs.queue, webhookDeliveryJob.queue), eq(jobs.state, 'waiting'), inArray(jobs.jobKey, ids)),
        )
      expect(parked.length).toBe(100 - DELIVERIES_PER_COMPANY)
      expect(parked.every((j) => j.attempts === 0 && j.runAt > hub.clock.now())).toBe(true)
    })
  })

  it('keeps a slow receiver to its part of the company’s window: the company’s other webhook goes on', async () => {
    const company = await hub.createCompany()
    const silent = await receiver()
    silent.answer(() => 'hang')
    const prompt = await receiver()
    await createWebhook(hub, company, { url: silent.url, events: ['contact.created'] })
    await createWebhook(hub, company, { url: prompt.url, events: ['user.created'] })
    await fanOutDone(hub, await burst(hub, company, DELIVERY_WINDOW + 50))
    await eventually(() => expect(silent.received).toHaveLength(DELIVERIES_PER_COMPANY))
    const sent = await emit(hub, company, 'user.created', { id: 1 })
    // Queued at once (the silent receiver holds only its webhook's part of the window), and
    // sent while the silent receiver still holds the company's share of slow sends.
    await eventually(() => expect(prompt.received.map((r) => r.body.data)).toEqual([{ id: 1 }]), 5_000)
    const [row] = await hub.db
      .select({ status: webhookDeliveries.status })
      .from(webhookDeliveries)
      .where(eq(webhookDeliveries.outboxId, sent))
    expect(row?.status).not.toBe('failed')
    const backlog = await hub.db
      .select({ id: webhookDeliveries.id })
      .from(webhookDeliveries)
      .where(and(eq(webhookDeliveries.companyId, company.id), isNull(webhookDeliveries.queuedAt)))
    expect(backlog).toHaveLength(DELIVERY_WINDOW + 50 - WEBHOOK_WINDOW)
  })

  it('gives the window of a deleted webhook’s deliveries to the company’s other webhooks', async () => {
    const company = await hub.createCompany()
    const silent = await receiver()
    silent.answer(() => 'hang')
    const prompt = await receiver()
    // Two silent webhooks fill the company's window between them.
    const stuck = await createWebhook(hub, company, { url: silent.url, events: ['contact.created'] })
    await createWebhook(hub, company, { url: `${silent.url}/2`, events: ['contact.created'] })
    await createWebhook(hub, company, { url: prompt.url, events: ['user.created'] })
    await fanOutDone(hub, await burst(hub, company, DELIVERY_WINDOW))
    const sent = await emit(hub, company, 'user.created', { id: 1 })
    await fanOutDone(hub, sent)
    // The window is full of the silent receivers' deliveries: this one waits in the backlog.
    const [waiting] = await hub.db
      .select({ queuedAt: webhookDeliveries.queuedAt })
      .from(webhookDeliveries)
      .where(eq(webhookDeliveries.outboxId, sent))
    expect(waiting?.queuedAt).toBeNull()

    expect(
      (await hub.call('DELETE', `/v1/webhooks/${stuck.webhook_id}`, { auth: company.basic })).status,
    ).toBe(204)
    // The deleted webhook's parked jobs come back, find nothing to send and free their room.
    await eventually(() => expect(prompt.received.map((r) => r.body.data)).toEqual([{ id: 1 }]), {
      timeoutMs: 15_000,
      between: () => hub.clock.advance(5_000),
    })
  })
})

describe('webhook URL safety (WEBHOOKS_ALLOW_PRIVATE off)', () => {
  let hub: TestHub
  beforeAll(async () => {
    hub = await createTestHub({ workers: true, env: { ...pollingEnv, WEBHOOKS_ALLOW_PRIVATE: 'false' } })
  })
  afterAll(() => hub.close())

  it.each([
    ['http://receiver.example.com/hook', 'https'],
    ['https://127.0.0.1/hook', 'private'],
    ['https://localhost/hook', 'not a public host'],
    ['https://api.localhost/hook', 'not a public host'],
    ['https://[::1]/hook', 'private'],
    ['https://[::ffff:127.0.0.1]/hook', 'private'],
    ['https://10.1.2.3/hook', 'private'],
    ['https://172.20.0.1/hook', 'private'],
    ['https://192.168.1.10/hook', 'private'],
    ['https://169.254.169.254/latest/meta-data', 'private'],
    ['https://100.64.0.1/hook', 'private'],
    ['https://0.0.0.0/hook', 'private'],
    ['https://[fd12:3456::1]/hook', 'private'],
    ['https://[fe80::1]/hook', 'private'],
  ])('refuses %s with 400 naming url', async (url, why) => {
    const company = await hub.createCompany()
    const res = await hub.call('POST', '/v1/webhooks', { auth: company.basic, body: { url } })
    expect(res.status).toBe(400)
    expect(res.body.field).toBe('url')
    expect(res.body.message).toContain(why)
  })

  it('refuses a loopback URL on update too', async () => {
    const company = await hub.createCompany()
    const [row] = await hub.db
      .insert(webhooks)
      .values({
        companyId: company.id,
        url: 'https://receiver.example.com/x',
        token: 't',
        signingSecret: 's',
      })
      .returning()
    const res = await hub.call('PUT', `/v1/webhooks/${row!.webhookId}`, {
      auth: company.basic,
      body: { url: 'https://127.0.0.1:8080/x' },
    })
    expect(res.status).toBe(400)
    expect(res.body.field).toBe('url')
  })

  it('checks again when delivering, and does not send to a private address', async () => {
    const company = await hub.createCompany()
    const r = await receiver()
    // As if the host's DNS had changed after creation: the stored URL now points at loopback.
    const [row] = await hub.db
      .insert(webhooks)
      .values({
        companyId: company.id,
        url: `https://127.0.0.1:${r.port}/hooks`,
        token: 'tok',
        signingSecret: 'whsec_x',
      })
      .returning()
    await emit(hub, company, 'user.created', { id: 1 })
    await eventually(async () => {
      const [d] = (await deliveries(hub, company, row!.webhookId)).deliveries
      expect(d).toMatchObject({ status: 'failed', attempts: 1, last_status_code: null })
      expect(d!.last_error).toMatch(/^refused: host 127\.0\.0\.1 is a private/)
    })
    expect(r.received).toEqual([])
    // The row says "failed" from inside the attempt; the queue files the dead letter once the
    // attempt has returned (UnrecoverableJobError: at once, without retrying).
    const [delivery] = await hub.db
      .select({ id: webhookDeliveries.id })
      .from(webhookDeliveries)
      .where(eq(webhookDeliveries.webhookId, row!.id))
    await eventually(async () => {
      const dead = await hub.queue.listFailed(webhookDeliveryJob.queue)
      const mine = dead.filter((j) => deliveryJobData.safeParse(j.data).data?.deliveryId === delivery!.id)
      expect(mine).toHaveLength(1)
      expect(mine[0]).toMatchObject({ attempts: 1 })
    })
  })
})
