import { createRoute, z } from '@hono/zod-openapi'
import {
  createNumber,
  deleteNumber,
  listAvailable,
  listPricing,
} from '../../../services/numbers/number-provisioning.ts'
import { createNumberRequestSchema } from '../../../services/numbers/number-settings.ts'
import { createRouter } from '../../context.ts'
import { requireAdmin } from '../../middleware/auth.ts'
import { errorResponse, errorResponses, idParams, json, jsonBody, security } from '../../openapi.ts'
import { serviceContext } from '../../service-context.ts'
import { numberDeps, tags } from './route-deps.ts'
import { availableNumberSchema, numberEnvelope, pricingSchema } from './schemas.ts'

const admin = [requireAdmin]

/** Prices, free numbers, creating and releasing numbers. */
export const provisioningRoutes = createRouter()
  .openapi(
    createRoute({
      method: 'get',
      path: '/numbers/pricing',
      tags,
      security,
      middleware: admin,
      summary: 'Monthly price and verification requirements per country, before creation',
      request: { query: z.object({ country: z.string().max(2).optional() }) },
      responses: { 200: json(z.object({ pricing: z.array(pricingSchema) }), 'Countries'), ...errorResponses },
    }),
    (c) => c.json({ pricing: listPricing(c.req.valid('query').country) }, 200),
  )
  .openapi(
    createRoute({
      method: 'get',
      path: '/numbers/available',
      tags,
      security,
      middleware: admin,
      summary: 'A few numbers that can be created in a country and area',
      request: {
        query: z.object({
          country: z.string().max(2),
          area: z
            .string()
            .max(5)
            .optional()
            .openapi({ description: 'Default: the first area of the country' }),
          limit: z.coerce.number().int().min(1).max(20).default(5),
        }),
      },
      responses: {
        200: json(z.object({ available_numbers: z.array(availableNumberSchema) }), 'Candidates'),
        ...errorResponses,
      },
    }),
    async (c) => {
      const available = await listAvailable(serviceContext(c), c.var.deps.carrier, c.req.valid('query'))
      return c.json({ available_numbers: available }, 200)
    },
  )
  .openapi(
    createRoute({
      method: 'post',
      path: '/numbers',
      tags,
      security,
      middleware: admin,
      summary: 'Create a classic or IVR number',
      description:
        'Countries that require documents start `pending_documents` (inactive); users and teams ' +
        'given take the calls of a classic number, and call out with an IVR number.',
      request: { body: jsonBody(createNumberRequestSchema) },
      responses: {
        201: json(numberEnvelope, 'The created number'),
        503: errorResponse('No number available'),
        ...errorResponses,
      },
    }),
    async (c) => {
      const number = await createNumber(serviceContext(c), numberDeps(c), c.req.valid('json'))
      return c.json({ number }, 201)
    },
  )
  .openapi(
    createRoute({
      method: 'delete',
      path: '/numbers/{id}',
      tags,
      security,
      middleware: admin,
      summary: 'Release the number',
      description: 'Other numbers routing to it lose those options (see /numbers/references).',
      request: { params: idParams },
      responses: { 204: { description: 'Released' }, ...errorResponses },
    }),
    async (c) => {
      await deleteNumber(serviceContext(c), numberDeps(c), c.req.valid('param').id)
      return c.body(null, 204)
    },
  )
