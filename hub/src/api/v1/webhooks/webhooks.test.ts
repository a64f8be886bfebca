import { eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestHub, type TestCompany, type TestHub } from '../../../../test/helpers/hub.ts'
import { securityCases } from '../../../../test/helpers/security.ts'
import { webhookDeliveries, webhooks } from '../../../db/schema/index.ts'
import { eventNames } from '../../../events/outbox.ts'
import { MAX_WEBHOOKS_PER_COMPANY } from '../../../services/webhooks/webhook-service.ts'

let hub: TestHub
beforeAll(async () => {
  hub = await createTestHub()
})
afterAll(() => hub.close())

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/

async function createWebhook(company: TestCompany, body: Record<string, unknown> = {}) {
  const res = await hub.call('POST', '/v1/webhooks', {
    auth: company.basic,
    body: { url: 'https://receiver.example.com/hooks', ...body },
  })
  expect(res.status).toBe(201)
  return res.body.webhook as { webhook_id: string; token: string; signing_secret: string; events: string[] }
}

const webhookPath = async (company: TestCompany) =>
  `/v1/webhooks/${(await createWebhook(company)).webhook_id}`

describe('POST /v1/webhooks', () => {
  it('creates a webhook on every event, with a token and a signing secret shown once', async () => {
    const company = await hub.createCompany()
    const res = await hub.call('POST', '/v1/webhooks', {
      auth: company.basic,
      body: { url: 'https://receiver.example.com/aircall' },
    })
    expect(res.status).toBe(201)
    const webhook = res.body.webhook
    expect(webhook).toEqual({
      webhook_id: expect.stringMatching(UUID),
      direct_link: `http://hub.test/v1/webhooks/${webhook.webhook_id}`,
      created_at: hub.clock.now().toISOString(),
      custom_name: 'Webhook',
      url: 'https://receiver.example.com/aircall',
      active: true,
      token: expect.stringMatching(/^[0-9a-f]{32}$/),
      events: [...eventNames],
      signing_secret: expect.stringMatching(/^whsec_/),
    })
    const read = await hub.call('GET', `/v1/webhooks/${webhook.webhook_id}`, { auth: company.basic })
    expect(read.body.webhook.token).toBe(webhook.token)
    expect(read.body.webhook).not.toHaveProperty('signing_secret')
  })

  it('keeps the chosen name and events (deduplicated)', async () => {
    const company = await hub.createCompany()
    const res = await hub.call('POST', '/v1/webhooks', {
      auth: company.adminBearer,
      body: {
        url: 'https://receiver.example.com/x',
        custom_name: '  CRM bridge ',
        events: ['user.created', 'contact.deleted', 'user.created'],
      },
    })
    expect(res.status).toBe(201)
    expect(res.body.webhook).toMatchObject({
      custom_name: 'CRM bridge',
      events: ['user.created', 'contact.deleted'],
    })
  })

  it('treats an empty events list as every event', async () => {
    const company = await hub.createCompany()
    const webhook = await createWebhook(company, { events: [] })
    expect(webhook.events).toEqual([...eventNames])
  })

  it.each([
    [{}, 'url'],
    [{ url: '' }, 'url'],
    [{ url: 'not a url' }, 'url'],
    [{ url: 'ftp://receiver.example.com/x' }, 'url'],
    [{ url: 'https://receiver.example.com', events: ['call.exploded'] }, 'events.0'],
    [{ url: 'https://receiver.example.com', events: 'user.created' }, 'events'],
    [{ url: 'https://receiver.example.com', custom_name: '' }, 'custom_name'],
    [{ url: 'https://receiver.example.com', custom_name: 'x'.repeat(256) }, 'custom_name'],
  ])('refuses %j with 400 naming %s', async (body, field) => {
    const company = await hub.createCompany()
    const res = await hub.call('POST', '/v1/webhooks', { auth: company.basic, body })
    expect(res.status).toBe(400)
    expect(res.body.field).toBe(field)
    expect(res.body.message).toContain(field)
  })

  it('refuses a malformed JSON body with 400', async () => {
    const company = await hub.createCompany()
    const res = await hub.call('POST', '/v1/webhooks', { auth: company.basic, body: '{"url":' })
    expect(res.status).toBe(400)
  })

  it(`caps a company at ${MAX_WEBHOOKS_PER_COMPANY} webhooks`, async () => {
    const company = await hub.createCompany()
    const other = await hub.createCompany()
    await hub.db.insert(webhooks).values(
      Array.from({ length: MAX_WEBHOOKS_PER_COMPANY - 1 }, (_, i) => ({
        companyId: company.id,
        url: `https://receiver.example.com/${i}`,
        token: `t${i}`,
        signingSecret: `s${i}`,
      })),
    )
    await createWebhook(company)
    const res = await hub.call('POST', '/v1/webhooks', {
      auth: company.basic,
      body: { url: 'https://receiver.example.com/one-too-many' },
    })
    expect(res.status).toBe(400)
    expect(res.body.message).toContain(String(MAX_WEBHOOKS_PER_COMPANY))
    // The cap is per company.
    await createWebhook(other)
  })

  securityCases(() => hub, {
    method: 'POST',
    path: () => '/v1/webhooks',
    body: { url: 'https://receiver.example.com/x' },
    adminOnly: true,
  })
})

describe('GET /v1/webhooks', () => {
  it('pages the company’s webhooks in creation order, tokens included', async () => {
    const company = await hub.createCompany()
    const other = await hub.createCompany()
    await createWebhook(other, { custom_name: 'not mine' })
    const made = []
    for (const name of ['first', 'second', 'third']) {
      made.push(await createWebhook(company, { custom_name: name }))
      hub.clock.advance(1000)
    }
    const page1 = await hub.call('GET', '/v1/webhooks?per_page=2', { auth: company.basic })
    expect(page1.status).toBe(200)
    expect(page1.body.webhooks.map((w: { custom_name: string }) => w.custom_name)).toEqual([
      'first',
      'second',
    ])
    expect(page1.body.webhooks[0].token).toBe(made[0]!.token)
    expect(page1.body.webhooks[0]).not.toHaveProperty('signing_secret')
    expect(page1.body.meta).toEqual({
      count: 2,
      total: 3,
      current_page: 1,
      per_page: 2,
      next_page_link: 'http://hub.test/v1/webhooks?per_page=2&page=2',
      previous_page_link: null,
    })
    const page2 = await hub.call('GET', '/v1/webhooks?per_page=2&page=2', { auth: company.basic })
    expect(page2.body.webhooks.map((w: { custom_name: string }) => w.custom_name)).toEqual(['third'])
    const desc = await hub.call('GET', '/v1/webhooks?order=desc', { auth: company.adminBearer })
    expect(desc.body.webhooks.map((w: { custom_name: string }) => w.custom_name)).toEqual([
      'third',
      'second',
      'first',
    ])
  })

  it('refuses bad paging with 400', async () => {
    const company = await hub.createCompany()
    for (const query of ['per_page=51', 'page=0', 'order=sideways']) {
      const res = await hub.call('GET', `/v1/webhooks?${query}`, { auth: company.basic })
      expect(res.status, query).toBe(400)
      expect(res.body.field).toBe(query.split('=')[0])
    }
  })

  securityCases(() => hub, { method: 'GET', path: () => '/v1/webhooks', adminOnly: true })
})

describe('GET /v1/webhooks/:webhook_id', () => {
  it('finds a webhook by its UUID, and by the old numeric id', async () => {
    const company = await hub.createCompany()
    const webhook = await createWebhook(company, { custom_name: 'by id' })
    const byUuid = await hub.call('GET', `/v1/webhooks/${webhook.webhook_id.toUpperCase()}`, {
      auth: company.basic,
    })
    expect(byUuid.status).toBe(200)
    expect(byUuid.body.webhook).toMatchObject({ webhook_id: webhook.webhook_id, custom_name: 'by id' })
    const mine = (await hub.db.select().from(webhooks)).find((w) => w.webhookId === webhook.webhook_id)!
    const ours = await hub.call('GET', `/v1/webhooks/${mine.id}`, { auth: company.basic })
    expect(ours.status).toBe(200)
    expect(ours.body.webhook.webhook_id).toBe(webhook.webhook_id)
  })

  it('answers 404 to unknown and malformed ids', async () => {
    const company = await hub.createCompany()
    for (const id of ['00000000-0000-4000-8000-000000000000', '999999999', '99999999999', 'nope', '1.5']) {
      const res = await hub.call('GET', `/v1/webhooks/${id}`, { auth: company.basic })
      expect(res.status, id).toBe(404)
    }
  })

  securityCases(() => hub, { method: 'GET', path: webhookPath, adminOnly: true, ownedResource: true })
})

describe('PUT /v1/webhooks/:webhook_id', () => {
  it('updates url, name and events; events left out means every event again', async () => {
    const company = await hub.createCompany()
    const webhook = await createWebhook(company, { events: ['user.created'] })
    const path = `/v1/webhooks/${webhook.webhook_id}`
    const res = await hub.call('PUT', path, {
      auth: company.basic,
      body: { url: 'https://other.example.com/hook', custom_name: 'Renamed', events: ['team.created'] },
    })
    expect(res.status).toBe(200)
    expect(res.body.webhook).toMatchObject({
      webhook_id: webhook.webhook_id,
      url: 'https://other.example.com/hook',
      custom_name: 'Renamed',
      events: ['team.created'],
      token: webhook.token,
      active: true,
    })
    // Aircall: an update without `events` subscribes to all events; other fields are kept.
    const rename = await hub.call('PUT', path, { auth: company.basic, body: { custom_name: 'Again' } })
    expect(rename.body.webhook).toMatchObject({
      url: 'https://other.example.com/hook',
      custom_name: 'Again',
      events: [...eventNames],
    })
    const read = await hub.call('GET', path, { auth: company.basic })
    expect(read.body.webhook).toEqual(rename.body.webhook)
  })

  it('adds and removes events with events_action', async () => {
    const company = await hub.createCompany()
    const webhook = await createWebhook(company, { events: ['user.created'] })
    const path = `/v1/webhooks/${webhook.webhook_id}`
    const added = await hub.call('PUT', `${path}?events_action=add`, {
      auth: company.basic,
      body: { events: ['team.created', 'user.created'] },
    })
    expect(added.status).toBe(200)
    expect(added.body.webhook.events).toEqual(['user.created', 'team.created'])
    const removed = await hub.call('PUT', `${path}?events_action=remove`, {
      auth: company.basic,
      body: { events: ['user.created'] },
    })
    expect(removed.body.webhook.events).toEqual(['team.created'])
    const refused = await hub.call('PUT', `${path}?events_action=remove`, {
      auth: company.basic,
      body: { events: ['team.created'] },
    })
    expect(refused.status).toBe(400)
    expect(refused.body.field).toBe('events')
    expect((await hub.call('GET', path, { auth: company.basic })).body.webhook.events).toEqual([
      'team.created',
    ])

    // From "every event": removing one lists the others; adding keeps "every event".
    const all = await createWebhook(company)
    const allPath = `/v1/webhooks/${all.webhook_id}`
    const stillAll = await hub.call('PUT', `${allPath}?events_action=add`, {
      auth: company.basic,
      body: { events: ['user.created'] },
    })
    expect(stillAll.body.webhook.events).toEqual([...eventNames])
    const allButOne = await hub.call('PUT', `${allPath}?events_action=remove`, {
      auth: company.basic,
      body: { events: ['user.deleted'] },
    })
    expect(allButOne.body.webhook.events).toEqual(eventNames.filter((e) => e !== 'user.deleted'))
  })

  it('disables and re-enables a webhook, resetting its failure count', async () => {
    const company = await hub.createCompany()
    const webhook = await createWebhook(company)
    const path = `/v1/webhooks/${webhook.webhook_id}`
    const off = await hub.call('PUT', path, { auth: company.basic, body: { active: false } })
    expect(off.body.webhook.active).toBe(false)
    // This webhook only: the hub (and its webhooks table) is shared by the whole file.
    await hub.db
      .update(webhooks)
      .set({ consecutiveFailures: 50 })
      .where(eq(webhooks.webhookId, webhook.webhook_id))
    const on = await hub.call('PUT', path, { auth: company.basic, body: { active: true } })
    expect(on.body.webhook.active).toBe(true)
    const rows = await hub.db.select().from(webhooks)
    expect(rows.find((w) => w.webhookId === webhook.webhook_id)!.consecutiveFailures).toBe(0)
  })

  it.each([
    ['', { url: 'nope' }, 'url'],
    ['', { url: 'ftp://x.example.com' }, 'url'],
    ['', { events: ['no.such'] }, 'events.0'],
    ['', { custom_name: '' }, 'custom_name'],
    ['', { active: 'yes' }, 'active'],
    ['?events_action=replace', { events: ['user.created'] }, 'events_action'],
    ['?events_action=add', {}, 'events'],
    ['?events_action=remove', { events: [] }, 'events'],
  ])('refuses %s %j with 400 naming %s', async (query, body, field) => {
    const company = await hub.createCompany()
    const webhook = await createWebhook(company, { events: ['user.created'] })
    const res = await hub.call('PUT', `/v1/webhooks/${webhook.webhook_id}${query}`, {
      auth: company.basic,
      body,
    })
    expect(res.status).toBe(400)
    expect(res.body.field).toBe(field)
    const after = await hub.call('GET', `/v1/webhooks/${webhook.webhook_id}`, { auth: company.basic })
    expect(after.body.webhook.events).toEqual(['user.created'])
  })

  it('answers 404 to an unknown webhook', async () => {
    const company = await hub.createCompany()
    const res = await hub.call('PUT', '/v1/webhooks/00000000-0000-4000-8000-000000000000', {
      auth: company.basic,
      body: { custom_name: 'x' },
    })
    expect(res.status).toBe(404)
  })

  securityCases(() => hub, {
    method: 'PUT',
    path: webhookPath,
    body: { custom_name: 'hijacked' },
    adminOnly: true,
    ownedResource: true,
  })
})

describe('DELETE /v1/webhooks/:webhook_id', () => {
  it('deletes the webhook (204), then it is gone', async () => {
    const company = await hub.createCompany()
    const webhook = await createWebhook(company)
    const path = `/v1/webhooks/${webhook.webhook_id}`
    const res = await hub.call('DELETE', path, { auth: company.basic })
    expect(res.status).toBe(204)
    expect(res.body).toBeNull()
    expect((await hub.call('GET', path, { auth: company.basic })).status).toBe(404)
    expect((await hub.call('DELETE', path, { auth: company.basic })).status).toBe(404)
  })

  it('answers 404 to a malformed id', async () => {
    const company = await hub.createCompany()
    expect((await hub.call('DELETE', '/v1/webhooks/garbage', { auth: company.basic })).status).toBe(404)
  })

  securityCases(() => hub, { method: 'DELETE', path: webhookPath, adminOnly: true, ownedResource: true })
})

describe('GET /v1/webhooks/:webhook_id/deliveries', () => {
  it('lists the webhook’s deliveries, newest first, with why they failed', async () => {
    const company = await hub.createCompany()
    const webhook = await createWebhook(company)
    const otherHook = await createWebhook(company)
    const rows = await hub.db.select().from(webhooks)
    const id = rows.find((w) => w.webhookId === webhook.webhook_id)!.id
    const otherId = rows.find((w) => w.webhookId === otherHook.webhook_id)!.id
    const now = hub.clock.now()
    const iso = now.toISOString()
    await hub.db.insert(webhookDeliveries).values([
      {
        companyId: company.id,
        webhookId: id,
        outboxId: 1,
        event: 'user.created',
        status: 'delivered',
        attempts: 1,
        lastStatusCode: 200,
        queuedAt: now,
        deliveredAt: now,
        createdAt: now,
      },
      {
        companyId: company.id,
        webhookId: id,
        outboxId: 2,
        event: 'team.created',
        status: 'failed',
        attempts: 12,
        lastStatusCode: 500,
        lastError: 'HTTP 500: oops',
        createdAt: now,
      },
      { companyId: company.id, webhookId: otherId, outboxId: 3, event: 'team.deleted', createdAt: now },
    ])
    const res = await hub.call('GET', `/v1/webhooks/${webhook.webhook_id}/deliveries`, {
      auth: company.basic,
    })
    expect(res.status).toBe(200)
    expect(res.body.deliveries).toEqual([
      {
        id: expect.any(Number),
        event: 'team.created',
        status: 'failed',
        attempts: 12,
        last_status_code: 500,
        last_error: 'HTTP 500: oops',
        created_at: iso,
        queued_at: null,
        delivered_at: null,
      },
      {
        id: expect.any(Number),
        event: 'user.created',
        status: 'delivered',
        attempts: 1,
        last_status_code: 200,
        last_error: null,
        created_at: iso,
        queued_at: iso,
        delivered_at: iso,
      },
    ])
    expect(res.body.meta).toMatchObject({ count: 2, total: 2 })
    const asc = await hub.call('GET', `/v1/webhooks/${webhook.webhook_id}/deliveries?order=asc&per_page=1`, {
      auth: company.basic,
    })
    expect(asc.body.deliveries.map((d: { event: string }) => d.event)).toEqual(['user.created'])
    expect(asc.body.meta.next_page_link).toContain('page=2')
  })

  it('refuses bad paging with 400 and unknown webhooks with 404', async () => {
    const company = await hub.createCompany()
    const webhook = await createWebhook(company)
    const bad = await hub.call('GET', `/v1/webhooks/${webhook.webhook_id}/deliveries?per_page=0`, {
      auth: company.basic,
    })
    expect(bad.status).toBe(400)
    expect(bad.body.field).toBe('per_page')
    const missing = await hub.call('GET', '/v1/webhooks/00000000-0000-4000-8000-000000000000/deliveries', {
      auth: company.basic,
    })
    expect(missing.status).toBe(404)
  })

  securityCases(() => hub, {
    method: 'GET',
    path: async (company) => `${await webhookPath(company)}/deliveries`,
    adminOnly: true,
    ownedResource: true,
  })
})

describe('webhooks in the OpenAPI document', () => {
  it('lists the webhook routes and schemas', async () => {
    const doc = await hub.call('GET', '/v1/openapi.json')
    expect(Object.keys(doc.body.paths)).toEqual(
      expect.arrayContaining([
        '/v1/webhooks',
        '/v1/webhooks/{webhook_id}',
        '/v1/webhooks/{webhook_id}/deliveries',
      ]),
    )
    expect(Object.keys(doc.body.components.schemas)).toEqual(
      expect.arrayContaining(['Webhook', 'CreatedWebhook', 'WebhookDelivery']),
    )
  })
})
