import { createRoute, z } from '@hono/zod-openapi'
import {
  addTeamMember,
  createTeam,
  deleteTeam,
  getTeam,
  listTeams,
  removeTeamMember,
  renameTeam,
} from '../../../services/teams/team-service.ts'
import { searchParam } from '../../../services/users/user-search.ts'
import { createRouter } from '../../context.ts'
import { requireAdmin } from '../../middleware/auth.ts'
import {
  errorResponses,
  idParam,
  idParams,
  json,
  jsonBody,
  pageOf,
  plainText,
  security,
} from '../../openapi.ts'
import { buildMeta, paginationQuery } from '../../pagination.ts'
import { serviceContext } from '../../service-context.ts'
import { nestedUserFields } from '../users/schemas.ts'

export const teamUserSchema = z
  .object({
    ...nestedUserFields,
    created_at: z.string(),
    time_zone: z.string(),
    language: z.string(),
  })
  .openapi('TeamUser')

export const teamSchema = z
  .object({
    id: z.number().int(),
    direct_link: z.string(),
    name: z.string(),
    created_at: z.string().openapi({ description: 'ISO 8601' }),
    users: z.array(teamUserSchema),
  })
  .openapi('Team')

const teamEnvelope = z.object({ team: teamSchema }).openapi('TeamEnvelope')
const teamName = z.object({
  name: plainText().trim().min(1).max(64).openapi({ description: 'Unique per company, case-insensitively' }),
})
const memberParams = z.object({ team_id: idParam(), user_id: idParam() })
const tags = ['Teams']
const middleware = [requireAdmin]

export const teamsRoutes = createRouter()
  .openapi(
    createRoute({
      method: 'get',
      path: '/teams',
      tags,
      security,
      middleware,
      request: {
        query: paginationQuery.extend({
          search: searchParam.openapi({
            description: 'Words that must each appear in the team name, ignoring case and accents',
          }),
        }),
      },
      responses: {
        200: json(pageOf('teams', teamSchema), 'Teams of the company'),
        ...errorResponses,
      },
    }),
    async (c) => {
      const q = c.req.valid('query')
      const { teams, total } = await listTeams(serviceContext(c), q)
      return c.json({ teams, meta: buildMeta(c, q, teams.length, total) }, 200)
    },
  )
  .openapi(
    createRoute({
      method: 'get',
      path: '/teams/{id}',
      tags,
      security,
      middleware,
      request: { params: idParams },
      responses: { 200: json(teamEnvelope, 'The team'), ...errorResponses },
    }),
    async (c) => {
      const team = await getTeam(serviceContext(c), c.req.valid('param').id)
      return c.json({ team }, 200)
    },
  )
  .openapi(
    createRoute({
      method: 'post',
      path: '/teams',
      tags,
      security,
      middleware,
      request: { body: jsonBody(teamName) },
      responses: { 201: json(teamEnvelope, 'The created team'), ...errorResponses },
    }),
    async (c) => {
      const team = await createTeam(serviceContext(c), c.req.valid('json').name)
      return c.json({ team }, 201)
    },
  )
  .openapi(
    createRoute({
      method: 'put',
      path: '/teams/{id}',
      tags,
      security,
      middleware,
      summary: 'Rename a team',
      request: { params: idParams, body: jsonBody(teamName) },
      responses: { 200: json(teamEnvelope, 'The renamed team, with its members'), ...errorResponses },
    }),
    async (c) => {
      const team = await renameTeam(serviceContext(c), c.req.valid('param').id, c.req.valid('json').name)
      return c.json({ team }, 200)
    },
  )
  .openapi(
    createRoute({
      method: 'delete',
      path: '/teams/{id}',
      tags,
      security,
      middleware,
      request: { params: idParams },
      responses: { 204: { description: 'Deleted' }, ...errorResponses },
    }),
    async (c) => {
      await deleteTeam(serviceContext(c), c.req.valid('param').id)
      return c.body(null, 204)
    },
  )
  .openapi(
    createRoute({
      method: 'post',
      path: '/teams/{team_id}/users/{user_id}',
      tags,
      security,
      middleware,
      request: { params: memberParams },
      responses: {
        201: json(teamEnvelope, 'The user was added; the team with its members'),
        200: json(teamEnvelope, 'The user already was a member; nothing changed'),
        ...errorResponses,
      },
    }),
    async (c) => {
      const { team_id, user_id } = c.req.valid('param')
      const { team, added } = await addTeamMember(serviceContext(c), team_id, user_id)
      return added ? c.json({ team }, 201) : c.json({ team }, 200)
    },
  )
  .openapi(
    createRoute({
      method: 'delete',
      path: '/teams/{team_id}/users/{user_id}',
      tags,
      security,
      middleware,
      request: { params: memberParams },
      responses: { 200: json(teamEnvelope, 'The team without the user'), ...errorResponses },
    }),
    async (c) => {
      const { team_id, user_id } = c.req.valid('param')
      const team = await removeTeamMember(serviceContext(c), team_id, user_id)
      return c.json({ team }, 200)
    },
  )
