import {
  type CallActionBody,
  type CallbackTasksResult,
  type DialBody,
  type DirectoryResult,
  EXTENSION_STATE_KEY,
  type ExtensionState,
  extensionStateSchema,
  type Failure,
  initialExtensionState,
  type LinesResult,
  type OkResult,
  type ServerMessage,
  type SignedInUser,
  type SignInResult,
  signInBodySchema,
  type TagsResult,
} from '@switchboard/shared'
import browser from 'webextension-polyfill'
import { applyServerMessage } from '../lib/call-state.ts'
import { frameOf } from '../lib/frames.ts'
import {
  completeCallbackTask,
  fetchCallerCard,
  listCallbackTasks,
  listDirectory,
  listTags,
  revokeToken,
  signInWithPassword,
  signInWithToken,
  startCall,
} from '../lib/hub-client.ts'
import { t } from '../lib/i18n.ts'
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
      onMessage: (message) => {
        void updateState((s) => applyServerMessage(s, message))
        void sideEffects(message, creds)
      },
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
  const result = await connection.send(frameOf(body))
  if (!result.ok) return { ok: false, code: 'refused', message: result.message }
  if (body.action === 'pause_recording' || body.action === 'resume_recording') {
    // The hub acked: the recording is in the state asked for (the engine sends no frame for it).
    const recording = body.action === 'pause_recording' ? 'paused' : 'on'
    await updateState((s) =>
      s.call?.call_id === body.call_id ? { ...s, call: { ...s.call, recording } } : s,
    )
  }
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

export async function lines(): Promise<LinesResult> {
  const creds = credentials ?? (await readCredentials())
  if (!creds) return notSignedIn
  return { ok: true, numbers: creds.user.numbers }
}

export async function directory(): Promise<DirectoryResult> {
  const creds = credentials ?? (await readCredentials())
  if (!creds) return notSignedIn
  return listDirectory(creds.hub_url, creds.token)
}

export async function callbackTasks(): Promise<CallbackTasksResult> {
  const creds = credentials ?? (await readCredentials())
  if (!creds) return notSignedIn
  return listCallbackTasks(creds.hub_url, creds.token)
}

export async function callbackDone(body: { id: number }): Promise<OkResult> {
  const creds = credentials ?? (await readCredentials())
  if (!creds) return notSignedIn
  const result = await completeCallbackTask(creds.hub_url, creds.token, body.id)
  return result.ok ? { ok: true } : result
}

const notificationId = (callId: number) => `switchboard.call.${callId}`

/** Whether the agent sees the side panel (in the browser's side panel, or opened as a tab). */
async function panelOpen(): Promise<boolean> {
  const contexts = await chrome.runtime.getContexts({})
  return contexts.some((c) => c.documentUrl?.includes('/sidepanel.html'))
}

/**
 * What a frame makes the worker do besides updating the state: look up the caller card of a
 * new inbound call (the hub also pushes it as `call.caller_card`; whichever comes first shows),
 * and show a system notification of an incoming call when the side panel is closed.
 */
async function sideEffects(message: ServerMessage, creds: Credentials) {
  if (message.type === 'call.ringing' && message.call.direction === 'inbound') {
    const call = message.call
    if (!(await panelOpen()) && chrome.notifications) {
      const icon = chrome.runtime.getManifest().icons?.['128'] ?? ''
      chrome.notifications.create(notificationId(call.call_id), {
        type: 'basic',
        iconUrl: chrome.runtime.getURL(icon),
        title: t('incomingCall'),
        message: `${call.external_number} → ${call.number.name}`,
        buttons: [{ title: t('answer') }, { title: t('decline') }],
        requireInteraction: true,
        priority: 2,
      })
    }
    if (call.external_number !== 'anonymous') {
      const card = await fetchCallerCard(creds.hub_url, creds.token, call.external_number)
      if (card) {
        await updateState((s) =>
          s.caller_card?.call_id === call.call_id
            ? s
            : applyServerMessage(s, { type: 'call.caller_card', call_id: call.call_id, card }),
        )
      }
    }
  } else if (
    message.type === 'call.answered' ||
    message.type === 'call.ended' ||
    message.type === 'call.ring_stopped'
  ) {
    const id = 'call' in message ? message.call.call_id : message.call_id
    chrome.notifications?.clear(notificationId(id))
  }
}

function callIdOfNotification(id: string): number | null {
  const match = /^switchboard\.call\.(\d+)$/.exec(id)
  return match ? Number(match[1]) : null
}

/** Answer / Decline on the notification; a click on its body opens the side panel. */
export function listenToNotifications() {
  if (!chrome.notifications) return
  chrome.notifications.onButtonClicked.addListener((id, button) => {
    const callId = callIdOfNotification(id)
    if (callId === null) return
    chrome.notifications.clear(id)
    void callAction({ action: button === 0 ? 'answer' : 'decline', call_id: callId })
  })
  chrome.notifications.onClicked.addListener((id) => {
    if (callIdOfNotification(id) === null) return
    chrome.notifications.clear(id)
    void chrome.windows.getLastFocused().then((w) => {
      if (w.id !== undefined) void chrome.sidePanel?.open({ windowId: w.id })
    })
  })
}
