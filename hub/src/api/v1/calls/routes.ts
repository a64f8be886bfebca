import { createRoute, z } from '@hono/zod-openapi'
import { getCall, listCalls } from '../../../services/calls/call-service.ts'
import { createRouter } from '../../context.ts'
import { requireAdmin } from '../../middleware/auth.ts'
import { errorResponses, idParams, json, pageOf, security } from '../../openapi.ts'
import { buildMeta, paginationQuery } from '../../pagination.ts'
import { serviceContext } from '../../service-context.ts'
import { callSchema } from './schemas.ts'

const tags = ['Calls']
const fetchFlags = z.object({
  fetch_contact: z
    .enum(['true', 'false'])
    .optional()
    .openapi({ description: 'Accepted; contacts are not matched yet' }),
  fetch_call_timeline: z.enum(['true', 'false']).optional(),
})

export const callsRoutes = createRouter()
  .openapi(
    createRoute({
      method: 'get',
      path: '/calls',
      tags,
      security,
      middleware: [requireAdmin],
      request: { query: paginationQuery.extend(fetchFlags.shape) },
      responses: { 200: json(pageOf('calls', callSchema), "The company's calls"), ...errorResponses },
    }),
    async (c) => {
      const q = c.req.valid('query')
      const result = await listCalls(serviceContext(c), q)
      return c.json({ calls: result.calls, meta: buildMeta(c, q, result.calls.length, result.total) }, 200)
    },
  )
  .openapi(
    createRoute({
      method: 'get',
      path: '/calls/{id}',
      tags,
      security,
      middleware: [requireAdmin],
      request: { params: idParams, query: fetchFlags },
      responses: { 200: json(z.object({ call: callSchema }), 'The call'), ...errorResponses },
    }),
    async (c) => {
      const call = await getCall(serviceContext(c), c.req.valid('param').id)
      return c.json({ call }, 200)
    },
  )
