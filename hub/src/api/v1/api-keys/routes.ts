import { createRoute, z } from '@hono/zod-openapi'
import { createApiKey, listApiKeys, revokeApiKey } from '../../../services/api-keys/api-key-service.ts'
import { createRouter } from '../../context.ts'
import { requireAdmin } from '../../middleware/auth.ts'
import { errorResponses, json, jsonBody, pageOf, security } from '../../openapi.ts'
import { buildMeta, paginationQuery } from '../../pagination.ts'
import { serviceContext } from '../../service-context.ts'
import { numericIdParam } from '../users/schemas.ts'

const tags = ['API keys']

const apiKeySchema = z
  .object({
    id: z.number().int(),
    api_id: z.string().openapi({ description: 'The user name of Basic auth' }),
    name: z.string(),
    created_at: z.string(),
    last_used_at: z.string().nullable().openapi({ description: 'Updated at most once a minute' }),
  })
  .openapi('ApiKey')

const newApiKeySchema = apiKeySchema
  .extend({ api_token: z.string().openapi({ description: 'The password of Basic auth; shown once' }) })
  .openapi('NewApiKey')

export const apiKeysRoutes = createRouter()
  .openapi(
    createRoute({
      method: 'get',
      path: '/api_keys',
      tags,
      security,
      summary: 'List the company API keys (without their tokens)',
      middleware: [requireAdmin] as const,
      request: { query: paginationQuery },
      responses: {
        200: json(pageOf('api_keys', apiKeySchema), 'A page of API keys'),
        ...errorResponses,
      },
    }),
    async (c) => {
      const q = c.req.valid('query')
      const page = await listApiKeys(serviceContext(c), q)
      return c.json({ api_keys: page.items, meta: buildMeta(c, q, page.items.length, page.total) }, 200)
    },
  )
  .openapi(
    createRoute({
      method: 'post',
      path: '/api_keys',
      tags,
      security,
      summary: 'Create an API key; its token is shown once',
      middleware: [requireAdmin] as const,
      request: {
        body: jsonBody(
          z.object({ name: z.string().trim().min(1).max(100).openapi({ example: 'CRM sync' }) }),
        ),
      },
      responses: {
        201: json(z.object({ api_key: newApiKeySchema }), 'The key and its token'),
        ...errorResponses,
      },
    }),
    async (c) => {
      const api_key = await createApiKey(serviceContext(c), c.req.valid('json').name)
      return c.json({ api_key }, 201)
    },
  )
  .openapi(
    createRoute({
      method: 'delete',
      path: '/api_keys/{id}',
      tags,
      security,
      summary: 'Revoke an API key',
      middleware: [requireAdmin] as const,
      request: { params: numericIdParam },
      responses: { 204: { description: 'Revoked: the key answers 403 from now on' }, ...errorResponses },
    }),
    async (c) => {
      await revokeApiKey(serviceContext(c), c.req.valid('param').id)
      return c.body(null, 204)
    },
  )
