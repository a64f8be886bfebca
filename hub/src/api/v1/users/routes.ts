import { createRoute, z } from '@hono/zod-openapi'
import { startUserCall } from '../../../services/calls/outbound-service.ts'
import { resendInvitation } from '../../../services/users/invitations.ts'
import { createUserInput, updateUserInput } from '../../../services/users/user-fields.ts'
import { searchParam } from '../../../services/users/user-search.ts'
import {
  createUser,
  deleteUser,
  dialUser,
  getAvailability,
  getUser,
  listAvailabilities,
  listUsers,
  updateUser,
} from '../../../services/users/user-service.ts'
import { createRouter } from '../../context.ts'
import { requireAdmin } from '../../middleware/auth.ts'
import { withRetryAfter } from '../../middleware/retry-after.ts'
import { errorResponses, json, jsonBody, pageOf, security } from '../../openapi.ts'
import { buildMeta, paginationQuery } from '../../pagination.ts'
import { serviceContext } from '../../service-context.ts'
import { mailDeps } from './mail-deps.ts'
import { meRoutes } from './me-routes.ts'
import { liveAvailabilitySchema, notAllowed, userIdParam, userSchema } from './schemas.ts'

const tags = ['Users']
const userEnvelope = z.object({ user: userSchema })
const emailTaken = json(
  z.object({ message: z.string(), field: z.string().optional() }),
  'Email already in use',
)

export const usersRoutes = createRouter()
  .openapi(
    createRoute({
      method: 'get',
      path: '/users',
      tags,
      security,
      summary: 'List users',
      middleware: [requireAdmin] as const,
      request: { query: paginationQuery.extend({ search: searchParam }) },
      responses: {
        200: json(pageOf('users', userSchema), 'A page of users'),
        ...errorResponses,
      },
    }),
    async (c) => {
      const q = c.req.valid('query')
      const page = await listUsers(serviceContext(c), q)
      return c.json({ users: page.items, meta: buildMeta(c, q, page.items.length, page.total) }, 200)
    },
  )
  .openapi(
    createRoute({
      method: 'post',
      path: '/users',
      tags,
      security,
      summary: 'Create a user and email them an invitation',
      middleware: [requireAdmin] as const,
      request: { body: jsonBody(createUserInput) },
      responses: {
        201: json(userEnvelope, 'The user, invited by email'),
        409: emailTaken,
        ...errorResponses,
      },
    }),
    async (c) => {
      const user = await createUser(serviceContext(c), c.req.valid('json'), mailDeps(c))
      return c.json({ user }, 201)
    },
  )
  .openapi(
    createRoute({
      method: 'get',
      path: '/users/availabilities',
      tags,
      security,
      summary: 'Live availability of every user',
      request: { query: paginationQuery },
      responses: {
        200: json(
          pageOf('users', z.object({ id: z.number().int(), availability: liveAvailabilitySchema })),
          'A page of users with their live availability',
        ),
        ...errorResponses,
      },
    }),
    async (c) => {
      const q = c.req.valid('query')
      const page = await listAvailabilities(serviceContext(c), q)
      return c.json({ users: page.items, meta: buildMeta(c, q, page.items.length, page.total) }, 200)
    },
  )
  .openapi(
    createRoute({
      method: 'get',
      path: '/users/{id}',
      tags,
      security,
      summary: 'Retrieve a user by id or email (agents: only themselves)',
      request: { params: userIdParam },
      responses: { 200: json(userEnvelope, 'The user'), ...errorResponses },
    }),
    async (c) => {
      const user = await getUser(serviceContext(c), c.req.valid('param').id)
      return c.json({ user }, 200)
    },
  )
  .openapi(
    createRoute({
      method: 'put',
      path: '/users/{id}',
      tags,
      security,
      summary: 'Update a user',
      middleware: [requireAdmin] as const,
      request: { params: userIdParam, body: jsonBody(updateUserInput) },
      responses: {
        200: json(userEnvelope, 'The updated user'),
        405: notAllowed('Would leave the company without an admin'),
        409: emailTaken,
        ...errorResponses,
      },
    }),
    async (c) => {
      const user = await updateUser(
        serviceContext(c),
        c.req.valid('param').id,
        c.req.valid('json'),
        mailDeps(c),
      )
      await c.var.deps.realtime?.presenceChanged(c.var.actor.companyId, user.id)
      return c.json({ user }, 200)
    },
  )
  .openapi(
    createRoute({
      method: 'delete',
      path: '/users/{id}',
      tags,
      security,
      summary: "Delete a user and all of the user's data",
      middleware: [requireAdmin] as const,
      request: { params: userIdParam },
      responses: {
        204: { description: 'Deleted' },
        405: notAllowed('The last admin of a company cannot be deleted'),
        ...errorResponses,
      },
    }),
    async (c) => {
      await deleteUser(serviceContext(c), c.req.valid('param').id)
      return c.body(null, 204)
    },
  )
  .openapi(
    createRoute({
      method: 'get',
      path: '/users/{id}/availability',
      tags,
      security,
      summary: 'Live availability of a user',
      request: { params: userIdParam },
      responses: {
        200: json(z.object({ availability: liveAvailabilitySchema }), 'The live availability'),
        ...errorResponses,
      },
    }),
    async (c) => {
      const availability = await getAvailability(serviceContext(c), c.req.valid('param').id)
      return c.json({ availability }, 200)
    },
  )
  .openapi(
    createRoute({
      method: 'post',
      path: '/users/{id}/invitation',
      tags,
      security,
      summary: 'Send the invitation again (earlier links stop working)',
      middleware: [requireAdmin] as const,
      request: { params: userIdParam },
      responses: {
        204: { description: 'Invitation sent' },
        405: notAllowed('The user already accepted their invitation'),
        ...errorResponses,
      },
    }),
    async (c) => {
      await resendInvitation(serviceContext(c), mailDeps(c), c.req.valid('param').id)
      return c.body(null, 204)
    },
  )
  .openapi(
    createRoute({
      method: 'post',
      path: '/users/{id}/dial',
      tags,
      security,
      summary: "Pre-fill the user's dialer with a number (their connected apps)",
      request: {
        params: userIdParam,
        body: jsonBody(
          z.object({
            to: z
              .string()
              .max(40)
              .openapi({ example: '+33 1 23 45 67 89', description: 'The number to dial' }),
          }),
        ),
      },
      responses: {
        204: { description: "Sent to the user's connected apps" },
        405: notAllowed(
          'The user is not available (no app open, do not disturb, in a call, after-call work)',
        ),
        ...errorResponses,
      },
    }),
    async (c) => {
      await dialUser(serviceContext(c), c.var.deps, c.req.valid('param').id, c.req.valid('json'))
      return c.body(null, 204)
    },
  )
  .openapi(
    createRoute({
      method: 'post',
      path: '/users/{id}/calls',
      tags,
      security,
      summary: "Start an outbound call: the user's device rings, then the number is dialled",
      description:
        'A hub that cannot carry one more call answers 503 with Retry-After (see POST /v1/sandbox/calls).',
      request: {
        params: userIdParam,
        body: jsonBody(
          z.object({
            number_id: z.number().int().positive().openapi({
              description: 'The line to call from (shown as caller ID); the user must be assigned to it',
            }),
            to: z
              .string()
              .max(40)
              .openapi({ example: '+33 1 23 45 67 89', description: 'The number to call' }),
          }),
        ),
      },
      responses: {
        204: {
          description: "The user's device rings; the call follows in webhooks and on the realtime channel",
        },
        405: notAllowed(
          'The user is not available (no app open, do not disturb, in a call, after-call work, a call ringing)',
        ),
        ...errorResponses,
      },
    }),
    async (c) => {
      await withRetryAfter(c, () =>
        startUserCall(serviceContext(c), c.var.deps, c.req.valid('param').id, c.req.valid('json')),
      )
      return c.body(null, 204)
    },
  )
  .route('/', meRoutes)
