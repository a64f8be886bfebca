import { createRoute, z } from '@hono/zod-openapi'
import type { Context } from 'hono'
import { createMiddleware } from 'hono/factory'
import { DomainError } from '../../../core/errors.ts'
import { integrationKinds } from '../../../db/schema/index.ts'
import { integrationChanged } from '../../../services/integrations/integration-changed.ts'
import {
  createIntegration,
  deleteIntegration,
  getIntegration,
  type IntegrationContext,
  linkNumbers,
  listCatalogue,
  listIntegrations,
  runHealthCheck,
  sandboxActivities,
  setIntegrationActive,
  unlinkNumber,
  updateIntegrationSettings,
} from '../../../services/integrations/integration-service.ts'
import { startConnect } from '../../../services/integrations/oauth-flow.ts'
import { settingsJsonSchema, settingsUpdateSchema } from '../../../services/integrations/settings.ts'
import type { AppEnv } from '../../context.ts'
import { createRouter } from '../../context.ts'
import {
  errorResponse,
  errorResponses,
  idParam,
  idParams,
  json,
  jsonBody,
  pageOf,
  plainText,
  security,
} from '../../openapi.ts'
import { buildMeta, paginationQuery } from '../../pagination.ts'
import { serviceContext } from '../../service-context.ts'

/**
 * Integrations hold a company's CRM grants: company API keys and admins' dashboard sessions
 * only. An agent token (the extension's, an admin's included) reads nothing here.
 */
const adminSession = createMiddleware<AppEnv>(async (c, next) => {
  const actor = c.var.actor
  if (actor.type === 'user' && (actor.role !== 'admin' || actor.tokenKind === 'agent'))
    throw new DomainError('forbidden', 'This endpoint needs an admin')
  await next()
})
/**
 * Every change of an integration (settings, numbers, enable, delete…) reaches this process's
 * caller cards at once (others within seconds); enabling one sends what waited meanwhile.
 */
const changed = createMiddleware<AppEnv>(async (c, next) => {
  await next()
  if (c.req.method === 'GET' || c.res.status >= 300) return
  const id = Number(c.req.path.split('/')[3])
  await integrationChanged(c.var.deps, serviceContext(c).companyId, Number.isInteger(id) ? id : null, {
    resync: c.req.path.endsWith('/enable'),
  })
})
const middleware = [adminSession, changed]

function integrationContext(c: Context<AppEnv>): IntegrationContext {
  return { ...serviceContext(c), env: c.var.deps.env, logger: c.var.log }
}

const health = z.object({
  last_success_at: z.number().int().nullable(),
  last_error_at: z.number().int().nullable(),
  last_error: z.string().nullable(),
  unhealthy_since: z.number().int().nullable(),
  pending: z.number().int().openapi({ description: 'Calls waiting to be synced (the sync ledger)' }),
  failed: z.number().int().openapi({ description: 'Calls whose sync gave up' }),
})

const integrationSchema = z
  .object({
    id: z.number().int(),
    direct_link: z.string(),
    kind: z.enum(integrationKinds),
    name: z.string(),
    custom_name: z.string().openapi({ description: 'Same as name (Aircall field)' }),
    service_name: z.string(),
    status: z.enum(['pending', 'connected', 'reauth']),
    active: z.boolean(),
    sandbox: z.boolean(),
    settings: settingsJsonSchema,
    number_ids: z.array(z.number().int()),
    numbers_count: z.number().int(),
    account_id: z.string().nullable(),
    instance_url: z.string().nullable(),
    created_at: z.number().int(),
    connected_at: z.number().int().nullable(),
    health,
  })
  .openapi('Integration')
const envelope = z.object({ integration: integrationSchema })

const catalogueSchema = z
  .object({
    kind: z.enum(integrationKinds),
    name: z.string(),
    auth: z.enum(['oauth', 'none']),
    needs: z.enum(['subdomain', 'instance_url']).nullable(),
    logs_calls: z.boolean(),
    available: z.boolean().openapi({ description: 'This hub has the connector' }),
    oauth_configured: z
      .boolean()
      .openapi({ description: "The vendor's OAuth app is set in the environment" }),
    oauth_env: z.array(z.string()).openapi({ description: 'The env vars that configure it' }),
    sandbox_available: z.boolean(),
  })
  .openapi('IntegrationCatalogueEntry')

const createSchema = z
  .object({
    kind: z.enum(integrationKinds),
    name: plainText().trim().min(1).max(64).openapi({ description: 'Unique in the company' }),
    sandbox: z
      .boolean()
      .optional()
      .openapi({ description: "Connect the hub's built-in sandbox CRM instead of the vendor" }),
    subdomain: z
      .string()
      .trim()
      .toLowerCase()
      .regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'must be the <subdomain> of <subdomain>.zendesk.com')
      .optional(),
    instance_url: z
      .url({ protocol: /^https$/, error: 'must be an https:// URL' })
      .optional()
      .openapi({ description: 'Dynamics 365 org URL, https://<org>.crm.dynamics.com' }),
  })
  .strict()

const tags = ['Integrations']

export const integrationsRoutes = createRouter()
  .openapi(
    createRoute({
      method: 'get',
      path: '/integrations/catalogue',
      tags,
      security,
      middleware,
      summary: 'The apps a company can install, and whether this hub can connect each',
      responses: {
        200: json(z.object({ catalogue: z.array(catalogueSchema) }), 'Catalogue'),
        ...errorResponses,
      },
    }),
    (c) => c.json({ catalogue: listCatalogue(c.var.deps.env) }, 200),
  )
  .openapi(
    createRoute({
      method: 'get',
      path: '/integrations',
      tags,
      security,
      middleware,
      summary: "The company's integrations",
      request: { query: paginationQuery },
      responses: { 200: json(pageOf('integrations', integrationSchema), 'Integrations'), ...errorResponses },
    }),
    async (c) => {
      const q = c.req.valid('query')
      const { integrations, total } = await listIntegrations(serviceContext(c), q)
      return c.json({ integrations, meta: buildMeta(c, q, integrations.length, total) }, 200)
    },
  )
  .openapi(
    createRoute({
      method: 'post',
      path: '/integrations',
      tags,
      security,
      middleware,
      summary: 'Add an integration (then connect it: POST /v1/integrations/{id}/connect)',
      request: { body: jsonBody(createSchema) },
      responses: {
        201: json(envelope, 'Created: pending until connected (the weather app is connected at once)'),
        ...errorResponses,
        409: errorResponse('An integration of the company has this name'),
      },
    }),
    async (c) => {
      const integration = await createIntegration(integrationContext(c), c.req.valid('json'))
      return c.json({ integration }, 201)
    },
  )
  .openapi(
    createRoute({
      method: 'get',
      path: '/integrations/{id}',
      tags,
      security,
      middleware,
      summary: 'One integration, with its settings, linked numbers and health',
      request: { params: idParams },
      responses: { 200: json(envelope, 'The integration'), ...errorResponses },
    }),
    async (c) =>
      c.json({ integration: await getIntegration(serviceContext(c), c.req.valid('param').id) }, 200),
  )
  .openapi(
    createRoute({
      method: 'delete',
      path: '/integrations/{id}',
      tags,
      security,
      middleware,
      summary:
        'Delete an integration: its tokens are revoked at the CRM (best effort), its sync history goes',
      request: { params: idParams },
      responses: { 204: { description: 'Deleted' }, ...errorResponses },
    }),
    async (c) => {
      await deleteIntegration(integrationContext(c), c.req.valid('param').id)
      return c.body(null, 204)
    },
  )
  .openapi(
    createRoute({
      method: 'post',
      path: '/integrations/{id}/connect',
      tags,
      security,
      middleware,
      summary:
        "Start the OAuth connection: open authorize_url in the admin's browser (valid 10 minutes, once)",
      request: { params: idParams },
      responses: {
        200: json(z.object({ authorize_url: z.string() }), "The CRM's consent page"),
        ...errorResponses,
        409: errorResponse('The OAuth app of this CRM is not configured'),
      },
    }),
    async (c) => c.json(await startConnect(integrationContext(c), c.req.valid('param').id), 200),
  )
  .openapi(
    createRoute({
      method: 'post',
      path: '/integrations/{id}/enable',
      tags,
      security,
      middleware,
      summary: 'Log calls and look callers up again',
      request: { params: idParams },
      responses: { 200: json(envelope, 'Enabled'), ...errorResponses },
    }),
    async (c) =>
      c.json(
        { integration: await setIntegrationActive(serviceContext(c), c.req.valid('param').id, true) },
        200,
      ),
  )
  .openapi(
    createRoute({
      method: 'post',
      path: '/integrations/{id}/disable',
      tags,
      security,
      middleware,
      summary: 'Stop logging calls and looking callers up (calls meanwhile are not back-filled)',
      request: { params: idParams },
      responses: { 200: json(envelope, 'Disabled'), ...errorResponses },
    }),
    async (c) =>
      c.json(
        { integration: await setIntegrationActive(serviceContext(c), c.req.valid('param').id, false) },
        200,
      ),
  )
  .openapi(
    createRoute({
      method: 'put',
      path: '/integrations/{id}/settings',
      tags,
      security,
      middleware,
      summary: 'Change what is logged and how: per call type, unknown numbers, business hours, tag mappings',
      description:
        'Every field is optional; a given call type changes only the fields given, a tag map is replaced whole. Tag map keys are tag names or tag ids.',
      request: { params: idParams, body: jsonBody(settingsUpdateSchema) },
      responses: { 200: json(envelope, 'The integration with its new settings'), ...errorResponses },
    }),
    async (c) =>
      c.json(
        {
          integration: await updateIntegrationSettings(
            serviceContext(c),
            c.req.valid('param').id,
            c.req.valid('json'),
          ),
        },
        200,
      ),
  )
  .openapi(
    createRoute({
      method: 'post',
      path: '/integrations/{id}/numbers',
      tags,
      security,
      middleware,
      summary: 'Link numbers: their calls are logged in this CRM and their callers looked up in it',
      request: {
        params: idParams,
        body: jsonBody(
          z
            .object({ number_ids: z.array(z.number().int().min(1).max(2_147_483_647)).min(1).max(500) })
            .strict(),
        ),
      },
      responses: { 200: json(envelope, 'The integration with its numbers'), ...errorResponses },
    }),
    async (c) =>
      c.json(
        {
          integration: await linkNumbers(
            serviceContext(c),
            c.req.valid('param').id,
            c.req.valid('json').number_ids,
          ),
        },
        200,
      ),
  )
  .openapi(
    createRoute({
      method: 'delete',
      path: '/integrations/{id}/numbers/{number_id}',
      tags,
      security,
      middleware,
      summary: 'Unlink a number',
      request: { params: z.object({ id: idParam(), number_id: idParam() }) },
      responses: { 204: { description: 'Unlinked' }, ...errorResponses },
    }),
    async (c) => {
      const { id, number_id } = c.req.valid('param')
      await unlinkNumber(serviceContext(c), id, number_id)
      return c.body(null, 204)
    },
  )
  .openapi(
    createRoute({
      method: 'post',
      path: '/integrations/{id}/health-check',
      tags,
      security,
      middleware,
      summary: "Check the connection now (token, CRM setup) and update the integration's health",
      request: { params: idParams },
      responses: {
        200: json(envelope, 'The integration with its health'),
        ...errorResponses,
        409: errorResponse('Not connected yet'),
      },
    }),
    async (c) =>
      c.json({ integration: await runHealthCheck(integrationContext(c), c.req.valid('param').id) }, 200),
  )
  .openapi(
    createRoute({
      method: 'get',
      path: '/integrations/{id}/sandbox/activities',
      tags,
      security,
      middleware,
      summary:
        "What a sandbox integration's CRM received: its activities (calls, tasks, tickets, phone calls) and records",
      request: { params: idParams },
      responses: {
        200: json(
          z.object({
            activities: z.array(
              z.object({
                type: z.string(),
                id: z.string(),
                created_at: z.string().nullable(),
                properties: z.record(z.string(), z.unknown()),
              }),
            ),
            records: z.array(
              z.object({
                type: z.string(),
                id: z.string(),
                created_at: z.string().nullable(),
                properties: z.record(z.string(), z.unknown()),
              }),
            ),
          }),
          'The sandbox CRM contents (in memory: emptied when the hub restarts)',
        ),
        ...errorResponses,
        409: errorResponse('Not a sandbox integration'),
      },
    }),
    async (c) => c.json(await sandboxActivities(integrationContext(c), c.req.valid('param').id), 200),
  )
