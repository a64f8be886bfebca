import type { CallbackTaskSummary, ExtensionErrorCode, Failure, SignedInUser } from '@switchboard/shared'
import { type CallerCard, callerCardSchema } from '@switchboard/shared/caller-card'

/**
 * The extension's HTTP calls to the hub. They run in the background service worker, whose
 * `host_permissions` exempt them from CORS: the hub needs no CORS headers for the extension,
 * and a page can never reuse the agent's token (it never leaves extension storage).
 */

export type Result<T> = ({ ok: true } & T) | Failure

const fail = (code: ExtensionErrorCode, message: string): Failure => ({ ok: false, code, message })

/** How long a request may take before the hub counts as unreachable (the SW must not hang). */
const REQUEST_TIMEOUT_MS = 15_000

type HubResponse = { status: number; body: unknown; retryAfter: string | null }

async function request(
  hubUrl: string,
  path: string,
  init: { method?: string; token?: string; body?: unknown } = {},
): Promise<HubResponse | Failure> {
  const headers: Record<string, string> = { accept: 'application/json' }
  if (init.token) headers.authorization = `Bearer ${init.token}`
  if (init.body !== undefined) headers['content-type'] = 'application/json'
  let res: Response
  try {
    res = await fetch(`${hubUrl}${path}`, {
      method: init.method ?? 'GET',
      headers,
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      credentials: 'omit',
    })
  } catch {
    return fail('unreachable', `No hub answers at ${hubUrl}`)
  }
  const text = await res.text().catch(() => '')
  let body: unknown = null
  try {
    body = text ? JSON.parse(text) : null
  } catch {
    // Not JSON: an ordinary web server, a proxy's error page…
    if (res.status !== 204) return fail('not_a_hub', `${hubUrl} answers, but it is not a Switchboard hub`)
  }
  return { status: res.status, body, retryAfter: res.headers.get('retry-after') }
}

const isFailure = (r: HubResponse | Failure): r is Failure => 'ok' in r && r.ok === false

function messageOf(body: unknown): string {
  if (body && typeof body === 'object' && 'message' in body && typeof body.message === 'string')
    return body.message
  return 'The hub refused the request'
}

/** Maps a hub answer that is not the expected success to the extension's error codes. */
function failureOf(res: HubResponse, hubUrl: string): Failure {
  const code =
    res.body && typeof res.body === 'object' && 'code' in res.body ? String(res.body.code) : undefined
  // The hub answers every /v1 path with its JSON error shape ({message, code, request_id}).
  if (code === undefined) return fail('not_a_hub', `${hubUrl} answers, but it is not a Switchboard hub`)
  if (res.status === 401) return fail('wrong_credentials', messageOf(res.body))
  if (res.status === 403) return fail('token_revoked', messageOf(res.body))
  if (res.status === 429)
    return fail('throttled', `Too many attempts; try again in ${res.retryAfter ?? 'a few'} seconds`)
  if (res.status === 405) return fail('refused', messageOf(res.body))
  if (res.status >= 500) return fail('hub_error', messageOf(res.body))
  return fail('bad_request', messageOf(res.body))
}

type MeBody = {
  user: { id: number; name: string; email: string; numbers: { id: number; name: string; digits: string }[] }
}

/** The user of an agent token, with the numbers they may call from. */
export async function fetchMe(hubUrl: string, token: string): Promise<Result<{ user: SignedInUser }>> {
  const res = await request(hubUrl, '/v1/me', { token })
  if (isFailure(res)) return res
  if (res.status !== 200) return failureOf(res, hubUrl)
  const { user } = res.body as MeBody
  return {
    ok: true,
    user: {
      id: user.id,
      name: user.name,
      email: user.email,
      numbers: user.numbers.map((n) => ({ id: n.id, name: n.name, digits: n.digits })),
    },
  }
}

/** Checks that hubUrl is a hub before sending it a password. */
async function checkHub(hubUrl: string): Promise<Failure | null> {
  const res = await request(hubUrl, '/healthz')
  if (isFailure(res)) return res
  const body = res.body as { status?: unknown } | null
  if (res.status !== 200 || body?.status !== 'ok')
    return fail('not_a_hub', `${hubUrl} answers, but it is not a Switchboard hub`)
  return null
}

/**
 * Email + password → a long-lived agent token named after this browser. The short session
 * the login returns is only used to mint that token, then revoked.
 */
export async function signInWithPassword(
  hubUrl: string,
  email: string,
  password: string,
  tokenName = 'Chrome extension',
): Promise<Result<{ token: string; user: SignedInUser }>> {
  const notHub = await checkHub(hubUrl)
  if (notHub) return notHub
  const login = await request(hubUrl, '/v1/auth/login', { method: 'POST', body: { email, password } })
  if (isFailure(login)) return login
  if (login.status === 401) return fail('wrong_credentials', 'Wrong email or password')
  if (login.status === 300)
    return fail(
      'several_companies',
      'This email has accounts in several companies: create an agent token in the dashboard and paste it',
    )
  if (login.status !== 200) return failureOf(login, hubUrl)
  const session = (login.body as { token: string }).token
  const minted = await request(hubUrl, '/v1/me/agent_tokens', {
    method: 'POST',
    token: session,
    body: { name: tokenName },
  })
  // The session was only a means to the agent token: never leave it valid behind us.
  await request(hubUrl, '/v1/auth/logout', { method: 'POST', token: session })
  if (isFailure(minted)) return minted
  if (minted.status !== 201) return failureOf(minted, hubUrl)
  const token = (minted.body as { agent_token: { token: string } }).agent_token.token
  const me = await fetchMe(hubUrl, token)
  if (!me.ok) return me
  return { ok: true, token, user: me.user }
}

/** A pasted agent token: checked against the hub before it is stored. */
export async function signInWithToken(
  hubUrl: string,
  token: string,
): Promise<Result<{ token: string; user: SignedInUser }>> {
  const notHub = await checkHub(hubUrl)
  if (notHub) return notHub
  const me = await fetchMe(hubUrl, token)
  if (!me.ok) return me
  return { ok: true, token, user: me.user }
}

/** Revokes the agent token (sign-out). A hub that cannot be reached still signs the extension out. */
export async function revokeToken(hubUrl: string, token: string): Promise<void> {
  await request(hubUrl, '/v1/auth/logout', { method: 'POST', token })
}

/** Click-to-call: the agent's device rings, then the hub dials `to` (204). */
export async function startCall(
  hubUrl: string,
  token: string,
  userId: number,
  body: { number_id: number; to: string },
): Promise<Result<object>> {
  const res = await request(hubUrl, `/v1/users/${userId}/calls`, { method: 'POST', token, body })
  if (isFailure(res)) return res
  if (res.status !== 204) return failureOf(res, hubUrl)
  return { ok: true }
}

export async function listTags(
  hubUrl: string,
  token: string,
): Promise<Result<{ tags: { id: number; name: string }[] }>> {
  const res = await request(hubUrl, '/v1/tags?per_page=50', { token })
  if (isFailure(res)) return res
  if (res.status !== 200) return failureOf(res, hubUrl)
  const tags = (res.body as { tags: { id: number; name: string }[] }).tags
  return { ok: true, tags: tags.map((t) => ({ id: t.id, name: t.name })) }
}

/**
 * The caller card of a number (`GET /v1/caller_info`), or null when the hub has none for it or
 * does not serve caller cards (an older hub): the side panel then shows the ringing call alone.
 */
export async function fetchCallerCard(
  hubUrl: string,
  token: string,
  phoneNumber: string,
): Promise<CallerCard | null> {
  const res = await request(hubUrl, `/v1/caller_info?phone_number=${encodeURIComponent(phoneNumber)}`, {
    token,
  })
  if (isFailure(res) || res.status !== 200) return null
  const parsed = callerCardSchema.safeParse(res.body)
  return parsed.success ? parsed.data : null
}

type Named = { id: number; name: string }

/** Colleagues and teams a call can be transferred to (`GET /v1/me/directory`, open to agents). */
export async function listDirectory(
  hubUrl: string,
  token: string,
): Promise<Result<{ users: Named[]; teams: Named[] }>> {
  const res = await request(hubUrl, '/v1/me/directory', { token })
  if (isFailure(res)) return res
  if (res.status !== 200) return failureOf(res, hubUrl)
  const body = res.body as { users?: Named[]; teams?: Named[] }
  const named = (items: Named[] | undefined) => (items ?? []).map((i) => ({ id: i.id, name: i.name }))
  return { ok: true, users: named(body.users), teams: named(body.teams) }
}

type CallbackTaskBody = {
  id: number
  phone_number: string
  created_at: number
  number: { id: number; name: string } | null
}

/** Open callback tasks on the agent's numbers (callers who pressed * to be called back). */
export async function listCallbackTasks(
  hubUrl: string,
  token: string,
): Promise<Result<{ tasks: CallbackTaskSummary[] }>> {
  const res = await request(hubUrl, '/v1/callback_tasks?status=open&per_page=20', { token })
  if (isFailure(res)) return res
  if (res.status !== 200) return failureOf(res, hubUrl)
  const tasks = (res.body as { callback_tasks: CallbackTaskBody[] }).callback_tasks
  return {
    ok: true,
    tasks: tasks.map((t) => ({
      id: t.id,
      phone_number: t.phone_number,
      number_id: t.number?.id ?? null,
      number_name: t.number?.name ?? null,
      created_at: t.created_at,
    })),
  }
}

export async function completeCallbackTask(
  hubUrl: string,
  token: string,
  id: number,
): Promise<Result<object>> {
  const res = await request(hubUrl, `/v1/callback_tasks/${id}/done`, { method: 'POST', token })
  if (isFailure(res)) return res
  if (res.status !== 200) return failureOf(res, hubUrl)
  return { ok: true }
}
