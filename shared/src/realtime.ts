import { z } from 'zod'
import { callerCardSchema } from './caller-card.ts'

/**
 * The realtime channel between the hub and an agent's clients (the extension, the dashboard,
 * scripts): JSON text frames over the WebSocket at `GET /v1/realtime`, version 1.
 *
 * - The client's first frame is `auth` (a session token or an agent token: never in the URL);
 *   the hub answers `hello` with the agent's presence and the call they are on, or closes the
 *   socket with code 4401 (bad credentials) / 4400 (bad first frame).
 * - After a reconnect the client gets `hello` again: it carries the current call, so nothing
 *   from before the reconnect needs replaying.
 * - Either side may send `ping`; the other answers `pong` with the same `ref`. The hub pings a
 *   quiet client every 25 s and drops it after 60 s without any frame.
 * - Every client → hub action may carry a `ref`; the hub answers it with `ack` (done) or
 *   `error` with the same `ref`.
 * Frames that do not parse get an `error` frame (code `bad_request`); the socket stays open.
 */
export const REALTIME_PROTOCOL_VERSION = 1

const ref = z.string().max(64).optional()
const callId = z.number().int().positive()

/** What an agent declares (the hub's own "auto" follows their working hours). */
export const declaredStatusSchema = z.enum(['available', 'auto', 'unavailable', 'do_not_disturb'])
export type DeclaredStatusName = z.infer<typeof declaredStatusSchema>

/** What the agent is doing, from the engine. */
export const liveStateSchema = z.enum(['idle', 'ringing', 'in_call', 'after_call_work', 'pending_tag'])
export type LiveStateName = z.infer<typeof liveStateSchema>

export const presenceSchema = z.object({
  user_id: z.number().int(),
  /** At least one client connected (or a simulated device, or external forwarding on). */
  online: z.boolean(),
  declared: declaredStatusSchema,
  /** Why the agent is unavailable, when they said. */
  reason: z.string().nullable(),
  live: liveStateSchema,
  /** Whether a call may ring them now. */
  routable: z.boolean(),
})
export type Presence = z.infer<typeof presenceSchema>

/** A call as an agent's client shows it. */
export const agentCallSchema = z.object({
  call_id: callId,
  direction: z.enum(['inbound', 'outbound']),
  /**
   * initial → ringing on this agent (outbound: until the person called answers), answered →
   * connected, done → ended.
   */
  status: z.enum(['ringing', 'answered', 'done']),
  /** The other party: the caller (inbound) or the person called (outbound), E.164 or "anonymous". */
  external_number: z.string(),
  number: z.object({ id: z.number().int(), name: z.string(), digits: z.string() }),
  team: z.object({ id: z.number().int(), name: z.string() }).nullable(),
  /** The IVR keys pressed to get here, in order. */
  ivr_path: z.array(z.string()),
  started_at: z.number().int(),
  answered_at: z.number().int().nullable(),
  recording: z.enum(['off', 'on', 'paused']),
  /** The number requires a tag before the agent takes another call. */
  tag_required: z.boolean(),
})
export type AgentCall = z.infer<typeof agentCallSchema>

/** Links an agent's app opens: web pages only (never `javascript:` or `data:` URLs). */
const cardLink = z.url({ protocol: /^https?$/ }).max(2048)

export const insightCardContentSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('title'), text: z.string().max(200), link: cardLink.optional() }),
  z.object({
    type: z.literal('shortText'),
    label: z.string().max(100),
    text: z.string().max(500),
    link: cardLink.optional(),
  }),
])

/** Hub → client frames. */
export const serverMessageSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('hello'),
    v: z.literal(REALTIME_PROTOCOL_VERSION),
    user: z.object({ id: z.number().int(), name: z.string(), company_id: z.number().int() }),
    presence: presenceSchema,
    /** The call the agent is ringing for or on, if any. */
    call: agentCallSchema.nullable(),
  }),
  z.object({ type: z.literal('call.ringing'), call: agentCallSchema }),
  /** The call is connected; sent again when it changes while connected (recording paused / resumed). */
  z.object({ type: z.literal('call.answered'), call: agentCallSchema }),
  /**
   * Another agent took it, the caller gave up, the step moved on, or the call was sent to an
   * outside number before anyone answered: stop ringing.
   */
  z.object({
    type: z.literal('call.ring_stopped'),
    call_id: callId,
    reason: z.enum(['answered_elsewhere', 'caller_hung_up', 'timeout', 'declined', 'transferred']),
  }),
  z.object({ type: z.literal('call.ended'), call: agentCallSchema }),
  /** The call this agent transferred was taken: it is no longer theirs. */
  z.object({
    type: z.literal('call.transferred'),
    call_id: callId,
    /** Who took it: the user (for a team, the member who answered), or the outside number. */
    to: z.object({
      user_id: z.number().int().nullable(),
      team_id: z.number().int().nullable(),
      number: z.string().nullable(),
    }),
  }),
  /** Nobody took the call this agent transferred: it is back with them. */
  z.object({
    type: z.literal('call.transfer_failed'),
    call_id: callId,
    reason: z.enum(['no_answer', 'nobody_available', 'busy', 'failed']),
  }),
  z.object({ type: z.literal('call.tag_required'), call_id: callId }),
  z.object({
    type: z.literal('call.insight_card'),
    call_id: callId,
    contents: z.array(insightCardContentSchema),
  }),
  /** Who is calling (CRM records, recent calls, weather): sent while the call rings, once looked up. */
  z.object({ type: z.literal('call.caller_card'), call_id: callId, card: callerCardSchema }),
  /** `POST /v1/users/:id/dial`: pre-fill the dialer. */
  z.object({ type: z.literal('dial'), to: z.string(), number_id: z.number().int().nullable() }),
  /**
   * A caller pressed `*` to be called back: a new task for the agents of the number they
   * called (`GET /v1/callback_tasks` lists it).
   */
  z.object({
    type: z.literal('callback_task.created'),
    task: z.object({
      id: z.number().int(),
      call_id: callId,
      phone_number: z.string(),
      number_id: z.number().int(),
      created_at: z.number().int(),
    }),
  }),
  z.object({ type: z.literal('presence'), presence: presenceSchema }),
  z.object({ type: z.literal('ack'), ref: z.string() }),
  z.object({
    type: z.literal('error'),
    ref: z.string().optional(),
    code: z.string(),
    message: z.string(),
  }),
  z.object({ type: z.literal('ping'), ref: z.string().optional() }),
  z.object({ type: z.literal('pong'), ref: z.string().optional() }),
])
export type ServerMessage = z.infer<typeof serverMessageSchema>

/** Client → hub frames. */
export const clientMessageSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('auth'),
    v: z.literal(REALTIME_PROTOCOL_VERSION),
    token: z.string().min(1).max(512),
  }),
  z.object({ type: z.literal('ping'), ref }),
  z.object({ type: z.literal('pong'), ref }),
  z.object({
    type: z.literal('set_status'),
    ref,
    status: declaredStatusSchema,
    reason: z.string().trim().max(100).optional(),
  }),
  z.object({ type: z.literal('answer'), ref, call_id: callId }),
  z.object({ type: z.literal('decline'), ref, call_id: callId }),
  z.object({ type: z.literal('hangup'), ref, call_id: callId }),
  z.object({ type: z.literal('pause_recording'), ref, call_id: callId }),
  z.object({ type: z.literal('resume_recording'), ref, call_id: callId }),
  z.object({
    type: z.literal('transfer'),
    ref,
    call_id: callId,
    /** Exactly one of user_id, team_id, number (E.164). */
    user_id: z.number().int().positive().optional(),
    team_id: z.number().int().positive().optional(),
    number: z.string().max(32).optional(),
    /** Team transfers only (default simultaneous). */
    dispatching_strategy: z.enum(['simultaneous', 'random', 'longest_idle']).optional(),
  }),
  z.object({
    type: z.literal('tag'),
    ref,
    call_id: callId,
    tag_ids: z.array(z.number().int().positive()).min(1).max(50),
  }),
  z.object({ type: z.literal('comment'), ref, call_id: callId, content: z.string().trim().min(1).max(5000) }),
])
export type ClientMessage = z.infer<typeof clientMessageSchema>

/** WebSocket close codes the hub uses (4000–4999 are the application's). */
export const REALTIME_CLOSE = {
  badFirstFrame: 4400,
  unauthorized: 4401,
  /** The credential was revoked while connected (sign-out, password change…). */
  revoked: 4403,
  /** The hub is shutting down: reconnect (to another hub) with backoff. */
  goingAway: 1001,
  /** The client fell too far behind while signing in: reconnect with backoff. */
  tryAgainLater: 1013,
} as const
