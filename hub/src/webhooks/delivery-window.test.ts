import { and, eq, inArray } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestHub, type TestCompany, type TestHub } from '../../test/helpers/hub.ts'
import { webhookDeliveries, webhooks } from '../db/schema/index.ts'
import { DELIVERY_WINDOW, fillDeliveryWindows, WEBHOOK_WINDOW } from './delivery-window.ts'

// No workers: the rows stay as these tests write them.
let hub: TestHub
beforeAll(async () => {
  hub = await createTestHub()
})
afterAll(() => hub.close())

let outboxId = 1_000_000
/** `count` deliveries to the webhook, oldest first: queued (in the window) or waiting in its backlog. */
async function deliveries(
  company: TestCompany,
  webhookId: number,
  count: number,
  state: { queued: boolean; attempts?: number },
) {
  const now = hub.clock.now()
  const rows = await hub.db
    .insert(webhookDeliveries)
    .values(
      Array.from({ length: count }, () => ({
        companyId: company.id,
        webhookId,
        outboxId: outboxId++,
        event: 'contact.created',
        attempts: state.attempts ?? 0,
        queuedAt: state.queued ? now : null,
      })),
    )
    .returning({ id: webhookDeliveries.id })
  return rows.map((r) => r.id)
}

async function hooks(company: TestCompany, n: number) {
  const rows = await hub.db
    .insert(webhooks)
    .values(
      Array.from({ length: n }, (_, i) => ({
        companyId: company.id,
        url: `https://receiver${i}.example.com/hooks`,
        token: 't',
        signingSecret: 's',
      })),
    )
    .returning({ id: webhooks.id })
  return rows.map((r) => r.id)
}

const fill = (companyIds: number[]) =>
  hub.db.transaction((tx) => fillDeliveryWindows(tx, hub.clock.now(), companyIds))

describe('delivery windows', () => {
  it(`queues up to ${WEBHOOK_WINDOW} of a webhook’s backlog and ${DELIVERY_WINDOW} of a company’s, oldest first`, async () => {
    const company = await hub.createCompany()
    const [a, b] = await hooks(company, 2)
    const first = await deliveries(company, a!, 300, { queued: false })
    const second = await deliveries(company, b!, 300, { queued: false })
    const taken = (await fill([company.id])).map((d) => d.id)
    expect(taken).toHaveLength(DELIVERY_WINDOW)
    // Taking turns: half each, each webhook's oldest.
    expect(taken.filter((id) => first.includes(id))).toEqual(first.slice(0, DELIVERY_WINDOW / 2))
    expect(taken.filter((id) => second.includes(id))).toEqual(second.slice(0, DELIVERY_WINDOW / 2))
    // Full: nothing more until a delivery leaves.
    expect(await fill([company.id])).toEqual([])
    // One delivered, one failed its first try (its retry waits outside the window): two more.
    await hub.db
      .update(webhookDeliveries)
      .set({ status: 'delivered' })
      .where(eq(webhookDeliveries.id, first[0]!))
    await hub.db.update(webhookDeliveries).set({ attempts: 1 }).where(eq(webhookDeliveries.id, second[0]!))
    expect((await fill([company.id])).map((d) => d.id).sort((x, y) => x - y)).toEqual([
      first[DELIVERY_WINDOW / 2]!,
      second[DELIVERY_WINDOW / 2]!,
    ])

    const alone = await hub.createCompany()
    const [c] = await hooks(alone, 1)
    const backlog = await deliveries(alone, c!, 300, { queued: false })
    expect((await fill([alone.id])).map((d) => d.id)).toEqual(backlog.slice(0, WEBHOOK_WINDOW))
  })

  it('gives the room freed to the webhooks in turns: a long backlog does not keep a newer one out', async () => {
    const company = await hub.createCompany()
    const [held, long, fresh] = await hooks(company, 3)
    // All but 6 of the company's window taken; a long backlog, then one newer delivery.
    await deliveries(company, held!, DELIVERY_WINDOW - 6, { queued: true })
    const old = await deliveries(company, long!, 300, { queued: false })
    const [newest] = await deliveries(company, fresh!, 1, { queued: false })
    const taken = (await fill([company.id])).map((d) => d.id).sort((x, y) => x - y)
    expect(taken).toEqual([...old.slice(0, 5), newest])
  })

  it('leaves other companies’ deliveries alone', async () => {
    const mine = await hub.createCompany()
    const theirs = await hub.createCompany()
    const [a] = await hooks(mine, 1)
    const [b] = await hooks(theirs, 1)
    await deliveries(mine, a!, 3, { queued: false })
    const waiting = await deliveries(theirs, b!, 3, { queued: false })
    expect((await fill([mine.id])).every((d) => d.companyId === mine.id)).toBe(true)
    const still = await hub.db
      .select({ queuedAt: webhookDeliveries.queuedAt })
      .from(webhookDeliveries)
      .where(and(inArray(webhookDeliveries.id, waiting)))
    expect(still.every((r) => r.queuedAt === null)).toBe(true)
  })
})
