import { createRoute, z } from '@hono/zod-openapi'
import { insightCardContentSchema, TEAM_STRATEGIES } from '@switchboard/shared'
import {
  addCallComment,
  addCallTags,
  agentDeviceAction,
  archiveCall,
  assignCallTo,
  deleteCallRecording,
  pauseCallRecording,
  removeCallTag,
  showInsightCard,
} from '../../../services/calls/call-action-service.ts'
import { getCall, listCalls, searchCalls } from '../../../services/calls/call-service.ts'
import { transferCallFromApi } from '../../../services/calls/transfer-service.ts'
import { replayCallSync } from '../../../services/integrations/sync-ledger.ts'
import { createRouter } from '../../context.ts'
import { requireAdmin } from '../../middleware/auth.ts'
import {
  errorResponse,
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
import { callSchema, callSyncSchema, MAX_COMMENT_LENGTH, searchQuery } from './schemas.ts'

const tags = ['Calls']
const flag = (description: string) =>
  z
    .enum(['true', 'false'])
    .optional()
    .transform((v) => v === 'true')
    .openapi({ description })
const fetchFlags = z.object({
  fetch_contact: flag("Fill `contact` with the company's contact whose phone is the other party's"),
  fetch_call_timeline: flag('Add `timeline`: the call’s events in order'),
})
const callEnvelope = json(z.object({ call: callSchema }), 'The call')
const notAllowed = { 405: errorResponse('Not possible in the call’s current state') }
const callRoute = { tags, security, request: { params: idParams } }

/** The route of one of the realtime channel's device actions, as REST (agentDeviceAction). */
const deviceRoute = (
  action: 'answer' | 'decline' | 'hangup',
  summary: string,
  done: string,
  refused: string,
) =>
  createRoute({
    method: 'post',
    path: `/calls/{id}/${action}`,
    ...callRoute,
    summary,
    description:
      `The realtime channel's \`${action}\`, for a user acting for themselves (an agent's token or a ` +
      'session); an API key gets 403.',
    responses: { 204: { description: done }, 405: errorResponse(refused), ...errorResponses },
  })

/**
 * Aircall's Calls API. Reading is for admins and API keys; actions are open to agents' tokens on
 * their own calls (the service decides); deleting recordings and voicemails is for admins.
 */
export const callsRoutes = createRouter()
  .openapi(
    createRoute({
      method: 'get',
      path: '/calls',
      tags,
      security,
      summary: "List the company's calls",
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
      path: '/calls/search',
      tags,
      security,
      summary: 'Search calls by direction, agent, phone number and tags',
      middleware: [requireAdmin],
      request: { query: searchQuery.extend(fetchFlags.shape) },
      responses: { 200: json(pageOf('calls', callSchema), 'The calls that match'), ...errorResponses },
    }),
    async (c) => {
      const q = c.req.valid('query')
      const { 'tags[]': bracketed, tags: plain, ...rest } = q
      const tagIds = bracketed || plain ? [...(bracketed ?? []), ...(plain ?? [])] : undefined
      const result = await searchCalls(serviceContext(c), { ...rest, tags: tagIds })
      return c.json({ calls: result.calls, meta: buildMeta(c, q, result.calls.length, result.total) }, 200)
    },
  )
  .openapi(
    createRoute({
      method: 'get',
      path: '/calls/{id}',
      tags,
      security,
      summary: 'Retrieve a call',
      middleware: [requireAdmin],
      request: { params: idParams, query: fetchFlags },
      responses: { 200: callEnvelope, ...errorResponses },
    }),
    async (c) => {
      const call = await getCall(serviceContext(c), c.req.valid('param').id, c.req.valid('query'))
      return c.json({ call }, 200)
    },
  )
  .openapi(
    createRoute({
      method: 'post',
      path: '/calls/{id}/sync/replay',
      tags,
      security,
      summary:
        "Sync a call to its CRM integrations again (all, or one): the activity is brought to the call's state",
      middleware: [requireAdmin],
      request: {
        params: idParams,
        body: {
          ...jsonBody(
            z.object({
              integration_id: z
                .number()
                .int()
                .positive()
                .optional()
                .openapi({ description: 'Only this integration' }),
            }),
          ),
          required: false,
        },
      },
      responses: {
        202: json(z.object({ sync: z.array(callSyncSchema) }), 'Queued; the ledger as it stands'),
        ...errorResponses,
      },
    }),
    async (c) => {
      const body = c.req.valid('json') as { integration_id?: number } | undefined
      const sync = await replayCallSync(
        serviceContext(c),
        c.var.deps.queue,
        c.req.valid('param').id,
        body?.integration_id,
      )
      return c.json({ sync }, 202)
    },
  )
  .openapi(
    createRoute({
      method: 'post',
      path: '/calls/{id}/tags',
      ...callRoute,
      summary: 'Tag a call (call.tagged)',
      request: {
        params: idParams,
        body: jsonBody(
          z.object({
            tags: z
              .array(z.number().int().positive())
              .min(1)
              .max(50)
              .openapi({ description: 'Tag ids of the company', example: [1] }),
          }),
        ),
      },
      responses: { 201: { description: 'Tagged (tags it already had stay as they are)' }, ...errorResponses },
    }),
    async (c) => {
      await addCallTags(c.var.deps, serviceContext(c), c.req.valid('param').id, c.req.valid('json').tags)
      return c.body(null, 201)
    },
  )
  .openapi(
    createRoute({
      method: 'delete',
      path: '/calls/{id}/tags/{tag_id}',
      tags,
      security,
      summary: 'Remove a tag from a call (call.untagged)',
      request: { params: z.object({ id: idParam(), tag_id: idParam() }) },
      responses: { 204: { description: 'The call no longer has the tag' }, ...errorResponses },
    }),
    async (c) => {
      const { id, tag_id } = c.req.valid('param')
      await removeCallTag(c.var.deps, serviceContext(c), id, tag_id)
      return c.body(null, 204)
    },
  )
  .openapi(
    createRoute({
      method: 'post',
      path: '/calls/{id}/comments',
      ...callRoute,
      summary: 'Comment a call (call.commented); at most 5 comments per call',
      request: {
        params: idParams,
        body: jsonBody(z.object({ content: plainText().trim().min(1).max(MAX_COMMENT_LENGTH) })),
      },
      responses: {
        201: { description: 'Commented' },
        422: errorResponse('The call already has 5 comments'),
        ...errorResponses,
      },
    }),
    async (c) => {
      await addCallComment(
        c.var.deps,
        serviceContext(c),
        c.req.valid('param').id,
        c.req.valid('json').content,
      )
      return c.body(null, 201)
    },
  )
  .openapi(
    createRoute({
      method: 'put',
      path: '/calls/{id}/archive',
      ...callRoute,
      summary: 'Archive a call (call.archived)',
      responses: { 200: callEnvelope, ...errorResponses },
    }),
    async (c) => {
      const call = await archiveCall(c.var.deps, serviceContext(c), c.req.valid('param').id, true)
      return c.json({ call }, 200)
    },
  )
  .openapi(
    createRoute({
      method: 'put',
      path: '/calls/{id}/unarchive',
      ...callRoute,
      summary: 'Unarchive a call',
      responses: { 200: callEnvelope, ...errorResponses },
    }),
    async (c) => {
      const call = await archiveCall(c.var.deps, serviceContext(c), c.req.valid('param').id, false)
      return c.json({ call }, 200)
    },
  )
  .openapi(
    createRoute({
      method: 'post',
      path: '/calls/{id}/assign',
      ...callRoute,
      summary: 'Assign a call to a user of the company (call.assigned)',
      request: {
        params: idParams,
        body: jsonBody(z.object({ user_id: z.number().int().positive().openapi({ example: 1 }) })),
      },
      responses: { 200: callEnvelope, ...errorResponses },
    }),
    async (c) => {
      const call = await assignCallTo(
        c.var.deps,
        serviceContext(c),
        c.req.valid('param').id,
        c.req.valid('json').user_id,
      )
      return c.json({ call }, 200)
    },
  )
  .openapi(
    createRoute({
      method: 'post',
      path: '/calls/{id}/insight_cards',
      ...callRoute,
      summary: 'Show an insight card to the agents of a live call',
      request: {
        params: idParams,
        body: jsonBody(z.object({ contents: z.array(insightCardContentSchema).min(1).max(20) })),
      },
      responses: {
        201: {
          description:
            'Sent to the apps of the agents the call rings on or is answered by, and kept with the call for those it reaches later',
        },
        ...errorResponses,
      },
    }),
    async (c) => {
      await showInsightCard(
        c.var.deps,
        serviceContext(c),
        c.req.valid('param').id,
        c.req.valid('json').contents,
      )
      return c.body(null, 201)
    },
  )
  .openapi(
    deviceRoute('answer', 'Answer a call ringing on you', 'Answered', 'The call is not ringing on you'),
    async (c) => {
      await agentDeviceAction(c.var.deps, serviceContext(c), c.req.valid('param').id, 'answer')
      return c.body(null, 204)
    },
  )
  .openapi(
    deviceRoute(
      'decline',
      'Decline a call ringing on you',
      'Declined: the call moves on as if your device rang out',
      'The call is not ringing on you',
    ),
    async (c) => {
      await agentDeviceAction(c.var.deps, serviceContext(c), c.req.valid('param').id, 'decline')
      return c.body(null, 204)
    },
  )
  .openapi(
    deviceRoute(
      'hangup',
      'Hang up the call you are on',
      'Hung up: the call ends',
      'You are not on this call (an outbound call you place: until it is answered, too)',
    ),
    async (c) => {
      await agentDeviceAction(c.var.deps, serviceContext(c), c.req.valid('param').id, 'hangup')
      return c.body(null, 204)
    },
  )
  .openapi(
    createRoute({
      method: 'post',
      path: '/calls/{id}/pause_recording',
      ...callRoute,
      summary: 'Pause the recording of an answered call',
      responses: { 204: { description: 'Paused' }, ...notAllowed, ...errorResponses },
    }),
    async (c) => {
      await pauseCallRecording(c.var.deps, serviceContext(c), c.req.valid('param').id, true)
      return c.body(null, 204)
    },
  )
  .openapi(
    createRoute({
      method: 'post',
      path: '/calls/{id}/resume_recording',
      ...callRoute,
      summary: 'Resume the recording of an answered call',
      responses: { 204: { description: 'Recording' }, ...notAllowed, ...errorResponses },
    }),
    async (c) => {
      await pauseCallRecording(c.var.deps, serviceContext(c), c.req.valid('param').id, false)
      return c.body(null, 204)
    },
  )
  .openapi(
    createRoute({
      method: 'delete',
      path: '/calls/{id}/recording',
      ...callRoute,
      middleware: [requireAdmin],
      summary: "Delete the call's recording for good",
      responses: { 204: { description: 'The call has no recording' }, ...errorResponses },
    }),
    async (c) => {
      await deleteCallRecording(c.var.deps, serviceContext(c), c.req.valid('param').id, 'recording')
      return c.body(null, 204)
    },
  )
  .openapi(
    createRoute({
      method: 'delete',
      path: '/calls/{id}/voicemail',
      ...callRoute,
      middleware: [requireAdmin],
      summary: "Delete the call's voicemail for good",
      responses: { 204: { description: 'The call has no voicemail' }, ...errorResponses },
    }),
    async (c) => {
      await deleteCallRecording(c.var.deps, serviceContext(c), c.req.valid('param').id, 'voicemail')
      return c.body(null, 204)
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
        'An inbound call nobody answered yet may only go to an outside number (API keys and admins): ' +
        'its ringing stops and the call is handed to that number (call.external_transferred). ' +
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
        405: errorResponse(
          'The call is not connected (or, unanswered, the target is not a number or the caller no ' +
            'longer waits), not yours, or a transfer of it already rings',
        ),
        ...errorResponses,
      },
    }),
    async (c) => {
      await transferCallFromApi(serviceContext(c), c.var.deps, c.req.valid('param').id, c.req.valid('json'))
      return c.body(null, 204)
    },
  )
