import type { AuthenticationResult } from '@azure/msal-node'
import { type CallActivityInput, callActivitySchema, nationalSignificantNumber } from '@switchboard/shared'
import {
  type ActivityRef,
  type AuthorizationUrlOptions,
  type BatchItemResult,
  type Connector,
  type ConnectorContext,
  type ConnectorDefinition,
  type ConnectorSettings,
  type CrmRecord,
  type CrmRecordType,
  connectorSettingsSchema,
  type ExchangeCodeOptions,
  type HealthStatus,
  type LogCallOptions,
  type LogCallResult,
  type LogRecord,
  type OAuthApp,
  paced,
  type TokenSet,
} from '../contract.ts'
import { ConnectorError, codeForStatus, isConnectorError, parseRetryAfter } from '../errors.ts'
import { phoneMatches } from '../mapping.ts'
import { memoByKey, singleFlight } from '../single-flight.ts'
import {
  collectionOf,
  type PersonRow,
  type PhonecallRow,
  personSchema,
  phonecallRowSchema,
  systemUserSchema,
  whoAmISchema,
} from './api-types.ts'
import {
  createDataverseApi,
  createEntraClient,
  type DataverseApi,
  DEFAULT_TENANT,
  ENTRA_BASE,
  type EntraFailure,
  entraAuthorizeEndpoint,
  refreshTokenOf,
} from './client.ts'
import {
  activityParties,
  callRefMarker,
  completedStatus,
  descriptionWith,
  entitySet,
  mediaLines,
  OPEN,
  odataString,
  phonecallFields,
  phoneFilter,
  recordUrl,
} from './mapper.ts'

/** Refresh this long before the access token runs out (Entra tokens live 60–90 minutes). */
const REFRESH_MARGIN_MS = 5 * 60_000
/** Dataverse always sends Retry-After with a 429; this is the wait if a proxy dropped it. */
const DEFAULT_RETRY_AFTER_MS = 5_000
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
const PERSON_PHONES = ['telephone1', 'telephone2', 'mobilephone'] as const
const PERSON_SELECT = ['fullname', 'firstname', 'lastname', 'emailaddress1', 'modifiedon', ...PERSON_PHONES]

/**
 * Dataverse hosts per Microsoft cloud (commercial, GCC High / DoD, China). Anything else is
 * refused, so a connection cannot aim the hub's requests and bearer tokens at another host;
 * loopback stays allowed for the fake and sandboxes.
 * https://learn.microsoft.com/en-us/power-platform/admin/new-datacenter-regions
 */
const DATAVERSE_HOST =
  /\.(dynamics\.com|crm\.microsoftdynamics\.us|crm\.appsplatform\.us|crm\.dynamics\.cn)$/i
const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]'])

/** The org URL an admin typed ("contoso.crm4.dynamics.com/main.aspx…") as its origin. */
export function dynamicsOrgUrl(raw: string | null | undefined): string {
  let url: URL
  try {
    url = new URL(/^https?:\/\//i.test(raw ?? '') ? raw! : `https://${raw ?? ''}`)
  } catch {
    throw new ConnectorError('invalid', `Not a Dynamics 365 org URL: ${raw}`)
  }
  const loopback = LOOPBACK.has(url.hostname)
  const ok =
    !url.username &&
    !url.password &&
    ((url.protocol === 'https:' && DATAVERSE_HOST.test(url.hostname)) ||
      (loopback && (url.protocol === 'http:' || url.protocol === 'https:')))
  if (!ok) throw new ConnectorError('invalid', `Not a Dynamics 365 org URL: ${raw}`)
  return url.origin
}

/** `<org>/.default` asks for the app's configured Dataverse permission (user_impersonation). */
export const dynamicsScopes = (orgUrl: string) => [`${orgUrl}/.default`, 'offline_access']

/** What dynamics-web-api throws: `Error { status, code, message, headers }` for HTTP answers. */
type WebApiError = { status?: unknown; code?: unknown; message?: unknown; headers?: unknown }

/**
 * Dataverse failure → ConnectorError. Service-protection 429s carry `Retry-After` (seconds);
 * 412 is `If-Match: *` on a record that is gone. Anything without a status (reset, timeout,
 * unparsable answer) may or may not have been applied: `unavailable`.
 * https://learn.microsoft.com/en-us/power-apps/developer/data-platform/api-limits
 */
export function dynamicsError(e: unknown, now: number): ConnectorError {
  if (isConnectorError(e)) return e
  const err = (e ?? {}) as WebApiError
  const message = typeof err.message === 'string' && err.message ? err.message : String(e)
  if (typeof err.status === 'number') {
    const headers = (err.headers ?? {}) as Record<string, string | string[] | undefined>
    const retryHeader = headers['retry-after']
    const code = err.status === 412 ? 'not_found' : codeForStatus(err.status)
    return new ConnectorError(code, message, {
      status: err.status,
      vendorCode: typeof err.code === 'string' && err.code ? err.code : null,
      retryAfterMs:
        err.status === 429
          ? (parseRetryAfter(Array.isArray(retryHeader) ? retryHeader[0] : retryHeader, now) ??
            DEFAULT_RETRY_AFTER_MS)
          : null,
      cause: e,
    })
  }
  return new ConnectorError('unavailable', `Dynamics 365 unreachable: ${message}`, { cause: e })
}

/** MSAL failure → ConnectorError; a refused code or refresh token needs a person. */
function entraError(e: unknown, failure: EntraFailure): ConnectorError {
  if (failure.last) return failure.last
  if (isConnectorError(e)) return e
  const err = (e ?? {}) as { name?: string; errorCode?: string; errorMessage?: string; message?: string }
  const message = err.errorMessage || err.message || String(e)
  if (err.name === 'ServerError' || err.name === 'InteractionRequiredAuthError')
    return new ConnectorError('reauth', message, { vendorCode: err.errorCode ?? null, cause: e })
  return new ConnectorError('unavailable', `Microsoft Entra: ${message}`, {
    vendorCode: err.errorCode ?? null,
    cause: e,
  })
}

type EntraCall = (client: ReturnType<typeof createEntraClient>) => Promise<AuthenticationResult | null>

/** One MSAL token request on a fresh client; the refresh token is read back from its cache. */
async function entraTokens(
  app: OAuthApp,
  opts: { authBaseUrl?: string; timeoutMs: number },
  request: EntraCall,
): Promise<{ result: AuthenticationResult; refreshToken: string | null }> {
  const failure: EntraFailure = { last: null }
  const client = createEntraClient(app, {
    authBaseUrl: opts.authBaseUrl ?? ENTRA_BASE,
    tenant: app.tenant ?? DEFAULT_TENANT,
    timeoutMs: opts.timeoutMs,
    failure,
  })
  let result: AuthenticationResult | null
  try {
    result = await request(client)
  } catch (e) {
    throw entraError(e, failure)
  }
  if (!result?.accessToken)
    throw new ConnectorError('unavailable', 'Microsoft Entra answered no access token')
  return { result, refreshToken: refreshTokenOf(client) }
}

/** MSAL dates the expiry on the system clock; the TokenSet carries it on the injected one. */
function expiresAt(result: AuthenticationResult, now: () => number): number | null {
  if (!result.expiresOn) return null
  return now() + Math.max(0, result.expiresOn.getTime() - Date.now())
}

async function withTimeout<T>(ms: number, fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const abort = new AbortController()
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      abort.abort()
      reject(new ConnectorError('unavailable', `Dynamics 365 did not answer within ${ms} ms`))
    }, ms)
  })
  try {
    return await Promise.race([fn(abort.signal), timeout])
  } finally {
    clearTimeout(timer)
  }
}

const RANK: Record<string, number> = { contact: 0, lead: 1, account: 2 }
const modified = (r: PersonRow) => (r.modifiedon ? new Date(r.modifiedon).getTime() : 0)

export class DynamicsConnector implements Connector {
  readonly slug = 'dynamics' as const
  private tokens: TokenSet
  private readonly orgUrl: string
  private readonly api: DataverseApi
  private readonly settings: ConnectorSettings
  private readonly now: () => number
  private readonly timeoutMs: number
  /** Forces a token refresh; concurrent callers share one. */
  readonly refresh = singleFlight(() => this.doRefresh())
  /** Agents' Dataverse system user ids by lowercased email. */
  private readonly users = memoByKey(async (email): Promise<string | null> => {
    try {
      const res = collectionOf(systemUserSchema).parse(
        await this.call((api, signal) =>
          api.retrieveMultiple({
            collection: 'systemusers',
            select: ['systemuserid'],
            filter: `internalemailaddress eq ${odataString(email)} and isdisabled eq false`,
            top: 1,
            signal,
          }),
        ),
      )
      return res.value[0]?.systemuserid ?? null
    } catch (e) {
      // A user who may not read users costs the agent's party, not the log.
      if (isConnectorError(e) && e.code === 'forbidden') return null
      throw e
    }
  })

  constructor(private readonly ctx: ConnectorContext) {
    this.tokens = ctx.tokens
    this.settings = connectorSettingsSchema.parse(ctx.settings ?? {})
    this.now = ctx.now ?? Date.now
    this.timeoutMs = ctx.timeoutMs ?? 20_000
    this.orgUrl = dynamicsOrgUrl(ctx.tokens.instanceUrl)
    const serverUrl = (ctx.baseUrl ?? this.orgUrl).replace(/\/+$/, '')
    // Called before every request: the current token (the connector refreshes it itself).
    this.api = createDataverseApi(serverUrl, async () => this.tokens.accessToken, this.timeoutMs)
  }

  /**
   * POST {authority}/oauth2/v2.0/token grant_type=refresh_token through MSAL. Entra sends a new
   * refresh token with each refresh; it is the one kept.
   * https://learn.microsoft.com/en-us/entra/identity-platform/v2-oauth2-auth-code-flow#refresh-the-access-token
   */
  private async doRefresh(): Promise<TokenSet> {
    const refreshToken = this.tokens.refreshToken
    if (!refreshToken) throw new ConnectorError('reauth', 'No Dynamics refresh token: reconnect the org')
    const { result, refreshToken: next } = await entraTokens(
      this.ctx.app,
      { authBaseUrl: this.ctx.authBaseUrl, timeoutMs: this.timeoutMs },
      (c) => c.acquireTokenByRefreshToken({ refreshToken, scopes: dynamicsScopes(this.orgUrl) }),
    )
    const tokens: TokenSet = {
      accessToken: result.accessToken,
      refreshToken: next ?? refreshToken,
      expiresAt: expiresAt(result, this.now),
      accountId: this.tokens.accountId,
      instanceUrl: this.orgUrl,
    }
    this.tokens = tokens
    await this.ctx.onTokens(tokens)
    return tokens
  }

  /** One Web API call with a fresh token; a 401 gets one refresh and one more try. */
  private async call<T>(fn: (api: DataverseApi, signal: AbortSignal) => Promise<T>): Promise<T> {
    const { expiresAt, refreshToken } = this.tokens
    if (expiresAt !== null && refreshToken && this.now() >= expiresAt - REFRESH_MARGIN_MS)
      await this.refresh()
    try {
      return await paced(this.ctx, 'api', () => withTimeout(this.timeoutMs, (signal) => fn(this.api, signal)))
    } catch (e) {
      const err = dynamicsError(e, this.now())
      if (err.status !== 401 || !this.tokens.refreshToken) throw err
    }
    await this.refresh()
    try {
      return await paced(this.ctx, 'api', () => withTimeout(this.timeoutMs, (signal) => fn(this.api, signal)))
    } catch (e) {
      throw dynamicsError(e, this.now())
    }
  }

  async prepare(): Promise<void> {}

  /**
   * Contacts, then open leads, whose phone columns hold the number in any layout: Dataverse keeps
   * phone numbers as typed, so the filter asks for the usual layouts and the last digits, and the
   * rows are kept only if their digits are the number's. Newest first within each type.
   * https://learn.microsoft.com/en-us/power-apps/developer/data-platform/webapi/query/filter-rows
   */
  async lookupByPhone(e164: string): Promise<CrmRecord[]> {
    const national = nationalSignificantNumber(e164)
    if (!national) return []
    const filter = phoneFilter(e164, PERSON_PHONES)
    const people = collectionOf(personSchema)
    // GET /api/data/v9.2/contacts?$select=…&$filter=…&$orderby=modifiedon desc&$top=50
    const contacts = people.parse(
      await this.call((api, signal) =>
        api.retrieveMultiple({
          collection: 'contacts',
          select: ['contactid', '_parentcustomerid_value', ...PERSON_SELECT],
          filter: `statecode eq 0 and ${filter}`,
          orderBy: ['modifiedon desc'],
          top: 50,
          signal,
        }),
      ),
    ).value
    // GET /api/data/v9.2/leads?… — open leads only: a qualified lead lives on as a contact.
    const leads = people.parse(
      await this.call((api, signal) =>
        api.retrieveMultiple({
          collection: 'leads',
          select: ['leadid', ...PERSON_SELECT],
          filter: `statecode eq 0 and ${filter}`,
          orderBy: ['modifiedon desc'],
          top: 50,
          signal,
        }),
      ),
    ).value
    const rows = [
      ...contacts.map((r) => ({ r, type: 'contact' as const, id: r.contactid })),
      ...leads.map((r) => ({ r, type: 'lead' as const, id: r.leadid })),
    ]
    return rows
      .filter((x): x is typeof x & { id: string } => !!x.id)
      .filter(({ r }) => PERSON_PHONES.some((f) => phoneMatches(r[f], e164, national)))
      .sort((a, b) => RANK[a.type]! - RANK[b.type]! || modified(b.r) - modified(a.r))
      .map(({ r, type, id }) => this.personRecord(type, id, r))
  }

  private personRecord(type: CrmRecordType, id: string, r: PersonRow): CrmRecord {
    const name = r.fullname || [r.firstname, r.lastname].filter(Boolean).join(' ')
    return {
      id,
      type,
      name,
      email: r.emailaddress1 ?? null,
      phone: r.telephone1 ?? r.mobilephone ?? r.telephone2 ?? null,
      url: recordUrl(this.orgUrl, type, id),
      accountId: r._parentcustomerid_value ?? null,
    }
  }

  /** POST /api/data/v9.2/{contacts|leads|accounts} (204 + OData-EntityId) by the unknown-number policy. */
  async createContact(input: { e164: string; name?: string | null }): Promise<CrmRecord | null> {
    const policy = this.settings.unknownNumber
    if (policy === 'nothing') return null
    const name = input.name?.trim() || null
    const [first, ...rest] = name ? name.split(/\s+/) : [input.e164, 'Switchboard', 'new', 'contact']
    const person = { firstname: first!, lastname: rest.join(' ') || first!, telephone1: input.e164 }
    const data =
      policy === 'account'
        ? { name: name ?? input.e164, telephone1: input.e164 }
        : policy === 'lead'
          ? // A lead's topic (subject) is required.
            { ...person, subject: `Call from ${input.e164}` }
          : person
    const id = await this.create(entitySet[policy], data)
    return {
      id,
      type: policy,
      name: policy === 'account' ? (name ?? input.e164) : `${person.firstname} ${person.lastname}`,
      email: null,
      phone: input.e164,
      url: recordUrl(this.orgUrl, policy, id),
      accountId: null,
    }
  }

  /** Create answers 204 with the new id in `OData-EntityId`; the client returns that id. */
  private async create(collection: string, data: Record<string, unknown>): Promise<string> {
    const id: unknown = await this.call((api, signal) => api.create({ collection, data, signal }))
    if (typeof id !== 'string' || !GUID.test(id))
      throw new ConnectorError('unavailable', `Dynamics 365 created a ${collection} row without naming it`)
    return id
  }

  /** PATCH /api/data/v9.2/phonecalls(id) with `If-Match: *`: a missing record is an error, never an upsert. */
  private async update(id: string, data: Record<string, unknown>): Promise<void> {
    await this.call((api, signal) => api.update({ collection: 'phonecalls', key: id, data, signal }))
  }

  /** GET /api/data/v9.2/phonecalls?$filter=subcategory eq 'switchboard:<ref>' (see CALL_REF_PREFIX). */
  async findActivity(callRef: string): Promise<ActivityRef | null> {
    const res = collectionOf(phonecallRowSchema).parse(
      await this.call((api, signal) =>
        api.retrieveMultiple({
          collection: 'phonecalls',
          select: ['activityid'],
          filter: `subcategory eq ${odataString(callRefMarker(callRef))}`,
          orderBy: ['createdon asc'],
          top: 1,
          signal,
        }),
      ),
    )
    const first = res.value[0]
    return first ? { id: first.activityid, callRef } : null
  }

  /** The active Dynamics user with the agent's email (GET systemusers?$filter=internalemailaddress eq …). */
  private async systemUserId(email: string | null | undefined): Promise<string | null> {
    return email ? this.users(email.toLowerCase()) : null
  }

  /** GET /api/data/v9.2/phonecalls(id)?$select=statecode,statuscode,description */
  private async readCall(id: string) {
    if (!GUID.test(id)) throw new ConnectorError('not_found', `Not a Dynamics activity id: ${id}`)
    return phonecallRowSchema.parse(
      await this.call((api, signal) =>
        api.retrieve({
          collection: 'phonecalls',
          key: id,
          select: ['activityid', 'statecode', 'statuscode', 'description'],
          signal,
        }),
      ),
    )
  }

  /**
   * Writes `fields` on an existing phonecall and leaves it in `final` state (a completed status,
   * or open while the call runs). A completed phonecall is read-only, so it is reopened first and
   * completed again after the write. Every step is safe to repeat: a retry after a crash between
   * two steps finds the call open or completed and goes on from there.
   */
  private async writeCall(
    id: string,
    fields: Record<string, unknown>,
    final: number | null,
    read?: PhonecallRow,
  ) {
    const current = read ?? (await this.readCall(id))
    if (current.statecode !== OPEN.statecode) await this.update(id, { ...OPEN })
    await this.update(id, fields)
    if (final !== null) await this.update(id, { statecode: 1, statuscode: final })
  }

  async logCall(input: CallActivityInput, opts: LogCallOptions = {}): Promise<LogCallResult> {
    const call = callActivitySchema.parse(input)
    const record = opts.record ?? null
    const done = (id: string, created: boolean): LogCallResult => ({
      id,
      callRef: call.call_ref,
      created,
      record: record ? { id: record.id, type: record.type } : null,
    })
    const fields = phonecallFields(call, this.settings, record)
    const final = call.ended_at !== null ? completedStatus(call) : null
    let existing = opts.activityId ?? null
    // Dataverse has no unique external id on activities: after a lost answer the hub says so,
    // and the phonecall written by the lost try is found by its call-ref marker.
    if (!existing && opts.mayExist) existing = (await this.findActivity(call.call_ref))?.id ?? null
    if (existing) {
      await this.writeCall(existing, fields, final)
      return done(existing, false)
    }
    const userId = await this.systemUserId(call.agent?.email)
    const parties = activityParties(call, record, userId)
    // POST /api/data/v9.2/phonecalls → 204; statecode is not valid for create.
    // https://learn.microsoft.com/en-us/power-apps/developer/data-platform/webapi/create-entity-web-api
    const id = await this.create('phonecalls', {
      ...fields,
      ...(parties.length > 0 ? { phonecall_activity_parties: parties } : {}),
    })
    // PATCH statecode 1 + statuscode 4 Received / 2 Made: every field is already written.
    if (final !== null) await this.update(id, { statecode: 1, statuscode: final })
    return done(id, true)
  }

  /**
   * One logCall per item (Dataverse `$batch` would save round trips, not requests: each
   * operation counts against the service-protection limits). A throttled or failed item stops
   * the loop: the rest are reported with the same retryable error, not sent into the limit.
   */
  async logCalls(
    items: { call: CallActivityInput; record?: LogRecord | null }[],
  ): Promise<BatchItemResult[]> {
    const out: BatchItemResult[] = []
    let stop: ConnectorError | null = null
    for (const item of items) {
      const callRef = callActivitySchema.shape.call_ref.safeParse(item.call.call_ref).data ?? ''
      if (stop) {
        out.push({ ok: false, callRef, error: stop })
        continue
      }
      try {
        const logged = await this.logCall(item.call, { record: item.record ?? null })
        out.push({ ok: true, callRef: logged.callRef, activityId: logged.id })
      } catch (e) {
        const error = dynamicsError(e, this.now())
        if (error.retryable) stop = error
        out.push({ ok: false, callRef, error })
      }
    }
    return out
  }

  /** Appends the recording / voicemail link to the description, reopening a completed call. */
  async attachMedia(
    activityId: string,
    media: { recordingUrl?: string | null; voicemailUrl?: string | null },
  ) {
    const lines = mediaLines(media)
    if (lines.length === 0) return
    const current = await this.readCall(activityId)
    const text = current.description ?? ''
    const missing = lines.filter((l) => !text.includes(l))
    if (missing.length === 0) return
    const existingLinks = text.split('\n\n').filter((l) => /^(Recording|Voicemail): /.test(l))
    const notes = text
      .split('\n\n')
      .filter((l) => !/^(Recording|Voicemail): /.test(l))
      .join('\n\n')
    const description = descriptionWith(notes, [...existingLinks, ...missing])
    const completed = current.statecode === 1 ? current.statuscode : null
    await this.writeCall(activityId, { description }, completed ?? null, current)
  }

  /**
   * Microsoft Entra ID gives an app no endpoint to revoke one grant's refresh token (no RFC 7009
   * revocation; Graph's revokeSignInSessions would sign the user out everywhere): deleting the
   * integration forgets the tokens, the refresh token then lapses unused, and an admin who wants
   * the grant gone at once removes the app's consent in Entra ID (Enterprise applications).
   * Nothing is sent.
   */
  async revoke(): Promise<void> {}

  /**
   * GET /api/data/v9.2/WhoAmI(): the token works on this org. No abort signal here: the client
   * copies a function request's options and the copy is no AbortSignal (Node then refuses it);
   * the timeout race and the client's own socket timeout still bound the call.
   * https://learn.microsoft.com/en-us/power-apps/developer/data-platform/webapi/reference/whoami
   */
  async healthCheck(): Promise<HealthStatus> {
    try {
      const me = whoAmISchema.parse(await this.call((api) => api.callFunction({ name: 'WhoAmI' })))
      return { ok: true, accountId: me.OrganizationId }
    } catch (e) {
      const err = dynamicsError(e, this.now())
      return { ok: false, reason: err.message, reauth: err.reauth }
    }
  }
}

export const dynamicsDefinition: ConnectorDefinition = {
  slug: 'dynamics',
  /**
   * The Microsoft Entra authorize URL (v2, authorization code with PKCE). The scope names the
   * org, so the admin's org URL is needed before the redirect.
   * https://learn.microsoft.com/en-us/entra/identity-platform/v2-oauth2-auth-code-flow#request-an-authorization-code
   */
  authorizationUrl(app: OAuthApp, opts: AuthorizationUrlOptions) {
    const orgUrl = dynamicsOrgUrl(opts.instanceUrl)
    const q = new URLSearchParams({
      client_id: app.clientId,
      response_type: 'code',
      redirect_uri: app.redirectUri,
      response_mode: 'query',
      scope: [...dynamicsScopes(orgUrl), 'openid', 'profile'].join(' '),
      state: opts.state,
    })
    if (opts.codeChallenge) {
      q.set('code_challenge', opts.codeChallenge)
      q.set('code_challenge_method', 'S256')
    }
    return `${entraAuthorizeEndpoint(opts.authBaseUrl ?? ENTRA_BASE, app.tenant ?? DEFAULT_TENANT)}?${q}`
  },
  /**
   * Code → tokens through MSAL (`acquireTokenByCode`), then WhoAmI on the org to name the
   * environment the grant reaches (the TokenSet's `accountId`).
   */
  async exchangeCode(app, code, opts: ExchangeCodeOptions = {}) {
    const orgUrl = dynamicsOrgUrl(opts.instanceUrl)
    const now = opts.now ?? Date.now
    const timeoutMs = opts.timeoutMs ?? 20_000
    const { result, refreshToken } = await entraTokens(
      app,
      { authBaseUrl: opts.authBaseUrl, timeoutMs },
      (c) =>
        c.acquireTokenByCode({
          code,
          scopes: dynamicsScopes(orgUrl),
          redirectUri: app.redirectUri,
          ...(opts.codeVerifier ? { codeVerifier: opts.codeVerifier } : {}),
        }),
    )
    const api = createDataverseApi(
      (opts.baseUrl ?? orgUrl).replace(/\/+$/, ''),
      async () => result.accessToken,
      timeoutMs,
    )
    let me: ReturnType<typeof whoAmISchema.parse>
    try {
      me = whoAmISchema.parse(await withTimeout(timeoutMs, () => api.callFunction({ name: 'WhoAmI' })))
    } catch (e) {
      throw dynamicsError(e, now())
    }
    return {
      accessToken: result.accessToken,
      refreshToken,
      expiresAt: expiresAt(result, now),
      accountId: me.OrganizationId,
      instanceUrl: orgUrl,
    }
  },
  connect: (ctx) => new DynamicsConnector(ctx),
}
