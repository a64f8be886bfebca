import { createRoute, z } from '@hono/zod-openapi'
import { createTag, deleteTag, getTag, listTags, updateTag } from '../../../services/tags/tag-service.ts'
import { createRouter } from '../../context.ts'
import { requireAdmin } from '../../middleware/auth.ts'
import {
  errorResponse,
  errorResponses,
  idParams,
  json,
  jsonBody,
  pageOf,
  plainText,
  security,
} from '../../openapi.ts'
import { buildMeta, paginationQuery } from '../../pagination.ts'
import { serviceContext } from '../../service-context.ts'

export const tagSchema = z
  .object({
    id: z.number().int(),
    direct_link: z.string(),
    name: z.string(),
    color: z.string().openapi({ example: '#0033CC' }),
    description: z.string().nullable(),
  })
  .openapi('Tag')

const tagEnvelope = z.object({ tag: tagSchema }).openapi('TagEnvelope')
const tagFields = {
  name: plainText().trim().min(1).max(64).openapi({ description: 'Unique per company, case-insensitively' }),
  color: z
    .string()
    .regex(/^#[0-9A-Fa-f]{6}$/, 'must be a #RRGGBB color')
    .openapi({ example: '#0033CC' }),
  description: plainText().trim().max(255).nullable().optional(),
}
const tags = ['Tags']
const systemTag = {
  405: errorResponse('System tags (Conference, Callback Request, Called Back, Follow Up) are read-only'),
}

export const tagsRoutes = createRouter()
  .openapi(
    createRoute({
      method: 'get',
      path: '/tags',
      tags,
      security,
      request: { query: paginationQuery },
      responses: {
        200: json(pageOf('tags', tagSchema), 'Tags of the company'),
        ...errorResponses,
      },
    }),
    async (c) => {
      const q = c.req.valid('query')
      const { tags, total } = await listTags(serviceContext(c), q)
      return c.json({ tags, meta: buildMeta(c, q, tags.length, total) }, 200)
    },
  )
  .openapi(
    createRoute({
      method: 'get',
      path: '/tags/{id}',
      tags,
      security,
      request: { params: idParams },
      responses: { 200: json(tagEnvelope, 'The tag'), ...errorResponses },
    }),
    async (c) => c.json({ tag: await getTag(serviceContext(c), c.req.valid('param').id) }, 200),
  )
  .openapi(
    createRoute({
      method: 'post',
      path: '/tags',
      tags,
      security,
      middleware: [requireAdmin],
      request: { body: jsonBody(z.object(tagFields)) },
      responses: { 201: json(tagEnvelope, 'The created tag'), ...errorResponses },
    }),
    async (c) => c.json({ tag: await createTag(serviceContext(c), c.req.valid('json')) }, 201),
  )
  .openapi(
    createRoute({
      method: 'put',
      path: '/tags/{id}',
      tags,
      security,
      middleware: [requireAdmin],
      request: { params: idParams, body: jsonBody(z.object(tagFields).partial()) },
      responses: { 200: json(tagEnvelope, 'The updated tag'), ...errorResponses, ...systemTag },
    }),
    async (c) => {
      const tag = await updateTag(serviceContext(c), c.req.valid('param').id, c.req.valid('json'))
      return c.json({ tag }, 200)
    },
  )
  .openapi(
    createRoute({
      method: 'delete',
      path: '/tags/{id}',
      tags,
      security,
      middleware: [requireAdmin],
      request: { params: idParams },
      responses: {
        204: { description: 'Deleted, and removed from every call' },
        ...errorResponses,
        ...systemTag,
      },
    }),
    async (c) => {
      await deleteTag(serviceContext(c), c.req.valid('param').id)
      return c.body(null, 204)
    },
  )
