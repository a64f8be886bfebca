import { createRoute, z } from '@hono/zod-openapi'
import { TEAM_STRATEGIES } from '@switchboard/shared'
import { getCall, listCalls } from '../../../services/calls/call-service.ts'
import { transferCallFromApi } from '../../../services/calls/transfer-service.ts'
import { createRouter } from '../../context.ts'
import { requireAdmin } from '../../middleware/auth.ts'
import { errorResponse, errorResponses, idParams, json, jsonBody, pageOf, security } from '../../openapi.ts'
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
  .openapi(
    createRoute({
      method: 'post',
      path: '/calls/{id}/transfers',
      tags,
      security,
      summary: 'Blind-transfer a connected call to a user, a team or an outside number',
      description:
        'Exactly one of user_id, team_id, number. The target rings while the caller waits on hold; ' +
        'if nobody answers, call.unsuccessful_transfer and the call comes back to its agent. ' +
        'Agent tokens: only the call they are on.',
      request: {
        params: idParams,
        body: jsonBody(
          z.object({
            user_id: z.number().int().positive().optional(),
            team_id: z.number().int().positive().optional(),
            number: z
              .string()
              .max(40)
              .optional()
              .openapi({ description: "E.164 (or national, read in the number's country)" }),
            dispatching_strategy: z
              .enum(TEAM_STRATEGIES)
              .optional()
              .openapi({ description: 'Team transfers only; default simultaneous' }),
          }),
        ),
      },
      responses: {
        204: { description: 'The transfer rings' },
        405: errorResponse('The call is not connected, not yours, or a transfer of it already rings'),
        ...errorResponses,
      },
    }),
    async (c) => {
      await transferCallFromApi(serviceContext(c), c.var.deps, c.req.valid('param').id, c.req.valid('json'))
      return c.body(null, 204)
    },
  )
