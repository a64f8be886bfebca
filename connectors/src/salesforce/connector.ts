import {
  type CallActivity,
  type CallActivityInput,
  callActivitySchema,
  nationalSignificantNumber,
} from '@switchboard/shared'
import type { Connection as JsforceConnection } from 'jsforce'
import {
  type ActivityRef,
  type AuthorizationUrlOptions,
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
  type ConnectorErrorCode,
  codeForStatus,
  isConnectorError,
  malformedAnswer,
} from '../errors.ts'
import { phoneMatches } from '../mapping.ts'
import { memoByKey, singleFlight } from '../single-flight.ts'
import {
  describeSchema,
  queryResponseSchema,
  type SaveResult,
  type SearchRecord,
  saveResultSchema,
  searchResponseSchema,
  tokenResponseSchema,
} from './api-types.ts'
import { Connection, createOAuth2, SALESFORCE_API_VERSION, SALESFORCE_LOGIN_URL } from './client.ts'
import { escapeSosl, recordTypes, sobjectOf, soqlString, taskFields } from './mapper.ts'

/** sObject Collections take at most 200 records a request. */
const COLLECTION_LIMIT = 200
/** The Task fields a call log needs; they exist only in orgs with Salesforce CRM Call Center. */
const CALL_FIELDS = ['TaskSubtype', 'CallType', 'CallDurationInSeconds', 'CallDisposition', 'CallObject']
const RANK: Record<string, number> = { contact: 0, lead: 1, account: 2 }
/** Numbers per SOSL search in lookupMany (a short FIND clause, well under SOSL's 2,000 records). */
const LOOKUP_CHUNK = 20

const errorCodes: Record<string, ConnectorErrorCode> = {
  INVALID_SESSION_ID: 'reauth',
  REQUEST_LIMIT_EXCEEDED: 'rate_limited',
  SERVER_UNAVAILABLE: 'unavailable',
  UNABLE_TO_LOCK_ROW: 'unavailable',
  NOT_FOUND: 'not_found',
  ENTITY_IS_DELETED: 'not_found',
  INSUFFICIENT_ACCESS: 'forbidden',
  INSUFFICIENT_ACCESS_OR_READONLY: 'forbidden',
  INSUFFICIENT_ACCESS_ON_CROSS_REFERENCE_ENTITY: 'forbidden',
  API_DISABLED_FOR_ORG: 'forbidden',
  API_CURRENTLY_DISABLED: 'forbidden',
  DUPLICATE_VALUE: 'conflict',
  DUPLICATES_DETECTED: 'conflict',
}

/** jsforce's errors: `HttpApiError {errorCode}` for API errors, OAuth errors named by `error`. */
export function salesforceError(e: unknown): ConnectorError {
  if (isConnectorError(e)) return e
  const err = e as { errorCode?: unknown; name?: unknown; message?: unknown; code?: unknown; type?: unknown }
  const message = typeof err?.message === 'string' ? err.message : String(e)
  const vendorCode = typeof err?.errorCode === 'string' ? err.errorCode : null
  if (vendorCode) {
    const http = vendorCode.match(/^ERROR_HTTP_(\d{3})$/)
    const code = http ? codeForStatus(Number(http[1])) : (errorCodes[vendorCode] ?? 'invalid')
    return new ConnectorError(code, message, { vendorCode, status: http ? Number(http[1]) : null, cause: e })
  }
  // Timeouts, resets, refused connections (node-fetch FetchError / AbortError): the write may
  // or may not have happened.
  return new ConnectorError('unavailable', `Salesforce unreachable: ${message}`, { cause: e })
}

/** OAuth token endpoint errors (`{error, error_description}`), as jsforce names them. */
function oauthError(e: unknown): ConnectorError {
  const err = e as { name?: string; message?: string }
  const name = err?.name ?? ''
  const http = name.match(/^ERROR_HTTP_(\d{3})$/)
  if (http && Number(http[1]) >= 500)
    return new ConnectorError('unavailable', err.message ?? name, { status: Number(http[1]), cause: e })
  if (name === 'invalid_grant' || name === 'invalid_client_id' || name === 'invalid_client' || http)
    return new ConnectorError('reauth', err.message || name, { vendorCode: name, cause: e })
  return new ConnectorError(
    'unavailable',
    `Salesforce token endpoint unreachable: ${err?.message ?? String(e)}`,
    {
      cause: e,
    },
  )
}

function orgIdOf(identityUrl: string | null | undefined): string | null {
  return identityUrl?.match(/\/id\/([^/]+)\//)?.[1] ?? null
}

function tokenSet(raw: unknown, previous: TokenSet | null): TokenSet {
  const t = tokenResponseSchema.parse(raw)
  return {
    accessToken: t.access_token,
    // With refresh-token rotation on, Salesforce answers a new refresh token and revokes the old.
    refreshToken: t.refresh_token ?? previous?.refreshToken ?? null,
    expiresAt: null,
    accountId: orgIdOf(t.id) ?? previous?.accountId ?? null,
    instanceUrl: t.instance_url,
  }
}

export class SalesforceConnector implements Connector {
  readonly slug = 'salesforce' as const
  private tokens: TokenSet
  private readonly conn: JsforceConnection
  private readonly oauth2: ReturnType<typeof createOAuth2>
  private readonly settings: ConnectorSettings
  private readonly timeoutMs: number
  /** Forces a token refresh; concurrent callers share one. */
  readonly refresh = singleFlight(() => this.doRefresh())
  private lastRefreshError: ConnectorError | null = null
  /** Agents' Salesforce user ids by lowercased email. */
  private readonly owners = memoByKey(async (email): Promise<string | null> => {
    const soql = `SELECT Id FROM User WHERE Email = ${soqlString(email)} AND IsActive = true LIMIT 1`
    const res = queryResponseSchema.parse(await this.request('GET', `/query?q=${encodeURIComponent(soql)}`))
    return res.records[0]?.Id ?? null
  })

  constructor(private readonly ctx: ConnectorContext) {
    this.tokens = ctx.tokens
    this.settings = connectorSettingsSchema.parse(ctx.settings ?? {})
    this.timeoutMs = ctx.timeoutMs ?? 20_000
    if (!ctx.tokens.instanceUrl)
      throw new ConnectorError('invalid', 'A Salesforce token set needs its instance URL')
    this.oauth2 = createOAuth2(ctx.app, ctx.authBaseUrl ?? SALESFORCE_LOGIN_URL)
    this.conn = new Connection({
      oauth2: this.oauth2,
      instanceUrl: (ctx.baseUrl ?? ctx.tokens.instanceUrl).replace(/\/+$/, ''),
      accessToken: ctx.tokens.accessToken,
      refreshToken: ctx.tokens.refreshToken ?? undefined,
      version: SALESFORCE_API_VERSION,
      // Our own refresh: jsforce's built-in one keeps the old refresh token, which an org with
      // refresh-token rotation has just revoked, so the next refresh would fail.
      refreshFn: (_conn, callback) => {
        this.refresh().then(
          (t) => callback(undefined, t.accessToken),
          (e: unknown) => callback(e instanceof Error ? e : new Error(String(e))),
        )
      },
    })
  }

  private async doRefresh(): Promise<TokenSet> {
    const refreshToken = this.tokens.refreshToken
    if (!refreshToken) throw new ConnectorError('reauth', 'No Salesforce refresh token: reconnect the org')
    let raw: unknown
    try {
      // POST {loginUrl}/services/oauth2/token grant_type=refresh_token
      raw = await this.oauth2.refreshToken(refreshToken)
    } catch (e) {
      this.lastRefreshError = oauthError(e)
      throw this.lastRefreshError
    }
    const next = tokenSet(raw, this.tokens)
    this.tokens = next
    this.conn.accessToken = next.accessToken
    this.conn.refreshToken = next.refreshToken
    if (!this.ctx.baseUrl) this.conn.instanceUrl = next.instanceUrl!
    await this.ctx.onTokens(next)
    return next
  }

  /**
   * One REST call through jsforce (auth header, refresh on 401, error parsing) with its own
   * retries off: jsforce would retry GETs on 429/5xx for about 15 s; the hub's queue decides.
   */
  private async request<T = unknown>(method: string, url: string, body?: unknown): Promise<T> {
    this.lastRefreshError = null
    try {
      return (await paced(this.ctx, 'api', () =>
        this.conn.request<T>(
          {
            method: method as 'GET',
            url,
            ...(body === undefined
              ? {}
              : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
          },
          { retry: { maxRetries: 0 }, timeout: this.timeoutMs } as never,
        ),
      )) as T
    } catch (e) {
      // jsforce rewraps a failed refresh as "Unable to refresh session due to: …".
      if (this.lastRefreshError) throw this.lastRefreshError
      throw salesforceError(e)
    }
  }

  async prepare(): Promise<void> {}

  /**
   * SOSL on the national number's bare digits: `+` and `-` are SOSL operators, and Salesforce's
   * own sample searches digits. Results are post-filtered by digits (the index tokenises stored
   * formats in undocumented ways) and ranked Contact > Lead > Account, then most recently
   * modified. Converted leads are skipped.
   * https://developer.salesforce.com/docs/atlas.en-us.api.meta/api/sample_search_call.htm
   */
  async lookupByPhone(e164: string): Promise<CrmRecord[]> {
    return (await this.lookupMany([e164])).get(e164) ?? []
  }

  /**
   * One SOSL for up to LOOKUP_CHUNK numbers (`FIND {n1 OR n2 …}`): a backlog from many callers
   * costs one request of the org's allocation per chunk, not per caller. SOSL answers at most
   * 2,000 records, far above what 20 numbers match; they are sorted out per number by digits.
   */
  async lookupMany(e164s: readonly string[]): Promise<Map<string, CrmRecord[]>> {
    const wanted = [...new Set(e164s)]
      .map((e164) => ({ e164, national: nationalSignificantNumber(e164) }))
      .filter((w): w is { e164: string; national: string } => !!w.national)
    const out = new Map<string, CrmRecord[]>(e164s.map((e) => [e, []]))
    for (let i = 0; i < wanted.length; i += LOOKUP_CHUNK) {
      const chunk = wanted.slice(i, i + LOOKUP_CHUNK)
      const terms = [...new Set(chunk.map((w) => escapeSosl(w.national)))].join(' OR ')
      const sosl =
        `FIND {${terms}} IN PHONE FIELDS RETURNING ` +
        'Contact(Id, Name, Phone, MobilePhone, HomePhone, OtherPhone, AssistantPhone, Email, AccountId, Account.Name, Owner.Name, LastModifiedDate), ' +
        'Lead(Id, Name, Phone, MobilePhone, Email, Company, IsConverted, Owner.Name, LastModifiedDate), ' +
        'Account(Id, Name, Phone, Owner.Name, LastModifiedDate)'
      const parsed = searchResponseSchema.safeParse(
        await this.request('GET', `/search?q=${encodeURIComponent(sosl)}`),
      )
      if (!parsed.success) throw malformedAnswer('Salesforce', parsed.error)
      const found = parsed.data.searchRecords.filter((r) => recordTypes[r.attributes.type] && !r.IsConverted)
      for (const w of chunk) out.set(w.e164, this.ranked(found, w.e164, w.national))
    }
    return out
  }

  /** The records holding the number in a phone field, Contact > Lead > Account, then newest. */
  private ranked(found: SearchRecord[], e164: string, national: string): CrmRecord[] {
    const phones = (r: SearchRecord) => [r.Phone, r.MobilePhone, r.HomePhone, r.OtherPhone, r.AssistantPhone]
    return found
      .filter((r) => phones(r).some((p) => phoneMatches(p, e164, national)))
      .map((r) => ({ r, rec: this.record(r) }))
      .sort(
        (a, b) =>
          RANK[a.rec.type]! - RANK[b.rec.type]! ||
          Date.parse(b.r.LastModifiedDate ?? '0') - Date.parse(a.r.LastModifiedDate ?? '0'),
      )
      .map((x) => x.rec)
  }

  private record(r: SearchRecord): CrmRecord {
    const type = recordTypes[r.attributes.type]!
    return {
      id: r.Id,
      type,
      name: r.Name ?? '',
      email: r.Email ?? null,
      phone: r.Phone ?? r.MobilePhone ?? null,
      url: `${this.tokens.instanceUrl}/lightning/r/${r.attributes.type}/${r.Id}/view`,
      accountId: r.AccountId ?? null,
      company: (type === 'lead' ? r.Company : r.Account?.Name) ?? null,
      owner: r.Owner?.Name ?? null,
    }
  }

  /** POST /sobjects/{Contact|Lead|Account} by the unknown-number policy (a Lead needs a Company). */
  async createContact(input: { e164: string; name?: string | null }): Promise<CrmRecord | null> {
    const policy = this.settings.unknownNumber
    if (policy === 'nothing') return null
    const name = input.name?.trim() || null
    const [first, ...rest] = name ? name.split(/\s+/) : [input.e164, 'Switchboard', 'new', 'contact']
    const person = { FirstName: first!, LastName: rest.join(' ') || first!, Phone: input.e164 }
    const fields =
      policy === 'account'
        ? { Name: name ?? input.e164, Phone: input.e164 }
        : policy === 'lead'
          ? { ...person, Company: 'Unknown', LeadSource: 'Phone Inquiry' }
          : person
    const type = sobjectOf[policy]
    const saved = saveResultSchema.parse(await this.request('POST', `/sobjects/${type}`, fields))
    if (!saved.id)
      throw new ConnectorError('invalid', saved.errors?.[0]?.message ?? `Salesforce refused the ${type}`)
    return {
      id: saved.id,
      type: policy,
      name: policy === 'account' ? (name ?? input.e164) : `${person.FirstName} ${person.LastName}`,
      email: null,
      phone: input.e164,
      url: `${this.tokens.instanceUrl}/lightning/r/${type}/${saved.id}/view`,
      accountId: null,
    }
  }

  /** SOQL on `CallObject` (a database read, not the asynchronous search index). */
  async findActivity(callRef: string): Promise<ActivityRef | null> {
    const soql = `SELECT Id FROM Task WHERE CallObject = ${soqlString(callRef)} ORDER BY CreatedDate ASC LIMIT 1`
    const res = queryResponseSchema.parse(await this.request('GET', `/query?q=${encodeURIComponent(soql)}`))
    const first = res.records[0]
    return first ? { id: first.Id, callRef } : null
  }

  /** The active Salesforce user with the agent's email becomes the Task's owner. */
  private async ownerId(email: string | null | undefined): Promise<string | null> {
    return email ? this.owners(email.toLowerCase()) : null
  }

  private async fields(call: CallActivity, record: LogRecord | null, forUpdate: boolean) {
    const ownerId = await this.ownerId(call.agent?.email)
    return taskFields(call, this.settings, { record, ownerId, forUpdate })
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
    let existing = opts.activityId ?? null
    // Salesforce has no unique external id on Task: after a lost answer the hub says so, and
    // the Task written by the lost try is found by its CallObject.
    if (!existing && opts.mayExist) existing = (await this.findActivity(call.call_ref))?.id ?? null
    if (existing) {
      // PATCH /sobjects/Task/{id} → 204
      await this.request('PATCH', `/sobjects/Task/${existing}`, await this.fields(call, record, true))
      return done(existing, false)
    }
    // POST /sobjects/Task → 201 {id, success, errors}
    const saved = saveResultSchema.parse(
      await this.request('POST', '/sobjects/Task', await this.fields(call, record, false)),
    )
    if (!saved.id)
      throw new ConnectorError('invalid', saved.errors?.[0]?.message ?? 'Salesforce refused the Task')
    return done(saved.id, true)
  }

  /**
   * POST /composite/sobjects with allOrNone=false, 200 records a request; the SaveResults come
   * back in input order.
   * https://developer.salesforce.com/docs/platform/api-rest/guide/resources-composite-sobjects-collections-create.html
   */
  async logCalls(
    items: { call: CallActivityInput; record?: LogRecord | null }[],
  ): Promise<BatchItemResult[]> {
    const out: BatchItemResult[] = []
    for (let i = 0; i < items.length; i += COLLECTION_LIMIT) {
      const chunk = items.slice(i, i + COLLECTION_LIMIT)
      const calls = chunk.map((x) => callActivitySchema.parse(x.call))
      const records = []
      for (const [j, call] of calls.entries())
        records.push({
          attributes: { type: 'Task' },
          ...(await this.fields(call, chunk[j]!.record ?? null, false)),
        })
      const raw = await this.request<unknown[]>('POST', '/composite/sobjects', { allOrNone: false, records })
      const results: SaveResult[] = raw.map((r) => saveResultSchema.parse(r))
      for (const [j, call] of calls.entries()) {
        const r = results[j]
        if (r?.success && r.id) out.push({ ok: true, callRef: call.call_ref, activityId: r.id })
        else {
          const first = r?.errors?.[0]
          const code = first?.statusCode ? (errorCodes[first.statusCode] ?? 'invalid') : 'invalid'
          out.push({
            ok: false,
            callRef: call.call_ref,
            error: new ConnectorError(code, first?.message ?? 'Salesforce did not create this Task', {
              vendorCode: first?.statusCode ?? null,
            }),
          })
        }
      }
    }
    return out
  }

  /** Appends the recording / voicemail link to the Task's comments (Description). */
  async attachMedia(
    activityId: string,
    media: { recordingUrl?: string | null; voicemailUrl?: string | null },
  ) {
    const lines = [
      media.recordingUrl ? `Recording: ${media.recordingUrl}` : null,
      media.voicemailUrl ? `Voicemail: ${media.voicemailUrl}` : null,
    ].filter((x): x is string => x !== null)
    if (lines.length === 0) return
    const task = (await this.request('GET', `/sobjects/Task/${activityId}?fields=Description`)) as {
      Description?: string | null
    }
    const current = task.Description ?? ''
    const missing = lines.filter((l) => !current.includes(l))
    if (missing.length === 0) return
    const Description = [current, ...missing].filter((s) => s !== '').join('\n\n')
    await this.request('PATCH', `/sobjects/Task/${activityId}`, { Description })
  }

  /**
   * POST {login}/services/oauth2/revoke with the refresh token: Salesforce then revokes it and
   * every access token issued from it. A 400 means the org no longer knows the token.
   * https://help.salesforce.com/s/articleView?id=sf.remoteaccess_revoke_token.htm
   */
  async revoke(): Promise<void> {
    const token = this.tokens.refreshToken ?? this.tokens.accessToken
    try {
      await this.oauth2.revokeToken(token)
    } catch (e) {
      const name = (e as { name?: unknown })?.name
      const http = typeof name === 'string' ? name.match(/^ERROR_HTTP_(\d{3})$/) : null
      const status = http ? Number(http[1]) : null
      // An OAuth error name (invalid_token, unsupported_token_type) or a 4xx: nothing to revoke.
      if (typeof name === 'string' && (status === null ? /^[a-z_]+$/.test(name) : status < 500)) return
      throw new ConnectorError(
        'unavailable',
        `Salesforce revoke failed: ${String((e as Error)?.message ?? e)}`,
        {
          status,
          cause: e,
        },
      )
    }
  }

  /** The session works and Task has the call-center fields (they exist only with CRM Call Center). */
  async healthCheck(): Promise<HealthStatus> {
    try {
      const d = describeSchema.parse(await this.request('GET', '/sobjects/Task/describe'))
      const names = new Set(d.fields.filter((f) => f.createable).map((f) => f.name))
      const missing = CALL_FIELDS.filter((f) => !names.has(f))
      if (missing.length > 0)
        return { ok: false, reason: `Task lacks writable call fields: ${missing.join(', ')}`, reauth: false }
      return { ok: true, accountId: this.tokens.accountId }
    } catch (e) {
      const err = salesforceError(e)
      return { ok: false, reason: err.message, reauth: err.reauth }
    }
  }
}

export const salesforceDefinition: ConnectorDefinition = {
  slug: 'salesforce',
  authorizationUrl(app: OAuthApp, opts: AuthorizationUrlOptions) {
    // PKCE is optional for a web-server flow app unless its "Require PKCE" setting is on.
    // https://help.salesforce.com/s/articleView?id=xcloud.remoteaccess_oauth_web_server_flow.htm
    return createOAuth2(app, opts.authBaseUrl ?? SALESFORCE_LOGIN_URL).getAuthorizationUrl({
      scope: 'api refresh_token',
      state: opts.state,
      ...(opts.codeChallenge ? { code_challenge: opts.codeChallenge, code_challenge_method: 'S256' } : {}),
    })
  },
  async exchangeCode(app, code, opts = {}) {
    try {
      // PKCE: the verifier of the challenge the authorization URL carried (RFC 7636).
      const raw = await createOAuth2(app, opts.authBaseUrl ?? SALESFORCE_LOGIN_URL).requestToken(
        code,
        opts.codeVerifier ? { code_verifier: opts.codeVerifier } : {},
      )
      return tokenSet(raw, null)
    } catch (e) {
      throw oauthError(e)
    }
  },
  connect: (ctx) => new SalesforceConnector(ctx),
}
