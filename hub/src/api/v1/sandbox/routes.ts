import { createRoute, z } from '@hono/zod-openapi'
import {
  getSandboxDevice,
  placeSandboxCall,
  removeSandboxDevice,
  sandboxCallEvent,
  setSandboxDevice,
} from '../../../services/calls/sandbox-service.ts'
import { createRouter } from '../../context.ts'
import { requireAdmin } from '../../middleware/auth.ts'
import { withRetryAfter } from '../../middleware/retry-after.ts'
import { errorResponses, idParam, json, jsonBody, security } from '../../openapi.ts'
import { serviceContext } from '../../service-context.ts'
import { callSchema } from '../calls/schemas.ts'

const tags = ['Sandbox carrier']
const middleware = [requireAdmin]
const callParams = z.object({ id: idParam() })
const legParams = z.object({ id: idParam(), user_id: idParam() })
const agentParams = z.object({ user_id: idParam() })
const noContent = { 204: { description: 'Done (an event that no longer fits the call changes nothing)' } }
const deviceSchema = z
  .object({ user_id: z.number().int(), answer_after_sec: z.number().int(), talk_sec: z.number().int() })
  .openapi('SandboxDevice')

/**
 * The sandbox carrier's simulation API: play the caller and agents' devices. Admin only; every
 * call and user named must be the company's (404 otherwise).
 */
export const sandboxRoutes = createRouter()
  .openapi(
    createRoute({
      method: 'post',
      path: '/sandbox/calls',
      tags,
      security,
      middleware,
      summary: 'A simulated caller dials one of the company numbers',
      description:
        'When the hub cannot carry one more call (too many set-ups at once, or its call engine running ' +
        'behind by more than CALL_ENGINE_MAX_LAG_MS), it answers 503 with Retry-After and creates ' +
        'nothing: the caller of a real carrier would hear busy.',
      request: {
        body: jsonBody(
          z.object({
            from: z.string().trim().min(1).max(40).openapi({ description: 'E.164, or "anonymous"' }),
            to: z
              .string()
              .trim()
              .min(1)
              .max(40)
              .openapi({ description: 'A number of the company, any format' }),
          }),
        ),
      },
      responses: { 201: json(z.object({ call: callSchema }), 'The call, as it stands'), ...errorResponses },
    }),
    async (c) => {
      const call = await withRetryAfter(c, () =>
        placeSandboxCall(c.var.deps, serviceContext(c), c.req.valid('json')),
      )
      return c.json({ call }, 201)
    },
  )
  .openapi(
    createRoute({
      method: 'post',
      path: '/sandbox/calls/{id}/digits',
      tags,
      security,
      middleware,
      summary: 'The caller presses keys',
      request: {
        params: callParams,
        body: jsonBody(z.object({ digits: z.string().regex(/^[0-9*#]{1,20}$/, 'keys 0-9, * and #') })),
      },
      responses: { ...noContent, ...errorResponses },
    }),
    async (c) => {
      const { id } = c.req.valid('param')
      await sandboxCallEvent(c.var.deps, serviceContext(c), id, {
        type: 'digits',
        digits: c.req.valid('json').digits,
      })
      return c.body(null, 204)
    },
  )
  .openapi(
    createRoute({
      method: 'post',
      path: '/sandbox/calls/{id}/hangup',
      tags,
      security,
      middleware,
      summary: 'The caller (inbound) or the person called (outbound, or an outside transfer target) hangs up',
      request: { params: callParams },
      responses: { ...noContent, ...errorResponses },
    }),
    async (c) => {
      await sandboxCallEvent(c.var.deps, serviceContext(c), c.req.valid('param').id, {
        type: 'caller_hungup',
      })
      return c.body(null, 204)
    },
  )
  .openapi(
    createRoute({
      method: 'post',
      path: '/sandbox/calls/{id}/callee',
      tags,
      security,
      middleware,
      summary:
        'The outside number the call dials (an outbound call, a transfer to an outside number) answers, is busy, does not answer or fails',
      description:
        'Without it, a dialled number that rings out is not answered: the call moves on when its ring time is over.',
      request: {
        params: callParams,
        body: jsonBody(z.object({ result: z.enum(['answered', 'busy', 'no_answer', 'failed']) })),
      },
      responses: { ...noContent, ...errorResponses },
    }),
    async (c) => {
      await sandboxCallEvent(c.var.deps, serviceContext(c), c.req.valid('param').id, {
        type: 'dial_result',
        status: c.req.valid('json').result,
      })
      return c.body(null, 204)
    },
  )
  .openapi(
    createRoute({
      method: 'post',
      path: '/sandbox/calls/{id}/agents/{user_id}/answer',
      tags,
      security,
      middleware,
      summary: "An agent's ringing device answers",
      request: { params: legParams },
      responses: { ...noContent, ...errorResponses },
    }),
    async (c) => {
      const { id, user_id } = c.req.valid('param')
      await sandboxCallEvent(c.var.deps, serviceContext(c), id, { type: 'leg_answered', userId: user_id })
      return c.body(null, 204)
    },
  )
  .openapi(
    createRoute({
      method: 'post',
      path: '/sandbox/calls/{id}/agents/{user_id}/decline',
      tags,
      security,
      middleware,
      summary: "An agent's ringing device declines",
      request: { params: legParams },
      responses: { ...noContent, ...errorResponses },
    }),
    async (c) => {
      const { id, user_id } = c.req.valid('param')
      await sandboxCallEvent(c.var.deps, serviceContext(c), id, { type: 'leg_declined', userId: user_id })
      return c.body(null, 204)
    },
  )
  .openapi(
    createRoute({
      method: 'post',
      path: '/sandbox/calls/{id}/voicemail',
      tags,
      security,
      middleware,
      summary: 'The caller leaves a voicemail and hangs up',
      request: {
        params: callParams,
        body: jsonBody(z.object({ duration_sec: z.number().int().min(1).max(3600).default(10) })),
      },
      responses: { ...noContent, ...errorResponses },
    }),
    async (c) => {
      const { id } = c.req.valid('param')
      const { duration_sec } = c.req.valid('json')
      await sandboxCallEvent(c.var.deps, serviceContext(c), id, {
        type: 'voicemail_left',
        durationSec: duration_sec,
      })
      return c.body(null, 204)
    },
  )
  .openapi(
    createRoute({
      method: 'get',
      path: '/sandbox/agents/{user_id}',
      tags,
      security,
      middleware,
      summary: "An agent's simulated device (null when they have none)",
      request: { params: agentParams },
      responses: {
        200: json(z.object({ agent: deviceSchema.nullable() }), 'The simulated device, or null'),
        ...errorResponses,
      },
    }),
    async (c) =>
      c.json({ agent: await getSandboxDevice(serviceContext(c), c.req.valid('param').user_id) }, 200),
  )
  .openapi(
    createRoute({
      method: 'put',
      path: '/sandbox/agents/{user_id}',
      tags,
      security,
      middleware,
      summary: 'Give an agent a simulated device (online; answers after N s, talks M s)',
      request: {
        params: agentParams,
        body: jsonBody(
          z.object({
            answer_after_sec: z.number().int().min(0).max(3600),
            talk_sec: z.number().int().min(1).max(86_400),
          }),
        ),
      },
      responses: { 200: json(z.object({ agent: deviceSchema }), 'The simulated device'), ...errorResponses },
    }),
    async (c) => {
      const agent = await setSandboxDevice(
        c.var.deps,
        serviceContext(c),
        c.req.valid('param').user_id,
        c.req.valid('json'),
      )
      return c.json({ agent }, 200)
    },
  )
  .openapi(
    createRoute({
      method: 'delete',
      path: '/sandbox/agents/{user_id}',
      tags,
      security,
      middleware,
      summary: "Remove an agent's simulated device",
      request: { params: agentParams },
      responses: { 204: { description: 'Removed' }, ...errorResponses },
    }),
    async (c) => {
      await removeSandboxDevice(serviceContext(c), c.req.valid('param').user_id)
      return c.body(null, 204)
    },
  )
