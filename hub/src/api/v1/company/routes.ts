import { createRoute, z } from '@hono/zod-openapi'
import { getCompanySummary } from '../../../services/company/company-service.ts'
import { createRouter } from '../../context.ts'
import { errorResponses, json, security } from '../../openapi.ts'
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
      security,
      responses: {
        200: json(
          z.object({ ping: z.literal('pong') }),
          'The API is reachable and the credentials are valid',
        ),
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
      security,
      responses: {
        200: json(z.object({ company: companySchema }), 'The company of the credentials'),
        ...errorResponses,
      },
    }),
    async (c) => c.json({ company: await getCompanySummary(serviceContext(c)) }, 200),
  )
