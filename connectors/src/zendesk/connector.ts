import {
  type CallActivity,
  type CallActivityInput,
  callActivitySchema,
  callKind,
  nationalSignificantNumber,
  talkSeconds,
} from '@switchboard/shared'
import {
  type ActivityRef,
  type BatchItemResult,
  type Connector,
  type ConnectorContext,
  type ConnectorDefinition,
  type ConnectorSettings,
  type CrmRecord,
  connectorSettingsSchema,
  type HealthStatus,
  type LogCallOptions,
  type LogCallResult,
  type LogRecord,
  type OAuthApp,
  paced,
  type TokenSet,
} from '../contract.ts'
import {
  ConnectorError,
  codeForStatus,
  isConnectorError,
  malformedAnswer,
  parseRetryAfter,
} from '../errors.ts'
import { activityTitle, fromTo, notesText, phoneMatches } from '../mapping.ts'
import { memoByKey, singleFlight } from '../single-flight.ts'
import { ticketSchema, tokenResponseSchema, unwrap, userSchema } from './api-types.ts'
import { createZendeskClient, type ZendeskClient } from './client.ts'

/** Talk Partner Edition `via_id`s. https://developer.zendesk.com/api-reference/voice/talk-partner-edition-api/reference/ */
const VIA = { voicemail: 44, inbound: 45, outbound: 46 } as const
const REFRESH_MARGIN_MS = 5 * 60_000

type Raw = {
  response?: { status?: number; headers?: { get(name: string): string | null } }
  result?: unknown
}

/**
 * node-zendesk's three ways of failing: it *resolves* with `result = Error(statusCode 429)`
 * whenever a `Retry-After` header is present, resolves 502/504 silently with the body, and
 * throws (with `statusCode` and `result`, given throwOriginalException) on 4xx/500/503.
 */
function zendeskResult(raw: Raw, now: number): unknown {
  const status = raw.response?.status ?? 0
  const result = raw.result
  if (result instanceof Error) {
    const statusCode = (result as Error & { statusCode?: number }).statusCode
    if (statusCode === 204) return null
    const retryAfterMs = parseRetryAfter(raw.response?.headers?.get('retry-after'), now)
    const code = status === 429 || statusCode === 429 ? 'rate_limited' : codeForStatus(status || 500)
    throw new ConnectorError(code, result.message, { status: status || statusCode || null, retryAfterMs })
  }
  if (status >= 400) throw new ConnectorError(codeForStatus(status), `Zendesk answered ${status}`, { status })
  return result
}

export function zendeskError(e: unknown): ConnectorError {
  if (isConnectorError(e)) return e
  const err = e as { statusCode?: unknown; result?: unknown; message?: unknown }
  if (typeof err?.statusCode === 'number') {
    const body = err.result as { error?: unknown; description?: unknown } | undefined
    // `{error: "RecordInvalid", description}` or `{error: {title, message}}`.
    const error = body?.error
    const title = typeof error === 'object' && error !== null ? (error as { title?: unknown }).title : null
    const vendorCode = typeof error === 'string' ? error : typeof title === 'string' ? title : null
    const message = typeof body?.description === 'string' ? body.description : String(err.message)
    return new ConnectorError(codeForStatus(err.statusCode), message, {
      status: err.statusCode,
      vendorCode,
      cause: e,
    })
  }
  return new ConnectorError('unavailable', `Zendesk unreachable: ${String(err?.message ?? e)}`, { cause: e })
}

/** POST {instance}/oauth/tokens; every refresh rotates (Zendesk deletes the old pair). */
async function requestToken(
  instanceUrl: string,
  params: Record<string, string>,
  previous: TokenSet | null,
  now: number,
  timeoutMs: number,
): Promise<TokenSet> {
  let res: Response
  try {
    res = await fetch(`${instanceUrl}/oauth/tokens`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify(params),
      signal: AbortSignal.timeout(timeoutMs),
    })
  } catch (e) {
    throw new ConnectorError('unavailable', `Zendesk token endpoint unreachable: ${String(e)}`, { cause: e })
  }
  const json = (await res.json().catch(() => null)) as { error?: string; error_description?: string } | null
  if (!res.ok) {
    const code = res.status === 400 || res.status === 401 ? 'reauth' : codeForStatus(res.status)
    throw new ConnectorError(
      code,
      json?.error_description ?? `Zendesk token endpoint answered ${res.status}`,
      {
        status: res.status,
        vendorCode: json?.error ?? null,
        retryAfterMs: parseRetryAfter(res.headers.get('retry-after'), now),
      },
    )
  }
  const t = tokenResponseSchema.parse(json)
  return {
    accessToken: t.access_token,
    refreshToken: t.refresh_token ?? previous?.refreshToken ?? null,
    expiresAt: t.expires_in != null ? now + t.expires_in * 1000 : null,
    accountId: previous?.accountId ?? new URL(instanceUrl).hostname.split('.')[0] ?? null,
    instanceUrl,
  }
}

/** Zendesk tags: lower case, no spaces. */
const zendeskTag = (t: string) => t.trim().toLowerCase().replace(/\s+/g, '_')

export class ZendeskConnector implements Connector {
  readonly slug = 'zendesk' as const
  private tokens: TokenSet
  private client: ZendeskClient
  /** Forces a token refresh; concurrent callers share one. */
  readonly refresh = singleFlight(() => this.doRefresh())
  private readonly settings: ConnectorSettings
  private readonly now: () => number
  private readonly api: string
  private readonly timeoutMs: number
  /** Agents' Zendesk user ids by lowercased email. */
  private readonly agents = memoByKey(async (email): Promise<number | null> => {
    const raw = unwrap('users', await this.request('GET', ['users', 'search', { query: `email:${email}` }]))
    // node-zendesk hands an unparsable body over as is: no array is no answer, not no match.
    if (!Array.isArray(raw)) throw malformedAnswer('Zendesk')
    const users = raw.map((u) => {
      const user = userSchema.safeParse(u)
      if (!user.success) throw malformedAnswer('Zendesk', user.error)
      return user.data
    })
    return users.find((u) => u.role === 'agent' || u.role === 'admin')?.id ?? null
  })

  constructor(private readonly ctx: ConnectorContext) {
    if (!ctx.tokens.instanceUrl)
      throw new ConnectorError('invalid', 'A Zendesk token set needs its instance URL')
    this.tokens = ctx.tokens
    this.settings = connectorSettingsSchema.parse(ctx.settings ?? {})
    this.now = ctx.now ?? Date.now
    this.api = (ctx.baseUrl ?? ctx.tokens.instanceUrl).replace(/\/+$/, '')
    this.timeoutMs = ctx.timeoutMs ?? 20_000
    this.client = createZendeskClient(this.api, this.tokens.accessToken)
  }

  private async doRefresh(): Promise<TokenSet> {
    const refreshToken = this.tokens.refreshToken
    if (!refreshToken) throw new ConnectorError('reauth', 'No Zendesk refresh token: reconnect the account')
    const next = await requestToken(
      this.ctx.authBaseUrl?.replace(/\/+$/, '') ?? this.api,
      {
        grant_type: 'refresh_token',
        refresh_token: refreshToken,
        client_id: this.ctx.app.clientId,
        client_secret: this.ctx.app.clientSecret,
      },
      this.tokens,
      this.now(),
      this.timeoutMs,
    )
    // Keep the instance the hub stored (the token endpoint may be a test double).
    this.tokens = { ...next, instanceUrl: this.tokens.instanceUrl, accountId: this.tokens.accountId }
    this.client = createZendeskClient(this.api, next.accessToken)
    await this.ctx.onTokens(this.tokens)
    return this.tokens
  }

  /** One raw node-zendesk request; a 401 gets one refresh and one more try. */
  private async request(
    method: string,
    path: (string | Record<string, string>)[],
    body?: unknown,
  ): Promise<unknown> {
    const { expiresAt, refreshToken } = this.tokens
    if (expiresAt !== null && refreshToken && this.now() >= expiresAt - REFRESH_MARGIN_MS)
      await this.refresh()
    const once = () => paced(this.ctx, 'api', send)
    const send = async () => {
      let timer: NodeJS.Timeout | undefined
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () =>
            reject(new ConnectorError('unavailable', `Zendesk did not answer within ${this.timeoutMs} ms`)),
          this.timeoutMs,
        )
      })
      try {
        // The typings say a string path; node-zendesk also takes segments plus a query object.
        const p = this.client.tickets.request(method, path as never, ...(body === undefined ? [] : [body]))
        return zendeskResult((await Promise.race([p, timeout])) as Raw, this.now())
      } catch (e) {
        throw zendeskError(e)
      } finally {
        clearTimeout(timer)
      }
    }
    try {
      return await once()
    } catch (e) {
      if (!(isConnectorError(e) && e.status === 401 && this.tokens.refreshToken)) throw e
    }
    await this.refresh()
    return once()
  }

  async prepare(): Promise<void> {}

  /**
   * GET /search.json?query=role:end-user phone:*<digits>: digits only (a `+` matches nothing),
   * and the leading `*` matches numbers saved in other formats. Post-filtered by digits, newest
   * first. https://developer.zendesk.com/documentation/voice/talk-partner-edition/retrieving-the-zendesk-user-id-of-a-caller/
   */
  async lookupByPhone(e164: string): Promise<CrmRecord[]> {
    const national = nationalSignificantNumber(e164)
    if (!national) return []
    const raw = unwrap(
      'results',
      await this.request('GET', ['search', { query: `role:end-user phone:*${national}` }]),
    )
    // node-zendesk hands an unparsable body over as is: no array is no answer, not no match.
    if (!Array.isArray(raw)) throw malformedAnswer('Zendesk')
    const users = raw.map((u) => {
      const user = userSchema.safeParse(u)
      if (!user.success) throw malformedAnswer('Zendesk', user.error)
      return user.data
    })
    return users
      .filter((u) => phoneMatches(u.phone, e164, national))
      .sort((a, b) => Date.parse(b.updated_at ?? '0') - Date.parse(a.updated_at ?? '0'))
      .map((u) => this.userRecord(u))
  }

  private userRecord(u: ReturnType<typeof userSchema.parse>): CrmRecord {
    return {
      id: String(u.id),
      type: 'contact',
      name: u.name ?? '',
      email: u.email ?? null,
      phone: u.phone ?? null,
      url: `${this.tokens.instanceUrl}/agent/users/${u.id}`,
      accountId: null,
    }
  }

  /** POST /users.json: an end-user with the E.164 number. Zendesk has only users, whatever the policy. */
  async createContact(input: { e164: string; name?: string | null }): Promise<CrmRecord | null> {
    if (this.settings.unknownNumber === 'nothing') return null
    const name = input.name?.trim() || `Caller ${input.e164}`
    const raw = unwrap(
      'user',
      await this.request('POST', ['users'], { user: { name, phone: input.e164, role: 'end-user' } }),
    )
    return this.userRecord(userSchema.parse(raw))
  }

  /** GET /tickets.json?external_id=…: a database read, not the search index. */
  async findActivity(callRef: string): Promise<ActivityRef | null> {
    const raw = unwrap('tickets', await this.request('GET', ['tickets', { external_id: callRef }]))
    const first = Array.isArray(raw) ? raw[0] : undefined
    return first ? { id: String(ticketSchema.parse(first).id), callRef } : null
  }

  /** The agent's Zendesk user id (answered_by_id), by email. */
  private async agentId(email: string | null | undefined): Promise<number | null> {
    return email ? this.agents(email.toLowerCase()) : null
  }

  private notes(call: CallActivity): string {
    return [
      notesText(call),
      call.recording_url ? `Recording: ${call.recording_url}` : '',
      call.voicemail_url ? `Voicemail: ${call.voicemail_url}` : '',
    ]
      .filter((s) => s !== '')
      .join('\n\n')
  }

  /**
   * POST /channels/voice/tickets.json (Talk Partner Edition): a ticket per call with the call as
   * its voice comment, the call ref as `external_id`, comments as a private note.
   */
  async logCall(input: CallActivityInput, opts: LogCallOptions = {}): Promise<LogCallResult> {
    const call = callActivitySchema.parse(input)
    const record = opts.record ?? null
    const done = (id: string, created: boolean): LogCallResult => ({
      id,
      callRef: call.call_ref,
      created,
      record: record ? { id: record.id, type: record.type } : null,
    })
    let existing = opts.activityId ?? null
    if (!existing && opts.mayExist) existing = (await this.findActivity(call.call_ref))?.id ?? null
    const kind = callKind(call)
    const tags = ['switchboard', kind, ...call.tags.map(zendeskTag)]
    const notes = this.notes(call)
    if (existing) {
      // PUT /tickets/{id}.json: the call's final state as a private note.
      await this.request('PUT', ['tickets', existing], {
        ticket: { additional_tags: tags, ...(notes ? { comment: { body: notes, public: false } } : {}) },
      })
      return done(existing, false)
    }
    const answeredBy = call.answered_at !== null ? await this.agentId(call.agent?.email) : null
    const { from, to } = fromTo(call)
    const ticket = {
      via_id:
        kind === 'inbound_voicemail'
          ? VIA.voicemail
          : call.direction === 'inbound'
            ? VIA.inbound
            : VIA.outbound,
      subject: activityTitle(kind, call, record?.name ?? null),
      external_id: call.call_ref,
      tags,
      ...(record ? { requester_id: Number(record.id) } : {}),
      ...(notes ? { comment: { body: notes, public: false } } : {}),
      voice_comment: {
        from,
        to,
        recording_url: call.recording_url ?? call.voicemail_url ?? undefined,
        started_at: new Date(call.started_at * 1000).toISOString(),
        call_duration: talkSeconds(call),
        ...(answeredBy ? { answered_by_id: answeredBy } : {}),
      },
    }
    const raw = unwrap('ticket', await this.request('POST', ['channels', 'voice', 'tickets'], { ticket }))
    return done(String(ticketSchema.parse(raw).id), true)
  }

  /** No batch endpoint for voice tickets: one request per call, a failure per call. */
  async logCalls(
    items: { call: CallActivityInput; record?: LogRecord | null }[],
  ): Promise<BatchItemResult[]> {
    const out: BatchItemResult[] = []
    for (const item of items) {
      const callRef = callActivitySchema.parse(item.call).call_ref
      try {
        const r = await this.logCall(item.call, { record: item.record ?? null })
        out.push({ ok: true, callRef, activityId: r.id })
      } catch (e) {
        out.push({ ok: false, callRef, error: zendeskError(e) })
      }
    }
    return out
  }

  async attachMedia(
    activityId: string,
    media: { recordingUrl?: string | null; voicemailUrl?: string | null },
  ) {
    const body = [
      media.recordingUrl ? `Recording: ${media.recordingUrl}` : null,
      media.voicemailUrl ? `Voicemail: ${media.voicemailUrl}` : null,
    ]
      .filter((x) => x !== null)
      .join('\n')
    if (!body) return
    await this.request('PUT', ['tickets', activityId], { ticket: { comment: { body, public: false } } })
  }

  /**
   * DELETE /api/v2/oauth/tokens/current.json: Zendesk deletes the access token and the refresh
   * token issued with it. An expired access token is refreshed first (the refresh rotates the
   * pair, so the new one is what gets deleted); a refused refresh means nothing is left to revoke.
   * https://developer.zendesk.com/api-reference/ticketing/oauth/oauth_tokens/#revoke-token
   */
  async revoke(): Promise<void> {
    const once = async () => {
      let res: Response
      try {
        res = await fetch(`${this.api}/api/v2/oauth/tokens/current.json`, {
          method: 'DELETE',
          headers: { authorization: `Bearer ${this.tokens.accessToken}`, accept: 'application/json' },
          signal: AbortSignal.timeout(this.timeoutMs),
        })
      } catch (e) {
        throw new ConnectorError('unavailable', `Zendesk unreachable: ${String(e)}`, { cause: e })
      }
      await res.body?.cancel()
      return res
    }
    let res = await once()
    if (res.status === 401 && this.tokens.refreshToken) {
      try {
        await this.refresh()
      } catch (e) {
        if (isConnectorError(e) && e.reauth) return
        throw e
      }
      res = await once()
    }
    if (res.ok || res.status === 401 || res.status === 404) return
    throw new ConnectorError(codeForStatus(res.status), `Zendesk revoke answered ${res.status}`, {
      status: res.status,
      retryAfterMs: parseRetryAfter(res.headers.get('retry-after'), this.now()),
    })
  }

  /** GET /users/me.json: an anonymous "me" (id null) means the token is not accepted. */
  async healthCheck(): Promise<HealthStatus> {
    try {
      const me = unwrap('user', await this.request('GET', ['users', 'me'])) as {
        id?: number | null
        role?: string
      }
      if (!me?.id) return { ok: false, reason: 'Zendesk does not know this token', reauth: true }
      if (me.role === 'end-user')
        return { ok: false, reason: 'The connected user is not an agent', reauth: true }
      return { ok: true, accountId: this.tokens.accountId }
    } catch (e) {
      const err = zendeskError(e)
      return { ok: false, reason: err.message, reauth: err.reauth }
    }
  }
}

export const zendeskDefinition: ConnectorDefinition = {
  slug: 'zendesk',
  /** `authBaseUrl` is the company's `https://<subdomain>.zendesk.com`: Zendesk has no global login host. */
  authorizationUrl(app: OAuthApp, opts: { state: string; authBaseUrl?: string }) {
    if (!opts.authBaseUrl)
      throw new ConnectorError('invalid', 'Zendesk needs the account URL (https://<subdomain>.zendesk.com)')
    const q = new URLSearchParams({
      response_type: 'code',
      client_id: app.clientId,
      redirect_uri: app.redirectUri,
      scope: 'read write',
      state: opts.state,
    })
    return `${opts.authBaseUrl.replace(/\/+$/, '')}/oauth/authorizations/new?${q}`
  },
  async exchangeCode(app, code, opts = {}) {
    if (!opts.authBaseUrl)
      throw new ConnectorError('invalid', 'Zendesk needs the account URL (https://<subdomain>.zendesk.com)')
    return requestToken(
      opts.authBaseUrl.replace(/\/+$/, ''),
      {
        grant_type: 'authorization_code',
        code,
        client_id: app.clientId,
        client_secret: app.clientSecret,
        redirect_uri: app.redirectUri,
        scope: 'read write',
      },
      null,
      (opts.now ?? Date.now)(),
      opts.timeoutMs ?? 20_000,
    )
  },
  connect: (ctx) => new ZendeskConnector(ctx),
}
