import { createRoute, z } from '@hono/zod-openapi'
import {
  addToBlacklist,
  blacklistKey,
  getBlacklistedNumber,
  isBlacklisted,
  listBlacklist,
  removeFromBlacklist,
} from '../../../services/blacklist/blacklist-service.ts'
import { createRouter } from '../../context.ts'
import { requireAdmin } from '../../middleware/auth.ts'
import { errorResponses, idParams, json, jsonBody, pageOf, plainText, security } from '../../openapi.ts'
import { buildMeta, paginationQuery } from '../../pagination.ts'
import { serviceContext } from '../../service-context.ts'

export const blacklistedNumberSchema = z
  .object({
    id: z.number().int(),
    direct_link: z.string(),
    number: z.string().openapi({ description: 'E.164', example: '+33176111111' }),
    raw_digits: z.string().openapi({ description: 'As given', example: '01 76 11 11 11' }),
    note: z.string().nullable(),
    created_at: z.string().openapi({ description: 'ISO 8601' }),
  })
  .openapi('BlacklistedNumber')

const envelope = z
  .object({ blacklisted_number: blacklistedNumberSchema })
  .openapi('BlacklistedNumberEnvelope')
const number = plainText().trim().min(1).max(40)
const country = z
  .string()
  .regex(/^[A-Za-z]{2}$/, 'must be an ISO 3166 alpha-2 country code')
  .transform((v) => v.toUpperCase())
  .optional()
  .openapi({ description: 'Needed when number has no + prefix', example: 'FR' })
const tags = ['Blacklist']

export const blacklistRoutes = createRouter()
  .openapi(
    createRoute({
      method: 'get',
      path: '/blacklist',
      tags,
      security,
      middleware: [requireAdmin],
      request: { query: paginationQuery },
      responses: {
        200: json(pageOf('blacklisted_numbers', blacklistedNumberSchema), 'Numbers whose calls are refused'),
        ...errorResponses,
      },
    }),
    async (c) => {
      const q = c.req.valid('query')
      const { entries, total } = await listBlacklist(serviceContext(c), q)
      return c.json({ blacklisted_numbers: entries, meta: buildMeta(c, q, entries.length, total) }, 200)
    },
  )
  .openapi(
    createRoute({
      method: 'get',
      path: '/blacklist/check',
      tags,
      security,
      summary: 'Whether a number is blacklisted (agents too)',
      request: { query: z.object({ number, country }) },
      responses: {
        200: json(z.object({ blacklisted: z.boolean() }).openapi('BlacklistCheck'), 'The answer'),
        ...errorResponses,
      },
    }),
    async (c) => {
      const q = c.req.valid('query')
      const ctx = serviceContext(c)
      return c.json({ blacklisted: await isBlacklisted(ctx, blacklistKey(q.number, q.country)) }, 200)
    },
  )
  .openapi(
    createRoute({
      method: 'get',
      path: '/blacklist/{id}',
      tags,
      security,
      middleware: [requireAdmin],
      request: { params: idParams },
      responses: { 200: json(envelope, 'The blacklisted number'), ...errorResponses },
    }),
    async (c) => {
      const entry = await getBlacklistedNumber(serviceContext(c), c.req.valid('param').id)
      return c.json({ blacklisted_number: entry }, 200)
    },
  )
  .openapi(
    createRoute({
      method: 'post',
      path: '/blacklist',
      tags,
      security,
      middleware: [requireAdmin],
      request: {
        body: jsonBody(
          z.object({ number, country, note: plainText().trim().max(255).nullable().optional() }),
        ),
      },
      responses: {
        201: json(envelope, 'Blacklisted'),
        200: json(envelope, 'Already blacklisted: the existing entry, unchanged'),
        ...errorResponses,
      },
    }),
    async (c) => {
      const { entry, created } = await addToBlacklist(serviceContext(c), c.req.valid('json'))
      return created ? c.json({ blacklisted_number: entry }, 201) : c.json({ blacklisted_number: entry }, 200)
    },
  )
  .openapi(
    createRoute({
      method: 'delete',
      path: '/blacklist/{id}',
      tags,
      security,
      middleware: [requireAdmin],
      request: { params: idParams },
      responses: { 204: { description: 'Calls from the number are accepted again' }, ...errorResponses },
    }),
    async (c) => {
      await removeFromBlacklist(serviceContext(c), c.req.valid('param').id)
      return c.body(null, 204)
    },
  )
