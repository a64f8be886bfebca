import { z } from 'zod'
import { callerCardSchema } from './caller-card.ts'
import {
  agentCallSchema,
  declaredStatusSchema,
  insightCardContentSchema,
  presenceSchema,
} from './realtime.ts'

/**
 * Messages between the extension's pages (options, side panel, content script) and its
 * background service worker, one per `background/messages/<name>.ts` handler. They cross a
 * trust boundary (a content script runs inside pages the extension does not control), so the
 * background parses each body with these schemas before acting on it.
 */

/** The hub's base URL: http(s) only, no credentials, query or fragment. */
export const hubUrlSchema = z
  .string()
  .trim()
  .min(1)
  .max(2048)
  .transform((raw, ctx) => {
    let url: URL
    try {
      url = new URL(/^https?:\/\//i.test(raw) ? raw : `https://${raw}`)
    } catch {
      ctx.addIssue({ code: 'custom', message: 'not a URL' })
      return z.NEVER
    }
    if (!/^https?:$/.test(url.protocol) || url.username || url.password) {
      ctx.addIssue({ code: 'custom', message: 'an http(s) URL without credentials' })
      return z.NEVER
    }
    return `${url.protocol}//${url.host}${url.pathname.replace(/\/+$/, '')}`
  })

export const signInBodySchema = z.union([
  z.object({
    hub_url: hubUrlSchema,
    email: z.string().trim().min(1).max(320),
    password: z.string().min(1).max(256),
  }),
  z.object({ hub_url: hubUrlSchema, token: z.string().trim().min(1).max(512) }),
])
export type SignInBody = z.input<typeof signInBodySchema>

/** Why a sign-in, or a request to the hub, failed: each has its own message in the UI. */
export const extensionErrorCodeSchema = z.enum([
  'bad_request',
  /** Nothing answers at that address (DNS, refused connection, TLS, timeout). */
  'unreachable',
  /** Something answers, but not a Switchboard hub. */
  'not_a_hub',
  'wrong_credentials',
  /** The token was revoked or has expired: sign in again. */
  'token_revoked',
  /** The email opens accounts in several companies: paste an agent token instead. */
  'several_companies',
  'throttled',
  'not_signed_in',
  /** The hub refused the action (405: not available, in a call…). */
  'refused',
  'hub_error',
])
export type ExtensionErrorCode = z.infer<typeof extensionErrorCodeSchema>

export const failureSchema = z.object({
  ok: z.literal(false),
  code: extensionErrorCodeSchema,
  message: z.string(),
})
export type Failure = z.infer<typeof failureSchema>

export const agentNumberSchema = z.object({ id: z.number().int(), name: z.string(), digits: z.string() })

export const signedInUserSchema = z.object({
  id: z.number().int(),
  name: z.string(),
  email: z.string(),
  numbers: z.array(agentNumberSchema),
})
export type SignedInUser = z.infer<typeof signedInUserSchema>

export const signInResultSchema = z.union([
  z.object({ ok: z.literal(true), user: signedInUserSchema }),
  failureSchema,
])
export type SignInResult = z.infer<typeof signInResultSchema>

export const okResultSchema = z.union([z.object({ ok: z.literal(true) }), failureSchema])
export type OkResult = z.infer<typeof okResultSchema>

/** Click-to-call from a page: the number as found (E.164 or as written in a `tel:` link). */
export const dialBodySchema = z.object({
  to: z.string().trim().min(3).max(40),
  /** The line to call from; the agent's default number when absent. */
  number_id: z.number().int().positive().optional(),
})
export type DialBody = z.infer<typeof dialBodySchema>

/** The side panel's buttons, sent to the hub over the realtime channel. */
const callIdField = z.number().int().positive()
export const callActionBodySchema = z.discriminatedUnion('action', [
  z.object({
    action: z.enum(['answer', 'decline', 'hangup', 'pause_recording', 'resume_recording']),
    call_id: callIdField,
  }),
  z.object({
    action: z.literal('tag'),
    call_id: callIdField,
    tag_ids: z.array(z.number().int().positive()).min(1).max(50),
  }),
  z.object({
    action: z.literal('comment'),
    call_id: callIdField,
    content: z.string().trim().min(1).max(5000),
  }),
  /** Exactly one target: a colleague, a team, or an outside number. */
  z.object({
    action: z.literal('transfer'),
    call_id: callIdField,
    to: z.discriminatedUnion('kind', [
      z.object({ kind: z.literal('user'), user_id: z.number().int().positive() }),
      z.object({ kind: z.literal('team'), team_id: z.number().int().positive() }),
      z.object({ kind: z.literal('number'), number: z.string().trim().min(3).max(32) }),
    ]),
  }),
  z.object({
    action: z.literal('set_status'),
    status: declaredStatusSchema,
    reason: z.string().trim().max(100).optional(),
  }),
])
export type CallActionBody = z.infer<typeof callActionBodySchema>

/**
 * Phone detection for the content script: it sends the texts of a page that hold enough digits
 * and gets each one's matches back (same order). The detector (libphonenumber and its metadata)
 * lives in the background only, so pages load a small script and the CPU work happens off their
 * main thread.
 */
export const detectBodySchema = z.object({
  /** ISO 3166 alpha-2 country for national formats. */
  country: z.string().regex(/^[A-Za-z]{2}$/),
  texts: z.array(z.string().max(20_000)).min(1).max(500),
})
export type DetectBody = z.infer<typeof detectBodySchema>
export const phoneMatchSchema = z.object({ start: z.number().int(), end: z.number().int(), e164: z.string() })
export const detectResultSchema = z.union([
  z.object({ ok: z.literal(true), matches: z.array(z.array(phoneMatchSchema)) }),
  failureSchema,
])
export type DetectResult = z.infer<typeof detectResultSchema>

/** The lines the agent may call from (the click-to-call picker when they have several). */
export const linesResultSchema = z.union([
  z.object({ ok: z.literal(true), numbers: z.array(agentNumberSchema) }),
  failureSchema,
])
export type LinesResult = z.infer<typeof linesResultSchema>

/** Transfer targets: colleagues and teams (an empty list when the hub does not let this agent list them). */
export const directoryResultSchema = z.union([
  z.object({
    ok: z.literal(true),
    users: z.array(z.object({ id: z.number().int(), name: z.string() })),
    teams: z.array(z.object({ id: z.number().int(), name: z.string() })),
  }),
  failureSchema,
])
export type DirectoryResult = z.infer<typeof directoryResultSchema>

export const callbackTaskSummarySchema = z.object({
  id: z.number().int(),
  phone_number: z.string(),
  /** The line the caller called: the callback goes out from it. */
  number_id: z.number().int().nullable(),
  number_name: z.string().nullable(),
  created_at: z.number().int(),
})
export type CallbackTaskSummary = z.infer<typeof callbackTaskSummarySchema>
export const callbackTasksResultSchema = z.union([
  z.object({ ok: z.literal(true), tasks: z.array(callbackTaskSummarySchema) }),
  failureSchema,
])
export type CallbackTasksResult = z.infer<typeof callbackTasksResultSchema>
export const callbackDoneBodySchema = z.object({ id: z.number().int().positive() })

/**
 * Where click-to-call runs: the CRMs' own hosts unless blocked, any other site the agent allowed.
 * Hosts are lowercase names (`crm.example.com`); a leading `*.` covers subdomains too.
 */
const hostPatternSchema = z
  .string()
  .trim()
  .toLowerCase()
  .regex(/^(\*\.)?[a-z0-9.-]+(:\d+)?$/)
  .max(253)
export const siteSettingsSchema = z.object({
  allowed: z.array(hostPatternSchema).max(200),
  blocked: z.array(hostPatternSchema).max(200),
})
export type SiteSettings = z.infer<typeof siteSettingsSchema>
export const SITE_SETTINGS_KEY = 'switchboard.sites'
export const defaultSiteSettings: SiteSettings = { allowed: [], blocked: [] }

export const tagsResultSchema = z.union([
  z.object({ ok: z.literal(true), tags: z.array(z.object({ id: z.number().int(), name: z.string() })) }),
  failureSchema,
])
export type TagsResult = z.infer<typeof tagsResultSchema>

/**
 * What the background keeps in `chrome.storage.session` under EXTENSION_STATE_KEY for the
 * side panel to render (it re-renders on each change).
 */
export const extensionStateSchema = z.object({
  connection: z.enum(['signed_out', 'connecting', 'online', 'offline']),
  /** Why the last sign-in or connection failed, when it did. */
  error: failureSchema.nullable(),
  user: signedInUserSchema.nullable(),
  presence: presenceSchema.nullable(),
  call: agentCallSchema.nullable(),
  /** The call that ended last, for tagging it afterwards. */
  last_call: agentCallSchema.nullable(),
  /** The last call ended and must be tagged before the next one. */
  tag_required_call_id: z.number().int().nullable(),
  /** The last click-to-call from a page, until the hub's call.ringing takes over. */
  /** Who is calling: the hub's caller card for the ringing or current call. */
  caller_card: z.object({ call_id: z.number().int(), card: callerCardSchema }).nullable().default(null),
  /** The insight cards posted for the current call, oldest first. */
  insight_cards: z
    .array(z.object({ call_id: z.number().int(), contents: z.array(insightCardContentSchema) }))
    .max(20)
    .default([]),
  /** Bumped by each new callback task the hub announces: the panel lists them again. */
  callbacks_seen: z.number().int().default(0),
  /** The last calls this browser saw end, newest first (at most 20). */
  recent_calls: z.array(agentCallSchema).max(20).default([]),
  /** A transfer that nobody took (the call is back with the agent). */
  transfer_failed: z
    .object({
      call_id: z.number().int(),
      reason: z.enum(['no_answer', 'nobody_available', 'busy', 'failed']),
    })
    .nullable()
    .default(null),
  /** The hub asked to pre-fill the dialer (`POST /v1/users/:id/dial`). */
  prefill: z.object({ to: z.string(), number_id: z.number().int().nullable() }).nullable().default(null),
  dial: z
    .object({
      to: z.string(),
      state: z.enum(['requesting', 'placed', 'failed']),
      message: z.string().nullable(),
      at: z.number(),
    })
    .nullable(),
})
export type ExtensionState = z.infer<typeof extensionStateSchema>

export const EXTENSION_STATE_KEY = 'switchboard.state'

export const initialExtensionState: ExtensionState = {
  connection: 'signed_out',
  error: null,
  user: null,
  presence: null,
  call: null,
  last_call: null,
  tag_required_call_id: null,
  caller_card: null,
  recent_calls: [],
  insight_cards: [],
  callbacks_seen: 0,
  transfer_failed: null,
  prefill: null,
  dial: null,
}
