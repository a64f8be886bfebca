import { z } from 'zod'
import { agentCallSchema, declaredStatusSchema, presenceSchema } from './realtime.ts'

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
export const callActionBodySchema = z.discriminatedUnion('action', [
  z.object({ action: z.enum(['answer', 'decline', 'hangup']), call_id: z.number().int().positive() }),
  z.object({
    action: z.literal('tag'),
    call_id: z.number().int().positive(),
    tag_ids: z.array(z.number().int().positive()).min(1).max(50),
  }),
  z.object({
    action: z.literal('set_status'),
    status: declaredStatusSchema,
    reason: z.string().trim().max(100).optional(),
  }),
])
export type CallActionBody = z.infer<typeof callActionBodySchema>

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
  dial: null,
}
