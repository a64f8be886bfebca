import {
  type CallActionBody,
  type DialBody,
  EXTENSION_STATE_KEY,
  type ExtensionState,
  extensionStateSchema,
  type Failure,
  initialExtensionState,
  type OkResult,
  type SignedInUser,
  type SignInResult,
  signInBodySchema,
  type TagsResult,
} from '@switchboard/shared'
import browser from 'webextension-polyfill'
import { applyServerMessage } from '../lib/call-state.ts'
import { listTags, revokeToken, signInWithPassword, signInWithToken, startCall } from '../lib/hub-client.ts'
import { createRealtimeConnection, type RealtimeConnection } from '../lib/realtime-connection.ts'

/**
 * The background service worker's single owner of the agent's session: credentials in
 * `storage.local` (extension storage, which no web page can read), the live state in
 * `storage.session` (gone with the browser session, shared with the side panel), and the
 * realtime connection. MV3 may stop the worker at any time: everything it needs to resume is
 * in storage, and `boot()` runs at each start.
 */

const CREDENTIALS_KEY = 'switchboard.credentials'
type Credentials = { hub_url: string; token: string; user: SignedInUser }

let connection: RealtimeConnection | null = null
let credentials: Credentials | null = null
// State writes are serialised so two frames arriving together never lose an update.
let stateChain: Promise<unknown> = Promise.resolve()

async function readState(): Promise<ExtensionState> {
  const stored = (await browser.storage.session.get(EXTENSION_STATE_KEY))[EXTENSION_STATE_KEY]
  const parsed = extensionStateSchema.safeParse(stored)
  return parsed.success ? parsed.data : initialExtensionState
}

function updateState(change: (s: ExtensionState) => ExtensionState): Promise<void> {
  const next = stateChain.then(async () => {
    const state = change(await readState())
    await browser.storage.session.set({ [EXTENSION_STATE_KEY]: state })
  })
  stateChain = next.catch(() => undefined)
  return next
}

async function readCredentials(): Promise<Credentials | null> {
  const stored = (await browser.storage.local.get(CREDENTIALS_KEY))[CREDENTIALS_KEY] as
    | Credentials
    | undefined
  return stored?.hub_url && stored.token ? stored : null
}

function connect(creds: Credentials) {
  connection?.stop()
  credentials = creds
  const conn = createRealtimeConnection({
    hubUrl: creds.hub_url,
    token: creds.token,
    handlers: {
      onMessage: (message) => void updateState((s) => applyServerMessage(s, message)),
      onStatus: (status) => void updateState((s) => ({ ...s, connection: status })),
      onRejected: (reason) => {
        void (async () => {
          await browser.storage.local.remove(CREDENTIALS_KEY)
          credentials = null
          connection = null
          await updateState(() => ({
            ...initialExtensionState,
            error: {
              ok: false,
              code: 'token_revoked',
              message:
                reason === 'revoked'
                  ? 'Your access was revoked (signed out elsewhere or password changed): sign in again'
                  : 'The hub no longer accepts this token: sign in again',
            },
          }))
        })()
      },
    },
  })
  connection = conn
  conn.start()
}

/** Runs at each start of the worker: resumes the session stored before it was stopped. */
export async function boot() {
  const creds = await readCredentials()
  if (!creds) {
    await updateState((s) => ({ ...s, connection: 'signed_out', user: null }))
    return
  }
  await updateState((s) => ({ ...s, user: creds.user }))
  connect(creds)
}

/** Called by an alarm every minute: a socket that died with the worker comes back. */
export async function ensureConnected() {
  if (connection) {
    connection.ensureOpen()
    return
  }
  await boot()
}

export async function signIn(body: unknown): Promise<SignInResult> {
  const parsed = signInBodySchema.safeParse(body)
  if (!parsed.success)
    return {
      ok: false,
      code: 'bad_request',
      message: 'Enter the hub URL and your email and password, or a token',
    }
  const input = parsed.data
  const result =
    'token' in input
      ? await signInWithToken(input.hub_url, input.token)
      : await signInWithPassword(input.hub_url, input.email, input.password)
  // A failed sign-in is answered to the options page only: state.error is for what happens
  // later, away from it (a revoked token).
  if (!result.ok) return result
  const creds: Credentials = { hub_url: input.hub_url, token: result.token, user: result.user }
  await browser.storage.local.set({ [CREDENTIALS_KEY]: creds })
  await updateState(() => ({ ...initialExtensionState, connection: 'connecting', user: result.user }))
  connect(creds)
  return { ok: true, user: result.user }
}

export async function signOut(): Promise<OkResult> {
  const creds = credentials ?? (await readCredentials())
  connection?.stop()
  connection = null
  credentials = null
  await browser.storage.local.remove(CREDENTIALS_KEY)
  await updateState(() => initialExtensionState)
  if (creds) await revokeToken(creds.hub_url, creds.token)
  return { ok: true }
}

const notSignedIn: Failure = {
  ok: false,
  code: 'not_signed_in',
  message: 'Sign in first (extension options)',
}

export async function dial(body: DialBody): Promise<OkResult> {
  const creds = credentials ?? (await readCredentials())
  if (!creds) return notSignedIn
  const numberId = body.number_id ?? creds.user.numbers[0]?.id
  const at = Date.now()
  if (numberId === undefined) {
    const message = 'You have no number to call from: ask an admin to assign you one'
    await updateState((s) => ({ ...s, dial: { to: body.to, state: 'failed', message, at } }))
    return { ok: false, code: 'refused', message }
  }
  await updateState((s) => ({ ...s, dial: { to: body.to, state: 'requesting', message: null, at } }))
  const result = await startCall(creds.hub_url, creds.token, creds.user.id, {
    number_id: numberId,
    to: body.to,
  })
  await updateState((s) =>
    // call.ringing may already have replaced the dial with the hub's call.
    s.dial?.at !== at
      ? s
      : {
          ...s,
          dial: {
            to: body.to,
            state: result.ok ? 'placed' : 'failed',
            message: result.ok ? null : result.message,
            at,
          },
        },
  )
  return result.ok ? { ok: true } : result
}

export async function callAction(body: CallActionBody): Promise<OkResult> {
  if (!connection) return notSignedIn
  const frame =
    body.action === 'tag'
      ? { type: 'tag' as const, call_id: body.call_id, tag_ids: body.tag_ids }
      : body.action === 'set_status'
        ? { type: 'set_status' as const, status: body.status, reason: body.reason }
        : { type: body.action, call_id: body.call_id }
  const result = await connection.send(frame)
  if (!result.ok) return { ok: false, code: 'refused', message: result.message }
  if (body.action === 'tag')
    await updateState((s) => ({
      ...s,
      tag_required_call_id: s.tag_required_call_id === body.call_id ? null : s.tag_required_call_id,
    }))
  return { ok: true }
}

export async function tags(): Promise<TagsResult> {
  const creds = credentials ?? (await readCredentials())
  if (!creds) return notSignedIn
  return listTags(creds.hub_url, creds.token)
}
