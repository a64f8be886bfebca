import { createRoute, z } from '@hono/zod-openapi'
import { getCompanySummary } from '../../../services/company/company-service.ts'
import { createRouter } from '../../context.ts'
import { errorResponses } from '../../openapi.ts'
import { serviceContext } from '../../service-context.ts'

const companySchema = z
  .object({
    id: z.number().int(),
    name: z.string(),
    users_count: z.number().int(),
    numbers_count: z.number().int(),
  })
  .openapi('Company')

export const companyRoutes = createRouter()
  .openapi(
    createRoute({
      method: 'get',
      path: '/ping',
      tags: ['Company'],
      security: [{ basicAuth: [] }, { bearerAuth: [] }],
      responses: {
        200: {
          description: 'The API is reachable and the credentials are valid',
          content: { 'application/json': { schema: z.object({ ping: z.literal('pong') }) } },
        },
        ...errorResponses,
      },
    }),
    (c) => c.json({ ping: 'pong' as const }, 200),
  )
  .openapi(
    createRoute({
      method: 'get',
      path: '/company',
      tags: ['Company'],
      security: [{ basicAuth: [] }, { bearerAuth: [] }],
      responses: {
        200: {
          description: 'The company of the credentials',
          content: { 'application/json': { schema: z.object({ company: companySchema }) } },
        },
        ...errorResponses,
      },
    }),
    async (c) => c.json({ company: await getCompanySummary(serviceContext(c)) }, 200),
  )
