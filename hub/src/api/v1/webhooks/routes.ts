import { createRoute, z } from '@hono/zod-openapi'
import { eventNames } from '../../../events/outbox.ts'
import {
  createWebhook,
  deleteWebhook,
  getWebhook,
  listDeliveries,
  listWebhooks,
  updateWebhook,
} from '../../../services/webhooks/webhook-service.ts'
import { createRouter } from '../../context.ts'
import { requireAdmin } from '../../middleware/auth.ts'
import { errorResponses, json, jsonBody, pageOf, security } from '../../openapi.ts'
import { buildMeta, paginationQuery } from '../../pagination.ts'
import { serviceContext } from '../../service-context.ts'

export const webhookSchema = z
  .object({
    webhook_id: z.string().openapi({ format: 'uuid' }),
    direct_link: z.string(),
    created_at: z.string().openapi({ description: 'ISO 8601' }),
    custom_name: z.string(),
    url: z.string(),
    active: z.boolean().openapi({ description: 'false once disabled (by an admin, or after 50 failures)' }),
    token: z.string().openapi({ description: 'Sent in every payload: compare it in constant time' }),
    events: z
      .array(z.string())
      .openapi({ description: 'The events delivered (all of them when subscribed to all)' }),
  })
  .openapi('Webhook')

const createdWebhookSchema = webhookSchema
  .extend({
    signing_secret: z.string().openapi({
      description:
        'Key of the X-Switchboard-Signature HMAC (v1=hex(HMAC-SHA256(secret, "<timestamp>.<body>"))). Shown only here.',
    }),
  })
  .openapi('CreatedWebhook')

const deliverySchema = z
  .object({
    id: z.number().int(),
    event: z.string(),
    status: z.enum(['pending', 'delivered', 'failed']),
    attempts: z.number().int(),
    last_status_code: z.number().int().nullable(),
    last_error: z.string().nullable(),
    created_at: z.string(),
    queued_at: z.string().nullable().openapi({
      description:
        "When its send was queued. Null: it waits in the webhook's backlog for room in the company's window of queued deliveries (256, and 192 per webhook)",
    }),
    delivered_at: z.string().nullable(),
  })
  .openapi('WebhookDelivery')

const eventsField = z
  .array(z.enum(eventNames))
  .max(eventNames.length * 2)
  .openapi({ description: 'Left out or empty: every event' })
const urlField = z.string().trim().min(1).max(2048)
const nameField = z.string().trim().min(1).max(255)

const params = z.object({
  webhook_id: z.string().max(64).openapi({ description: 'The UUID (the old numeric id is accepted too)' }),
})
const tags = ['Webhooks']
const middleware = [requireAdmin]
const webhookEnvelope = z.object({ webhook: webhookSchema }).openapi('WebhookEnvelope')
const policy = (allowPrivate: boolean) => ({ allowPrivate })

export const webhooksRoutes = createRouter()
  .openapi(
    createRoute({
      method: 'get',
      path: '/webhooks',
      tags,
      security,
      middleware,
      request: { query: paginationQuery },
      responses: {
        200: json(pageOf('webhooks', webhookSchema), 'Webhooks of the company'),
        ...errorResponses,
      },
    }),
    async (c) => {
      const q = c.req.valid('query')
      const { webhooks, total } = await listWebhooks(serviceContext(c), q)
      return c.json({ webhooks, meta: buildMeta(c, q, webhooks.length, total) }, 200)
    },
  )
  .openapi(
    createRoute({
      method: 'get',
      path: '/webhooks/{webhook_id}',
      tags,
      security,
      middleware,
      request: { params },
      responses: { 200: json(webhookEnvelope, 'The webhook'), ...errorResponses },
    }),
    async (c) => {
      const webhook = await getWebhook(serviceContext(c), c.req.valid('param').webhook_id)
      return c.json({ webhook }, 200)
    },
  )
  .openapi(
    createRoute({
      method: 'post',
      path: '/webhooks',
      tags,
      security,
      middleware,
      request: {
        body: jsonBody(
          z
            .object({
              url: urlField.openapi({
                description: 'https, public host',
                example: 'https://example.com/hooks',
              }),
              custom_name: nameField.optional().openapi({ description: 'Default "Webhook"' }),
              events: eventsField.optional(),
            })
            .openapi('WebhookCreate'),
        ),
      },
      responses: {
        201: json(
          z.object({ webhook: createdWebhookSchema }),
          'The created webhook, with its signing secret',
        ),
        ...errorResponses,
      },
    }),
    async (c) => {
      const webhook = await createWebhook(
        serviceContext(c),
        c.req.valid('json'),
        policy(c.var.deps.env.WEBHOOKS_ALLOW_PRIVATE),
      )
      return c.json({ webhook }, 201)
    },
  )
  .openapi(
    createRoute({
      method: 'put',
      path: '/webhooks/{webhook_id}',
      tags,
      security,
      middleware,
      request: {
        params,
        query: z.object({
          events_action: z
            .enum(['add', 'remove'])
            .optional()
            .openapi({ description: 'Add or remove the given events instead of replacing the list' }),
        }),
        body: jsonBody(
          z
            .object({
              url: urlField.optional(),
              custom_name: nameField.optional(),
              events: eventsField.optional().openapi({
                description: 'Replaces the list; left out or empty: EVERY event (as Aircall does)',
              }),
              active: z.boolean().optional().openapi({ description: 'true re-enables a disabled webhook' }),
            })
            .openapi('WebhookUpdate'),
        ),
      },
      responses: { 200: json(webhookEnvelope, 'The updated webhook'), ...errorResponses },
    }),
    async (c) => {
      const webhook = await updateWebhook(
        serviceContext(c),
        c.req.valid('param').webhook_id,
        c.req.valid('json'),
        c.req.valid('query').events_action,
        policy(c.var.deps.env.WEBHOOKS_ALLOW_PRIVATE),
      )
      return c.json({ webhook }, 200)
    },
  )
  .openapi(
    createRoute({
      method: 'delete',
      path: '/webhooks/{webhook_id}',
      tags,
      security,
      middleware,
      request: { params },
      responses: { 204: { description: 'Deleted' }, ...errorResponses },
    }),
    async (c) => {
      await deleteWebhook(serviceContext(c), c.req.valid('param').webhook_id)
      return c.body(null, 204)
    },
  )
  .openapi(
    createRoute({
      method: 'get',
      path: '/webhooks/{webhook_id}/deliveries',
      tags,
      security,
      middleware,
      request: { params, query: paginationQuery.extend({ order: z.enum(['asc', 'desc']).default('desc') }) },
      responses: {
        200: json(
          pageOf('deliveries', deliverySchema),
          'Recent deliveries of the webhook (newest first by default), with why they failed',
        ),
        ...errorResponses,
      },
    }),
    async (c) => {
      const q = c.req.valid('query')
      const { deliveries, total } = await listDeliveries(
        serviceContext(c),
        c.req.valid('param').webhook_id,
        q,
      )
      return c.json({ deliveries, meta: buildMeta(c, q, deliveries.length, total) }, 200)
    },
  )
