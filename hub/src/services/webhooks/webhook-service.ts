import { and, asc, count, desc, eq, type SQL, sql } from 'drizzle-orm'
import { badRequest, DomainError, notFound } from '../../core/errors.ts'
import { parseCanonicalId } from '../../core/ids.ts'
import type { Links } from '../../core/links.ts'
import { type PaginationQuery, pageWindow } from '../../core/pagination.ts'
import { orderBy, timeRange } from '../../db/list-query.ts'
import { companies, webhookDeliveries, webhooks } from '../../db/schema/index.ts'
import { type EventName, eventNames } from '../../events/outbox.ts'
import { newSigningSecret, newWebhookToken } from '../../webhooks/signature.ts'
import { checkWebhookUrl, WebhookUrlError } from '../../webhooks/url-safety.ts'
import type { ServiceContext } from '../context.ts'

/** Aircall's cap. */
export const MAX_WEBHOOKS_PER_COMPANY = 100

type WebhookRow = typeof webhooks.$inferSelect
type DeliveryRow = typeof webhookDeliveries.$inferSelect

export type WebhookPolicy = { allowPrivate: boolean }

export type WebhookView = {
  webhook_id: string
  direct_link: string
  created_at: string
  custom_name: string
  url: string
  active: boolean
  token: string
  events: string[]
}

/**
 * The webhook as the API returns it. Storage keeps `[]` for "every event" so a webhook made
 * that way also gets events added to the hub later; the API lists them all, as Aircall does,
 * so `events` always says exactly what the receiver gets.
 */
export function toWebhookJson(row: WebhookRow, links: Links): WebhookView {
  return {
    webhook_id: row.webhookId,
    direct_link: links.webhook(row.webhookId),
    created_at: row.createdAt.toISOString(),
    custom_name: row.customName,
    url: row.url,
    active: row.active,
    token: row.token,
    events: row.events.length === 0 ? [...eventNames] : [...row.events],
  }
}

export function presentDelivery(row: DeliveryRow) {
  return {
    id: row.id,
    event: row.event,
    status: row.status,
    attempts: row.attempts,
    last_status_code: row.lastStatusCode,
    last_error: row.lastError,
    created_at: row.createdAt.toISOString(),
    queued_at: row.queuedAt?.toISOString() ?? null,
    delivered_at: row.deliveredAt?.toISOString() ?? null,
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

/** `webhook_id` is the UUID; Aircall still accepts the old numeric id, and so do we. */
function byPublicId(ctx: ServiceContext, publicId: string): SQL | undefined {
  const scope = eq(webhooks.companyId, ctx.companyId)
  if (UUID.test(publicId)) return and(scope, eq(webhooks.webhookId, publicId.toLowerCase()))
  const id = parseCanonicalId(publicId)
  return id === null ? undefined : and(scope, eq(webhooks.id, id))
}

async function findRow(ctx: ServiceContext, publicId: string): Promise<WebhookRow> {
  const where = byPublicId(ctx, publicId)
  if (!where) throw notFound('Webhook not found')
  const [row] = await ctx.db.select().from(webhooks).where(where)
  if (!row) throw notFound('Webhook not found')
  return row
}

async function safeUrl(raw: string, policy: WebhookPolicy): Promise<string> {
  const url = raw.trim()
  try {
    await checkWebhookUrl(url, policy)
    return url
  } catch (err) {
    if (err instanceof WebhookUrlError) throw badRequest('url', err.message)
    throw err
  }
}

const dedupe = (events: readonly EventName[]) => [...new Set(events)]

export async function listWebhooks(ctx: ServiceContext, q: PaginationQuery) {
  const { offset, limit } = pageWindow(q)
  const where = and(eq(webhooks.companyId, ctx.companyId), timeRange(webhooks.createdAt, q))
  const rows = await ctx.db
    .select()
    .from(webhooks)
    .where(where)
    .orderBy(...orderBy(webhooks.createdAt, q, webhooks.id))
    .limit(limit)
    .offset(offset)
  const [total] = await ctx.db.select({ n: count() }).from(webhooks).where(where)
  return { webhooks: rows.map((r) => toWebhookJson(r, ctx.links)), total: total?.n ?? 0 }
}

export async function getWebhook(ctx: ServiceContext, publicId: string) {
  return toWebhookJson(await findRow(ctx, publicId), ctx.links)
}

export type CreateWebhookInput = { url: string; custom_name?: string; events?: EventName[] }

/** Creates a webhook; the answer carries the signing secret, shown this once. */
export async function createWebhook(ctx: ServiceContext, input: CreateWebhookInput, policy: WebhookPolicy) {
  const url = await safeUrl(input.url, policy)
  const now = ctx.clock.now()
  const row = await ctx.db.transaction(async (tx) => {
    // Serialises concurrent creates of one company, so the cap holds.
    await tx.select({ id: companies.id }).from(companies).where(eq(companies.id, ctx.companyId)).for('update')
    const [existing] = await tx
      .select({ n: count() })
      .from(webhooks)
      .where(eq(webhooks.companyId, ctx.companyId))
    if ((existing?.n ?? 0) >= MAX_WEBHOOKS_PER_COMPANY) {
      throw new DomainError(
        'bad_request',
        `A company can have at most ${MAX_WEBHOOKS_PER_COMPANY} webhooks`,
        {
          field: '(body)',
        },
      )
    }
    const [created] = await tx
      .insert(webhooks)
      .values({
        companyId: ctx.companyId,
        customName: input.custom_name ?? 'Webhook',
        url,
        active: true,
        token: newWebhookToken(),
        signingSecret: newSigningSecret(),
        events: dedupe(input.events ?? []),
        createdAt: now,
        updatedAt: now,
      })
      .returning()
    return created!
  })
  return { ...toWebhookJson(row, ctx.links), signing_secret: row.signingSecret }
}

export type UpdateWebhookInput = {
  url?: string
  custom_name?: string
  events?: EventName[]
  active?: boolean
}

/**
 * PUT semantics, Aircall's:
 * - url, custom_name, active: changed when given, kept when left out.
 * - events without `events_action`: the list REPLACES the subscription; left out or empty, the
 *   webhook is subscribed to ALL events (Aircall: "leaving events out on update also means all
 *   events") — so a PUT that only renames also resets the subscription to all events.
 * - `events_action=add`: the given events are added (a webhook on all events stays on all).
 * - `events_action=remove`: the given events are removed (from all events, the rest remain
 *   listed explicitly). Removing every subscribed event is refused (400): an empty list would
 *   mean all events; deactivate or delete the webhook instead.
 *   With an events_action, `events` is required and non-empty.
 * - active:true re-enables an auto-disabled webhook and resets its failure count.
 */
export async function updateWebhook(
  ctx: ServiceContext,
  publicId: string,
  input: UpdateWebhookInput,
  eventsAction: 'add' | 'remove' | undefined,
  policy: WebhookPolicy,
) {
  const current = await findRow(ctx, publicId)
  const url = input.url === undefined ? current.url : await safeUrl(input.url, policy)
  let events: string[]
  if (!eventsAction) {
    events = dedupe(input.events ?? [])
  } else {
    if (!input.events || input.events.length === 0) {
      throw badRequest('events', `is required with events_action=${eventsAction}`)
    }
    const given = new Set<string>(input.events)
    if (eventsAction === 'add') {
      events = current.events.length === 0 ? [] : [...new Set([...current.events, ...given])]
    } else {
      const from = current.events.length === 0 ? [...eventNames] : current.events
      events = from.filter((e) => !given.has(e))
      if (events.length === 0) {
        throw badRequest(
          'events',
          'removing every subscribed event would subscribe the webhook to all events; deactivate or delete it instead',
        )
      }
    }
  }
  const [row] = await ctx.db
    .update(webhooks)
    .set({
      url,
      customName: input.custom_name ?? current.customName,
      events,
      ...(input.active === undefined
        ? {}
        : input.active
          ? { active: true, consecutiveFailures: 0 }
          : {
              active: false,
              // Switched off by an admin: its pending retries stop too (deliver.ts tells that
              // from an auto-disable by the failure count). An auto-disabled webhook sent back
              // as it was read (still active:false) keeps its count, so its retries go on.
              consecutiveFailures: sql`case when ${webhooks.active} then 0 else ${webhooks.consecutiveFailures} end`,
            }),
      updatedAt: ctx.clock.now(),
    })
    .where(and(eq(webhooks.companyId, ctx.companyId), eq(webhooks.id, current.id)))
    .returning()
  if (!row) throw notFound('Webhook not found')
  return toWebhookJson(row, ctx.links)
}

export async function deleteWebhook(ctx: ServiceContext, publicId: string): Promise<void> {
  const current = await findRow(ctx, publicId)
  await ctx.db.delete(webhooks).where(and(eq(webhooks.companyId, ctx.companyId), eq(webhooks.id, current.id)))
}

/** The webhook's deliveries, newest first by default: why did my endpoint get nothing? */
export async function listDeliveries(ctx: ServiceContext, publicId: string, q: PaginationQuery) {
  const webhook = await findRow(ctx, publicId)
  const { offset, limit } = pageWindow(q)
  const where = and(
    eq(webhookDeliveries.companyId, ctx.companyId),
    eq(webhookDeliveries.webhookId, webhook.id),
    timeRange(webhookDeliveries.createdAt, q),
  )
  const rows = await ctx.db
    .select()
    .from(webhookDeliveries)
    .where(where)
    .orderBy(q.order === 'desc' ? desc(webhookDeliveries.id) : asc(webhookDeliveries.id))
    .limit(limit)
    .offset(offset)
  const [total] = await ctx.db.select({ n: count() }).from(webhookDeliveries).where(where)
  return { deliveries: rows.map(presentDelivery), total: total?.n ?? 0 }
}
