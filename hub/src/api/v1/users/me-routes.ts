import { createRoute, z } from '@hono/zod-openapi'
import { createAgentToken, listAgentTokens, revokeAgentToken } from '../../../services/auth/agent-tokens.ts'
import { changeOwnPassword } from '../../../services/auth/change-password.ts'
import { clientKey } from '../../../services/auth/client-key.ts'
import { colleagueDirectory } from '../../../services/users/directory.ts'
import { newPassword, SELF_PRESENCES } from '../../../services/users/user-fields.ts'
import { getMe, setOwnPresence } from '../../../services/users/user-service.ts'
import { createRouter } from '../../context.ts'
import { requireUser } from '../../middleware/auth.ts'
import { clientAddress } from '../../middleware/client-address.ts'
import { withRetryAfter } from '../../middleware/retry-after.ts'
import { bearerSecurity, errorResponses, json, jsonBody, pageOf } from '../../openapi.ts'
import { buildMeta, paginationQuery } from '../../pagination.ts'
import { serviceContext } from '../../service-context.ts'
import { liveAvailabilitySchema, notAllowed, numericIdParam, userSchema } from './schemas.ts'

const tags = ['Me']

const agentTokenSchema = z
  .object({
    id: z.number().int(),
    name: z.string(),
    created_at: z.string(),
    last_used_at: z.string().nullable(),
  })
  .openapi('AgentToken')

const newAgentTokenSchema = agentTokenSchema
  .extend({ token: z.string().openapi({ description: 'Shown once; send it as `Authorization: Bearer …`' }) })
  .openapi('NewAgentToken')

/** What the signed-in user does for themselves (dashboard session or extension agent token). */
export const meRoutes = createRouter()
  .openapi(
    createRoute({
      method: 'get',
      path: '/me',
      tags,
      security: bearerSecurity,
      summary: 'The user of the token',
      middleware: [requireUser] as const,
      responses: { 200: json(z.object({ user: userSchema }), 'Your user'), ...errorResponses },
    }),
    async (c) => c.json({ user: await getMe(serviceContext(c)) }, 200),
  )
  .openapi(
    createRoute({
      method: 'get',
      path: '/me/directory',
      tags,
      security: bearerSecurity,
      summary: 'Colleagues and teams you can transfer a call to',
      description:
        "Your company's users (name and live availability) and teams, by name, at most 1,000 of each. Open to agents: only ids, names and availability.",
      middleware: [requireUser] as const,
      responses: {
        200: json(
          z.object({
            users: z.array(
              z.object({ id: z.number().int(), name: z.string(), availability: liveAvailabilitySchema }),
            ),
            teams: z.array(z.object({ id: z.number().int(), name: z.string() })),
          }),
          'The directory',
        ),
        ...errorResponses,
      },
    }),
    async (c) => c.json(await colleagueDirectory(serviceContext(c)), 200),
  )
  .openapi(
    createRoute({
      method: 'put',
      path: '/me/availability',
      tags,
      security: bearerSecurity,
      summary: 'Set your live availability',
      description:
        'The answer is the availability others now see: do_not_disturb while the admin setting makes you unavailable (unavailable, or Auto outside working hours).',
      middleware: [requireUser] as const,
      request: { body: jsonBody(z.object({ availability: z.enum(SELF_PRESENCES) })) },
      responses: {
        200: json(z.object({ availability: liveAvailabilitySchema }), 'Your live availability'),
        405: notAllowed('Not while in a call'),
        ...errorResponses,
      },
    }),
    async (c) => {
      const ctx = serviceContext(c)
      const availability = await setOwnPresence(ctx, c.req.valid('json').availability)
      if (ctx.actor.type === 'user')
        await c.var.deps.realtime?.presenceChanged(ctx.companyId, ctx.actor.userId)
      return c.json({ availability }, 200)
    },
  )
  .openapi(
    createRoute({
      method: 'post',
      path: '/me/password',
      tags,
      security: bearerSecurity,
      summary: 'Change your password (from a dashboard session)',
      description:
        'Checks the current password, then revokes every other session and agent token of yours, and your unused reset links. This session stays signed in.',
      middleware: [requireUser] as const,
      request: {
        body: jsonBody(
          z
            .object({ current_password: z.string().min(1).max(256), new_password: newPassword })
            .refine((b) => b.new_password !== b.current_password, {
              message: 'must differ from the current password',
              path: ['new_password'],
            })
            .openapi('ChangePassword'),
        ),
      },
      responses: {
        204: { description: 'Changed; other sessions and agent tokens no longer work' },
        ...errorResponses,
      },
    }),
    async (c) => {
      const guard = { owner: c.var.deps, client: clientKey(clientAddress(c)) }
      await withRetryAfter(c, () => changeOwnPassword(serviceContext(c), guard, c.req.valid('json')))
      return c.body(null, 204)
    },
  )
  .openapi(
    createRoute({
      method: 'get',
      path: '/me/agent_tokens',
      tags,
      security: bearerSecurity,
      summary: 'Your agent tokens (without their secrets)',
      middleware: [requireUser] as const,
      request: { query: paginationQuery },
      responses: {
        200: json(pageOf('agent_tokens', agentTokenSchema), 'A page of agent tokens'),
        ...errorResponses,
      },
    }),
    async (c) => {
      const q = c.req.valid('query')
      const page = await listAgentTokens(serviceContext(c), q)
      return c.json({ agent_tokens: page.items, meta: buildMeta(c, q, page.items.length, page.total) }, 200)
    },
  )
  .openapi(
    createRoute({
      method: 'post',
      path: '/me/agent_tokens',
      tags,
      security: bearerSecurity,
      summary: 'Create a long-lived agent token (Chrome extension)',
      middleware: [requireUser] as const,
      request: {
        body: jsonBody(
          z.object({ name: z.string().trim().min(1).max(100).openapi({ example: 'Chrome on my laptop' }) }),
        ),
      },
      responses: {
        201: json(z.object({ agent_token: newAgentTokenSchema }), 'The token, shown once'),
        ...errorResponses,
      },
    }),
    async (c) => {
      const agent_token = await createAgentToken(serviceContext(c), c.req.valid('json').name)
      return c.json({ agent_token }, 201)
    },
  )
  .openapi(
    createRoute({
      method: 'delete',
      path: '/me/agent_tokens/{id}',
      tags,
      security: bearerSecurity,
      summary: 'Revoke one of your agent tokens',
      middleware: [requireUser] as const,
      request: { params: numericIdParam },
      responses: { 204: { description: 'Revoked: the token stops working at once' }, ...errorResponses },
    }),
    async (c) => {
      await revokeAgentToken(serviceContext(c), c.req.valid('param').id)
      return c.body(null, 204)
    },
  )
