import {
  type CallActivity,
  type CallActivityInput,
  callActivitySchema,
  nationalSignificantNumber,
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
  type RequestBudget,
  type TokenSet,
} from '../contract.ts'
import {
  ConnectorError,
  codeForStatus,
  isConnectorError,
  malformedAnswer,
  parseRetryAfter,
} from '../errors.ts'
import { phoneMatches } from '../mapping.ts'
import { memoByKey, singleFlight } from '../single-flight.ts'
import { contactProperties, errorBodySchema, tokenResponseSchema } from './api-types.ts'
import { createHubspotApis, HUBSPOT_API_BASE, type HubspotApis } from './client.ts'
import { CALL_REF_PROPERTY, callProperties, contactAssociations, contactName } from './mapper.ts'

const HUBSPOT_APP_BASE = 'https://app.hubspot.com'
/** Calls live under the contacts scopes; owners need their own (optional: no owner without it). */
export const HUBSPOT_SCOPES = ['oauth', 'crm.objects.contacts.read', 'crm.objects.contacts.write']
export const HUBSPOT_OPTIONAL_SCOPES = ['crm.objects.owners.read', 'crm.schemas.contacts.write']
/** Refresh this long before `expires_in` runs out: HubSpot says a 401 is no refresh signal. */
const REFRESH_MARGIN_MS = 5 * 60_000
/** Batch create takes at most 100 inputs. */
const BATCH_LIMIT = 100
const SECONDLY_LIMIT_MESSAGE = 'You have reached your secondly limit.'

/** What the SDK throws: `ApiException { code, body, headers }` (one class per codegen module). */
type ApiExceptionLike = { code: number; body: unknown; headers: Record<string, string> }
function isApiException(e: unknown): e is ApiExceptionLike {
  return (
    typeof e === 'object' && e !== null && typeof (e as { code?: unknown }).code === 'number' && 'body' in e
  )
}

function header(headers: Record<string, string> | undefined, name: string): string | null {
  if (!headers) return null
  const key = Object.keys(headers).find((k) => k.toLowerCase() === name)
  return key ? headers[key]! : null
}

/**
 * HubSpot failure → ConnectorError. 429s carry a `policyName` (TEN_SECONDLY_ROLLING, DAILY) or
 * the search "secondly" message; `Retry-After` is undocumented, so the policy's window is the
 * fallback wait. https://developers.hubspot.com/docs/developer-tooling/platform/usage-guidelines
 */
export function hubspotError(e: unknown, now: number): ConnectorError {
  if (isConnectorError(e)) return e
  if (isApiException(e)) {
    const parsed = errorBodySchema.safeParse(e.body)
    const body = parsed.success ? parsed.data : null
    const message = body?.message ?? `HubSpot answered ${e.code}`
    const vendorCode = body?.category ?? body?.policyName ?? body?.status ?? null
    let retryAfterMs: number | null = null
    if (e.code === 429) {
      const interval = Number(header(e.headers, 'x-hubspot-ratelimit-interval-milliseconds'))
      retryAfterMs =
        parseRetryAfter(header(e.headers, 'retry-after'), now) ??
        (body?.policyName === 'DAILY'
          ? msToNextUtcMidnight(now)
          : body?.message === SECONDLY_LIMIT_MESSAGE
            ? 1000
            : Number.isFinite(interval) && interval > 0
              ? interval
              : 10_000)
    }
    return new ConnectorError(codeForStatus(e.code), message, {
      status: e.code,
      vendorCode,
      retryAfterMs,
      cause: e,
    })
  }
  const message = e instanceof Error ? e.message : String(e)
  return new ConnectorError('unavailable', `HubSpot unreachable: ${message}`, { cause: e })
}

function msToNextUtcMidnight(now: number): number {
  const d = new Date(now)
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() + 1) - now
}

/** Numbers per `lookupMany` search: 4 groups × 10 values stay well inside the 3000-character body. */
const LOOKUP_CHUNK = 10
/** Pages of 200 followed per chunk (numbers shared by hundreds of contacts stop there). */
const MAX_LOOKUP_PAGES = 5

type SearchHit = { id: string; properties: Record<string, string | null>; updatedAt: Date }

/**
 * Contacts whose phone or mobile holds the number, the main phone first, then the most
 * recently modified (the search index also matches on other fields and partial forms).
 */
function rankContacts(results: SearchHit[], e164: string, national: string) {
  return results
    .map((r) => {
      const p = r.properties
      const onPhone = phoneMatches(p.phone, e164, national)
      const onMobile = phoneMatches(p.mobilephone, e164, national)
      return { r, p, rank: onPhone ? 0 : onMobile ? 1 : 2 }
    })
    .filter((x) => x.rank < 2)
    .sort((x, y) => x.rank - y.rank || y.r.updatedAt.getTime() - x.r.updatedAt.getTime())
}

async function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new ConnectorError('unavailable', `HubSpot did not answer within ${ms} ms`)),
      ms,
    )
  })
  try {
    return await Promise.race([p, timeout])
  } finally {
    clearTimeout(timer)
  }
}

/**
 * POST /oauth/v3/token (form body). The SDK only wraps v1, which HubSpot deprecates on
 * Feb 16 2027. https://developers.hubspot.com/docs/api-reference/auth-oauth-v3/guide
 */
async function requestToken(
  base: string,
  params: Record<string, string>,
  previous: TokenSet | null,
  now: number,
  timeoutMs: number,
): Promise<TokenSet> {
  let res: Response
  try {
    res = await fetch(`${base}/oauth/v3/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: new URLSearchParams(params),
      signal: AbortSignal.timeout(timeoutMs),
    })
  } catch (e) {
    throw hubspotError(e, now)
  }
  const text = await res.text()
  let json: unknown = null
  try {
    json = JSON.parse(text)
  } catch {
    // Not JSON: handled below by status.
  }
  if (!res.ok) {
    const body = errorBodySchema.safeParse(json)
    const vendorCode = body.success ? (body.data.status ?? null) : null
    const message =
      (body.success ? body.data.message : null) ?? `HubSpot token endpoint answered ${res.status}`
    // A refused code or refresh token (BAD_AUTH_CODE, BAD_REFRESH_TOKEN) needs a person.
    const code = res.status === 400 || res.status === 401 ? 'reauth' : codeForStatus(res.status)
    throw new ConnectorError(code, message, {
      status: res.status,
      vendorCode,
      retryAfterMs: parseRetryAfter(res.headers.get('retry-after'), now),
    })
  }
  const t = tokenResponseSchema.parse(json)
  return {
    accessToken: t.access_token,
    // HubSpot keeps the refresh token; take a new one if it ever sends one.
    refreshToken: t.refresh_token ?? previous?.refreshToken ?? null,
    expiresAt: now + t.expires_in * 1000,
    accountId: t.hub_id != null ? String(t.hub_id) : (previous?.accountId ?? null),
    instanceUrl: null,
  }
}

export class HubspotConnector implements Connector {
  readonly slug = 'hubspot' as const
  private tokens: TokenSet
  private apis: HubspotApis
  /** Forces a token refresh; concurrent callers share one. */
  readonly refresh = singleFlight(() => this.doRefresh())
  private readonly settings: ConnectorSettings
  private readonly now: () => number
  private readonly base: string
  private readonly timeoutMs: number
  /** HubSpot owners' ids by lowercased email; none without the optional owners scope. */
  private readonly owners = memoByKey(async (email): Promise<string | null> => {
    try {
      const page = await this.call((a) => a.owners.getPage(email, undefined, 1, false))
      return page.results[0]?.id ?? null
    } catch (e) {
      // A missing optional scope costs the owner, not the log.
      if (isConnectorError(e) && (e.code === 'forbidden' || e.code === 'not_found')) return null
      throw e
    }
  })

  constructor(private readonly ctx: ConnectorContext) {
    this.tokens = ctx.tokens
    this.settings = connectorSettingsSchema.parse(ctx.settings ?? {})
    this.now = ctx.now ?? Date.now
    this.base = (ctx.baseUrl ?? HUBSPOT_API_BASE).replace(/\/+$/, '')
    this.timeoutMs = ctx.timeoutMs ?? 20_000
    this.apis = createHubspotApis(this.tokens.accessToken, this.base)
  }

  private async doRefresh(): Promise<TokenSet> {
    const refreshToken = this.tokens.refreshToken
    if (!refreshToken) throw new ConnectorError('reauth', 'No HubSpot refresh token: reconnect the account')
    const next = await requestToken(
      this.base,
      {
        grant_type: 'refresh_token',
        client_id: this.ctx.app.clientId,
        client_secret: this.ctx.app.clientSecret,
        refresh_token: refreshToken,
      },
      this.tokens,
      this.now(),
      this.timeoutMs,
    )
    this.tokens = next
    this.apis = createHubspotApis(next.accessToken, this.base)
    await this.ctx.onTokens(next)
    return next
  }

  /** Runs one SDK call with a fresh token; a 401 gets one refresh and one more try. */
  private async call<T>(fn: (apis: HubspotApis) => Promise<T>, budget: RequestBudget = 'api'): Promise<T> {
    const { expiresAt, refreshToken } = this.tokens
    if (expiresAt !== null && refreshToken && this.now() >= expiresAt - REFRESH_MARGIN_MS)
      await this.refresh()
    try {
      return await paced(this.ctx, budget, () => withTimeout(fn(this.apis), this.timeoutMs))
    } catch (e) {
      const err = hubspotError(e, this.now())
      if (err.status !== 401 || !this.tokens.refreshToken) throw err
    }
    await this.refresh()
    try {
      return await paced(this.ctx, budget, () => withTimeout(fn(this.apis), this.timeoutMs))
    } catch (e) {
      throw hubspotError(e, this.now())
    }
  }

  /** Creates the call-ref property (unique, so HubSpot itself refuses a second call for one ref). */
  async prepare(): Promise<void> {
    try {
      // https://developers.hubspot.com/docs/api-reference/crm-properties-v3/guide
      await this.call((a) =>
        a.properties.create('calls', {
          name: CALL_REF_PROPERTY,
          label: 'Switchboard call',
          description: 'The Switchboard call this activity logs (one activity per call).',
          groupName: 'callinformation',
          // Safe: the SDK's enums are these strings.
          type: 'string' as never,
          fieldType: 'text' as never,
          hasUniqueValue: true,
          formField: false,
        }),
      )
    } catch (e) {
      if (isConnectorError(e) && e.code === 'conflict') return
      throw e
    }
  }

  /**
   * POST /crm/v3/objects/contacts/search. HubSpot indexes numbers in `hs_searchable_calculated_*`
   * without the country code, so those get the national number; `phone`/`mobilephone` get E.164
   * for values stored verbatim. Results are post-filtered by digits and ranked: a match on the
   * main phone before a mobile-only match, then the most recently modified.
   * https://developers.hubspot.com/docs/api-reference/latest/crm/search-the-crm
   */
  async lookupByPhone(e164: string): Promise<CrmRecord[]> {
    const national = nationalSignificantNumber(e164)
    if (!national) return []
    const eq = (propertyName: string, value: string) => ({
      filters: [{ propertyName, operator: 'EQ' as never, value }],
    })
    const res = await this.call(
      (a) =>
        a.contactsSearch.doSearch({
          filterGroups: [
            eq('hs_searchable_calculated_phone_number', national),
            eq('hs_searchable_calculated_mobile_number', national),
            eq('phone', e164),
            eq('mobilephone', e164),
          ],
          properties: [...contactProperties],
          limit: 20,
          after: '0',
          sorts: [],
        }),
      'search',
    )
    // The SDK resolves an unparsable body without results rather than failing.
    if (!Array.isArray(res?.results)) throw malformedAnswer('HubSpot')
    const ranked = rankContacts(res.results, e164, national)
    return this.withOwners(ranked)
  }

  /**
   * The same search for up to LOOKUP_CHUNK numbers a request: each filter group takes the
   * chunk's numbers with `IN` (HubSpot search: 5 groups, 25 filters, a 3000-character body), so
   * a backlog from many callers spends one request of search's 5/s per chunk, not per caller.
   * Matches come back mixed and are sorted out by digits per number; a page of 200 that is full
   * is followed to the next.
   */
  async lookupMany(e164s: readonly string[]): Promise<Map<string, CrmRecord[]>> {
    const wanted = [...new Set(e164s)]
      .map((e164) => ({ e164, national: nationalSignificantNumber(e164) }))
      .filter((w): w is { e164: string; national: string } => !!w.national)
    const out = new Map<string, CrmRecord[]>(e164s.map((e) => [e, []]))
    for (let i = 0; i < wanted.length; i += LOOKUP_CHUNK) {
      const chunk = wanted.slice(i, i + LOOKUP_CHUNK)
      const isIn = (propertyName: string, values: string[]) => ({
        filters: [{ propertyName, operator: 'IN' as never, values }],
      })
      const nationals = chunk.map((w) => w.national)
      const numbers = chunk.map((w) => w.e164)
      const found: SearchHit[] = []
      for (let after = '0', pages = 0; pages < MAX_LOOKUP_PAGES; pages++) {
        const res = await this.call(
          (a) =>
            a.contactsSearch.doSearch({
              filterGroups: [
                isIn('hs_searchable_calculated_phone_number', nationals),
                isIn('hs_searchable_calculated_mobile_number', nationals),
                isIn('phone', numbers),
                isIn('mobilephone', numbers),
              ],
              properties: [...contactProperties],
              limit: 200,
              after,
              sorts: [],
            }),
          'search',
        )
        if (!Array.isArray(res?.results)) throw malformedAnswer('HubSpot')
        found.push(...res.results)
        const next = res.paging?.next?.after
        if (!next || res.results.length < 200) break
        after = next
      }
      const ranked = chunk.map((w) => ({ w, ranked: rankContacts(found, w.e164, w.national) }))
      const owners = await this.ownerNames(ranked.flatMap((r) => r.ranked.map(({ p }) => p.hubspot_owner_id)))
      for (const { w, ranked: list } of ranked) out.set(w.e164, this.recordsOf(list, owners))
    }
    return out
  }

  private async withOwners(ranked: ReturnType<typeof rankContacts>): Promise<CrmRecord[]> {
    return this.recordsOf(ranked, await this.ownerNames(ranked.map(({ p }) => p.hubspot_owner_id)))
  }

  private recordsOf(ranked: ReturnType<typeof rankContacts>, ownerNames: Map<string, string>): CrmRecord[] {
    return ranked.map(({ r, p }) => ({
      ...this.contactRecord(r.id, p),
      company: p.company || null,
      owner: (p.hubspot_owner_id && ownerNames.get(p.hubspot_owner_id)) || null,
    }))
  }

  /**
   * Owners' names by id (GET /crm/v3/owners/{ownerId}), in parallel: usually one. Needs the
   * optional owners scope; without it, or on any failure, the records show no owner rather than
   * failing the lookup.
   * https://developers.hubspot.com/docs/api-reference/crm-owners-v3/guide
   */
  private async ownerNames(ids: (string | null | undefined)[]): Promise<Map<string, string>> {
    const names = new Map<string, string>()
    const wanted = [...new Set(ids.filter((id): id is string => !!id && /^\d+$/.test(id)))]
    await Promise.all(
      wanted.map(async (id) => {
        try {
          const o = await this.call((a) => a.owners.getById(Number(id), 'id', false))
          const name = [o.firstName, o.lastName].filter(Boolean).join(' ') || o.email
          if (name) names.set(id, name)
        } catch {
          // The owner is a nicety of the caller card: no owner, the record still shows.
        }
      }),
    )
    return names
  }

  private contactRecord(id: string, p: Record<string, string | null>): CrmRecord {
    const portal = this.tokens.accountId
    return {
      id,
      type: 'contact',
      name: contactName(p),
      email: p.email ?? null,
      phone: p.phone ?? p.mobilephone ?? null,
      url: portal ? `${HUBSPOT_APP_BASE}/contacts/${portal}/record/0-1/${id}` : null,
      accountId: null,
    }
  }

  /**
   * POST /crm/v3/objects/contacts (201). Without a name the contact is "<number> / Switchboard
   * new contact", so a HubSpot workflow can find and reclassify it (HubSpot bills new contacts
   * as marketing contacts unless told otherwise).
   */
  async createContact(input: { e164: string; name?: string | null }): Promise<CrmRecord | null> {
    if (this.settings.unknownNumber === 'nothing') return null
    const name = input.name?.trim()
    const [first, ...rest] = name ? name.split(/\s+/) : [input.e164, 'Switchboard', 'new', 'contact']
    const properties = { firstname: first!, lastname: rest.join(' '), phone: input.e164 }
    const created = await this.call((a) => a.contactsBasic.create({ properties, associations: [] }))
    return this.contactRecord(created.id, created.properties)
  }

  /** GET /crm/v3/objects/calls/{ref}?idProperty=…: a read by unique property, not the lagging search index. */
  async findActivity(callRef: string): Promise<ActivityRef | null> {
    try {
      const found = await this.call((a) =>
        a.callsBasic.getById(callRef, [CALL_REF_PROPERTY], undefined, undefined, false, CALL_REF_PROPERTY),
      )
      return { id: found.id, callRef }
    } catch (e) {
      if (isConnectorError(e) && e.code === 'not_found') return null
      throw e
    }
  }

  /** The HubSpot owner with the agent's email (GET /crm/v3/owners?email=); none without the scope. */
  private async ownerId(email: string | null | undefined): Promise<string | null> {
    return email ? this.owners(email.toLowerCase()) : null
  }

  private async propertiesFor(call: CallActivity, record: LogRecord | null) {
    const ownerId = await this.ownerId(call.agent?.email)
    return callProperties(call, this.settings, { record, recordName: record?.name ?? null, ownerId })
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
    const properties = await this.propertiesFor(call, record)
    let existing = opts.activityId ?? null
    if (!existing && opts.mayExist) existing = (await this.findActivity(call.call_ref))?.id ?? null
    if (existing) {
      await this.updateCall(existing, properties)
      return done(existing, false)
    }
    try {
      // https://developers.hubspot.com/docs/api-reference/legacy/crm/activities/calls/guide (201)
      const created = await this.call((a) =>
        a.callsBasic.create({ properties, associations: contactAssociations(record) as never }),
      )
      return done(created.id, true)
    } catch (e) {
      // The unique call-ref property refused a second call: an earlier try got through.
      if (!(isConnectorError(e) && e.code === 'conflict')) throw e
      const found = await this.findActivity(call.call_ref)
      if (!found) throw e
      await this.updateCall(found.id, properties)
      return done(found.id, false)
    }
  }

  private async updateCall(id: string, properties: Record<string, string>) {
    // PATCH /crm/v3/objects/calls/{id}
    await this.call((a) => a.callsBasic.update(id, { properties }))
  }

  /**
   * POST /crm/v3/objects/calls/batch/create, 100 inputs a request: 201 when all were created,
   * 207 with `errors` when some were not. Results come back unordered: they are matched to
   * inputs by `objectWriteTraceId`, which we set to the call ref. A failure of the whole request
   * (429, 5xx, timeout) throws, so the hub retries the batch with `mayExist` semantics.
   */
  async logCalls(
    items: { call: CallActivityInput; record?: LogRecord | null }[],
  ): Promise<BatchItemResult[]> {
    const out: BatchItemResult[] = []
    for (let i = 0; i < items.length; i += BATCH_LIMIT) {
      const chunk = items.slice(i, i + BATCH_LIMIT)
      const inputs: {
        objectWriteTraceId: string
        properties: Record<string, string>
        associations: never
      }[] = []
      for (const item of chunk) {
        const call = callActivitySchema.parse(item.call)
        const record = item.record ?? null
        inputs.push({
          objectWriteTraceId: call.call_ref,
          properties: await this.propertiesFor(call, record),
          associations: contactAssociations(record) as never,
        })
      }
      const res = await this.call((a) => a.callsBatch.create({ inputs }))
      const byRef = new Map(
        res.results.map((r) => [r.objectWriteTraceId ?? r.properties[CALL_REF_PROPERTY], r.id]),
      )
      const errors = 'errors' in res && Array.isArray(res.errors) ? res.errors : []
      for (const input of inputs) {
        const callRef = input.objectWriteTraceId
        const id = byRef.get(callRef)
        if (id) {
          out.push({ ok: true, callRef, activityId: id })
          continue
        }
        const err = errors.find((x) => x.context?.objectWriteTraceId?.includes(callRef)) ?? errors[0]
        const status = err?.status ? Number(err.status) : Number.NaN
        out.push({
          ok: false,
          callRef,
          error: new ConnectorError(
            err?.category === 'CONFLICT'
              ? 'conflict'
              : Number.isFinite(status)
                ? codeForStatus(status)
                : 'invalid',
            err?.message ?? 'HubSpot did not create this call',
            { vendorCode: err?.category ?? null },
          ),
        })
      }
    }
    return out
  }

  async attachMedia(
    activityId: string,
    media: { recordingUrl?: string | null; voicemailUrl?: string | null },
  ) {
    const url = media.recordingUrl ?? media.voicemailUrl
    if (!url) return
    if (!url.startsWith('https://'))
      throw new ConnectorError('invalid', 'HubSpot plays only https recording URLs')
    const properties: Record<string, string> = { hs_call_recording_url: url }
    if (!media.recordingUrl && media.voicemailUrl) properties.hs_call_has_voicemail = 'true'
    await this.updateCall(activityId, properties)
  }

  /**
   * POST /oauth/v3/token/revoke with the refresh token. HubSpot deletes the refresh token only:
   * an access token already issued keeps working until it expires (30 min at most), and the app
   * stays installed in the portal (another connection of this company may use the same install).
   * https://developers.hubspot.com/docs/api-reference/latest/authentication/oauth-tokens/revoke-token
   */
  async revoke(): Promise<void> {
    const token = this.tokens.refreshToken
    if (!token) return
    let res: Response
    try {
      res = await fetch(`${this.base}/oauth/v3/token/revoke`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
        body: new URLSearchParams({
          client_id: this.ctx.app.clientId,
          client_secret: this.ctx.app.clientSecret,
          token,
          token_type_hint: 'refresh_token',
        }),
        signal: AbortSignal.timeout(this.timeoutMs),
      })
    } catch (e) {
      throw hubspotError(e, this.now())
    }
    await res.body?.cancel()
    // 400/404: HubSpot no longer knows the token (already revoked, app uninstalled).
    if (res.ok || res.status === 400 || res.status === 404) return
    throw new ConnectorError(codeForStatus(res.status), `HubSpot revoke answered ${res.status}`, {
      status: res.status,
      retryAfterMs: parseRetryAfter(res.headers.get('retry-after'), this.now()),
    })
  }

  /** The token works and the call-ref property exists (GET /crm/v3/properties/calls/{name}). */
  async healthCheck(): Promise<HealthStatus> {
    try {
      await this.call((a) => a.properties.getByName('calls', CALL_REF_PROPERTY))
      return { ok: true, accountId: this.tokens.accountId }
    } catch (e) {
      const err = hubspotError(e, this.now())
      if (err.code === 'not_found')
        return { ok: false, reason: 'The call-ref property is missing', reauth: false }
      return { ok: false, reason: err.message, reauth: err.reauth }
    }
  }
}

export const hubspotDefinition: ConnectorDefinition = {
  slug: 'hubspot',
  authorizationUrl(app: OAuthApp, opts: { state: string; authBaseUrl?: string }) {
    const q = new URLSearchParams({
      client_id: app.clientId,
      redirect_uri: app.redirectUri,
      scope: HUBSPOT_SCOPES.join(' '),
      optional_scope: HUBSPOT_OPTIONAL_SCOPES.join(' '),
      state: opts.state,
    })
    return `${opts.authBaseUrl ?? HUBSPOT_APP_BASE}/oauth/authorize?${q}`
  },
  exchangeCode(app, code, opts = {}) {
    return requestToken(
      (opts.baseUrl ?? HUBSPOT_API_BASE).replace(/\/+$/, ''),
      {
        grant_type: 'authorization_code',
        client_id: app.clientId,
        client_secret: app.clientSecret,
        redirect_uri: app.redirectUri,
        code,
      },
      null,
      (opts.now ?? Date.now)(),
      opts.timeoutMs ?? 20_000,
    )
  },
  connect: (ctx) => new HubspotConnector(ctx),
}
