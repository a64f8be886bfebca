import { randomUUID } from 'node:crypto'
import { nationalSignificantNumber, normalizePhone } from '@switchboard/shared'
import { createRateWindow, type RateLimitOption, type RateStats } from './rate-window.ts'
import { type FakeRequest, type FakeResponse, type FakeServer, parseJson, startFakeServer } from './server.ts'

/**
 * A stateful HubSpot on loopback: the endpoints the connector uses, with HubSpot's paths, status
 * codes (create → 201, batch → 201/207, search → 200), error bodies and OAuth v3 token grant.
 * Phone search follows HubSpot's rule: `hs_searchable_calculated_*` hold the number without its
 * country code, `phone`/`mobilephone` match only the stored string.
 */

type HsObject = {
  id: string
  properties: Record<string, string | null>
  createdAt: string
  updatedAt: string
  associations: { toId: string; typeId: number }[]
}

/** Default call properties HubSpot knows (writes of any other name need a custom property). */
const CALL_PROPERTIES = new Set([
  'hs_timestamp',
  'hs_call_title',
  'hs_call_body',
  'hs_call_direction',
  'hs_call_disposition',
  'hs_call_duration',
  'hs_call_from_number',
  'hs_call_to_number',
  'hs_call_recording_url',
  'hs_call_status',
  'hs_call_has_voicemail',
  'hs_call_callee_object_id',
  'hs_call_callee_object_type',
  'hs_call_source',
  'hs_activity_type',
  'hs_attachment_ids',
  'hubspot_owner_id',
])
const CALL_STATUSES = new Set([
  'BUSY',
  'CALLING_CRM_USER',
  'CANCELED',
  'COMPLETED',
  'CONNECTING',
  'FAILED',
  'IN_PROGRESS',
  'NO_ANSWER',
  'QUEUED',
  'RINGING',
])

const err = (status: number, category: string, message: string, extra: Record<string, unknown> = {}) => ({
  status,
  body: { status: 'error', message, correlationId: randomUUID(), category, ...extra },
})

export type HubspotFake = FakeServer & {
  contacts: Map<string, HsObject>
  calls: Map<string, HsObject>
  addContact(p: Record<string, string>, updatedAt?: string): string
  addOwner(o: { id: string; email: string; firstName?: string; lastName?: string }): void
  /** Grants a code that exchanges for tokens (the user approved the app). */
  grantCode(code: string): void
  /** Issues tokens directly (an installed app). */
  issueTokens(): { accessToken: string; refreshToken: string }
  /** Every access token stops working (HubSpot answers 401 EXPIRED_AUTHENTICATION). */
  expireAccessTokens(): void
  revokeRefreshTokens(): void
  /** Refresh tokens revoked through POST /oauth/v3/token/revoke, in order. */
  revoked: string[]
  callPropertyDefs: Map<string, { hasUniqueValue: boolean }>
  /** Requests counted against the rate limit and those refused with 429 (zeros without one). */
  rateStats: RateStats
  /** Search requests counted against the search limit, and refused. */
  searchRateStats: RateStats
}

export type HubspotFakeOptions = {
  /**
   * HubSpot's burst limit per installing account, enforced: a request past it gets HubSpot's 429
   * (`policyName: TEN_SECONDLY_ROLLING`). A public OAuth app has 110 requests per rolling 10 s;
   * search is not counted in it. Off by default.
   * https://developers.hubspot.com/docs/developer-tooling/platform/usage-guidelines
   */
  rateLimit?: RateLimitOption
  /** The search endpoints' own limit (HubSpot: 5 requests/s per account), 429 "secondly". */
  searchRateLimit?: RateLimitOption
  /** The OAuth app the token endpoint accepts (default hs-client / hs-secret). */
  clientId?: string
  clientSecret?: string
}

/** HubSpot's 10-second limit for OAuth apps (per installing account). */
export const HUBSPOT_OAUTH_APP_LIMIT = { requests: 110, windowMs: 10_000 } as const

export async function startHubspotFake(opts: HubspotFakeOptions = {}): Promise<HubspotFake> {
  const clientId = opts.clientId ?? 'hs-client'
  const clientSecret = opts.clientSecret ?? 'hs-secret'
  const burst = opts.rateLimit ? createRateWindow(opts.rateLimit) : null
  const secondly = opts.searchRateLimit ? createRateWindow(opts.searchRateLimit) : null
  const revoked: string[] = []
  const contacts = new Map<string, HsObject>()
  const calls = new Map<string, HsObject>()
  /**
   * Unique properties' values → call id (HubSpot keeps such an index: a unique-property read is
   * a key lookup). An entry whose call is gone or changed is stale and ignored.
   */
  const uniqueIndex = new Map<string, Map<string, string>>()
  const byUnique = (name: string, value: string): HsObject | undefined => {
    const id = uniqueIndex.get(name)?.get(value)
    const o = id === undefined ? undefined : calls.get(id)
    return o && o.properties[name] === value ? o : undefined
  }
  const indexUnique = (o: HsObject) => {
    for (const [name, def] of callPropertyDefs) {
      const v = o.properties[name]
      if (!def.hasUniqueValue || v === undefined || v === null) continue
      const values = uniqueIndex.get(name) ?? new Map<string, string>()
      uniqueIndex.set(name, values)
      values.set(v, o.id)
    }
  }
  const owners: { id: string; email: string; firstName?: string; lastName?: string }[] = []
  const codes = new Set<string>()
  const accessTokens = new Set<string>()
  const refreshTokens = new Set<string>()
  const callPropertyDefs = new Map<string, { hasUniqueValue: boolean }>()
  let nextId = 1000
  const HUB_ID = 4242

  const issueTokens = () => {
    const accessToken = `CJ${randomUUID().replaceAll('-', '')}`
    const refreshToken = `na1-${randomUUID()}`
    accessTokens.add(accessToken)
    refreshTokens.add(refreshToken)
    return { accessToken, refreshToken }
  }

  const objectJson = (o: HsObject, only?: string[]) => {
    const base = {
      hs_object_id: o.id,
      createdate: o.createdAt,
      lastmodifieddate: o.updatedAt,
    }
    const props: Record<string, string | null> = { ...base }
    for (const [k, v] of Object.entries(o.properties)) if (!only || only.includes(k)) props[k] = v
    if (only) for (const k of only) if (!(k in props)) props[k] = null
    return { id: o.id, properties: props, createdAt: o.createdAt, updatedAt: o.updatedAt, archived: false }
  }

  /** What HubSpot's calculated searchable property holds for a stored value. */
  const searchable = (raw: string | null | undefined) => {
    if (!raw) return null
    const n = normalizePhone(raw, 'US')
    return n ? nationalSignificantNumber(n.e164) : raw.replace(/\D/g, '')
  }
  const propValue = (o: HsObject, name: string) => {
    if (name === 'hs_searchable_calculated_phone_number') return searchable(o.properties.phone)
    if (name === 'hs_searchable_calculated_mobile_number') return searchable(o.properties.mobilephone)
    return o.properties[name] ?? null
  }

  /** Validation HubSpot does on call writes: known properties, enum values, unique call refs. */
  const validateCall = (props: Record<string, unknown>, creating: boolean, selfId?: string) => {
    for (const [k, v] of Object.entries(props)) {
      if (!CALL_PROPERTIES.has(k) && !callPropertyDefs.has(k))
        return err(400, 'VALIDATION_ERROR', 'Property values were not valid', {
          errors: [
            {
              message: `Property "${k}" does not exist`,
              code: 'PROPERTY_DOESNT_EXIST',
              context: { propertyName: [k] },
            },
          ],
        })
      if (typeof v !== 'string') return err(400, 'VALIDATION_ERROR', `Property "${k}" must be a string`)
    }
    if (creating && !props.hs_timestamp) return err(400, 'VALIDATION_ERROR', 'hs_timestamp is required')
    if (props.hs_call_status && !CALL_STATUSES.has(String(props.hs_call_status)))
      return err(400, 'VALIDATION_ERROR', `${props.hs_call_status} is not a valid hs_call_status`)
    if (props.hs_call_direction && !['INBOUND', 'OUTBOUND'].includes(String(props.hs_call_direction)))
      return err(400, 'VALIDATION_ERROR', 'hs_call_direction must be INBOUND or OUTBOUND')
    for (const [name, def] of callPropertyDefs) {
      const v = props[name]
      if (!def.hasUniqueValue || v === undefined) continue
      const clash = byUnique(name, String(v))
      if (clash && clash.id !== selfId)
        return err(
          409,
          'CONFLICT',
          `A call with ${name}=${String(v)} already exists. Existing ID: ${clash.id}`,
        )
    }
    return null
  }

  const createCall = (input: { properties?: Record<string, string>; associations?: unknown[] }) => {
    const now = new Date().toISOString()
    const assoc = (input.associations ?? []) as {
      to: { id: string }
      types: { associationTypeId: number }[]
    }[]
    for (const a of assoc)
      if (!contacts.has(a.to.id))
        return { error: err(400, 'VALIDATION_ERROR', `No contact with ID ${a.to.id}`) }
    const o: HsObject = {
      id: String(nextId++),
      properties: { ...input.properties },
      createdAt: now,
      updatedAt: now,
      associations: assoc.map((a) => ({ toId: a.to.id, typeId: a.types[0]!.associationTypeId })),
    }
    calls.set(o.id, o)
    indexUnique(o)
    return { created: o }
  }

  const handle = (req: FakeRequest): FakeResponse => {
    const { method, path } = req
    // https://developers.hubspot.com/docs/api-reference/auth-oauth-v3/guide
    // https://developers.hubspot.com/docs/api-reference/latest/authentication/oauth-tokens/revoke-token
    // Deletes the refresh token only: access tokens already issued live until they expire.
    if (method === 'POST' && path === '/oauth/v3/token/revoke') {
      const f = new URLSearchParams(req.rawBody)
      if (f.get('client_id') !== clientId || f.get('client_secret') !== clientSecret)
        return err(400, 'VALIDATION_ERROR', 'missing or unknown client id')
      const token = f.get('token') ?? ''
      if (!refreshTokens.delete(token)) return err(400, 'VALIDATION_ERROR', 'unknown token')
      revoked.push(token)
      return { status: 204 }
    }
    if (method === 'POST' && path === '/oauth/v3/token') {
      const f = new URLSearchParams(req.rawBody)
      if (f.get('client_id') !== clientId || f.get('client_secret') !== clientSecret)
        return { status: 400, body: { status: 'BAD_CLIENT_ID', message: 'missing or unknown client id' } }
      const grant = f.get('grant_type')
      if (grant === 'authorization_code') {
        const code = f.get('code') ?? ''
        if (!codes.delete(code) || !f.get('redirect_uri'))
          return { status: 400, body: { status: 'BAD_AUTH_CODE', message: 'missing or unknown auth code' } }
      } else if (grant === 'refresh_token') {
        if (!refreshTokens.has(f.get('refresh_token') ?? ''))
          return {
            status: 400,
            body: { status: 'BAD_REFRESH_TOKEN', message: 'missing or unknown refresh token' },
          }
        const t = issueTokens()
        refreshTokens.delete(t.refreshToken) // HubSpot keeps the refresh token on a refresh.
        return {
          status: 200,
          body: {
            token_type: 'bearer',
            refresh_token: f.get('refresh_token'),
            access_token: t.accessToken,
            expires_in: 1800,
            hub_id: HUB_ID,
          },
        }
      } else {
        return { status: 400, body: { status: 'BAD_GRANT_TYPE', message: 'unknown grant type' } }
      }
      const t = issueTokens()
      return {
        status: 200,
        body: {
          token_type: 'bearer',
          refresh_token: t.refreshToken,
          access_token: t.accessToken,
          expires_in: 1800,
          hub_id: HUB_ID,
        },
      }
    }

    const auth = req.headers.authorization ?? ''
    if (!auth.startsWith('Bearer '))
      return err(401, 'INVALID_AUTHENTICATION', 'Authentication credentials not found.')
    if (!accessTokens.has(auth.slice(7)))
      return err(
        401,
        'EXPIRED_AUTHENTICATION',
        'The OAuth token used to make this call expired 0 second(s) ago.',
      )
    const limited = rateLimited(req)
    if (limited) return limited

    if (method === 'POST' && path === '/crm/v3/objects/contacts/search') {
      const body = parseJson(req) as {
        filterGroups?: {
          filters: { propertyName: string; operator: string; value?: string; values?: string[] }[]
        }[]
        properties?: string[]
        limit?: number
        after?: string
      }
      const groups = body.filterGroups ?? []
      const total = groups.reduce((n, g) => n + g.filters.length, 0)
      if (groups.length > 5 || groups.some((g) => g.filters.length > 6) || total > 18)
        return err(
          400,
          'VALIDATION_ERROR',
          'Too many filter groups or filters (max 5 groups, 6 filters each, 18 total)',
        )
      if (req.rawBody.length > 3000) return err(400, 'VALIDATION_ERROR', 'Request body too long')
      const hits = [...contacts.values()].filter(
        (c) =>
          groups.length === 0 ||
          groups.some((g) =>
            g.filters.every((f) => {
              const v = (propValue(c, f.propertyName) ?? '').toLowerCase()
              if (f.operator === 'EQ') return v === (f.value ?? '').toLowerCase()
              // IN: any of `values` (HubSpot wants string values lowercase).
              if (f.operator === 'IN') return (f.values ?? []).some((x) => v === x.toLowerCase())
              throw new Error(`fake supports EQ and IN only, got ${f.operator}`)
            }),
          ),
      )
      const after = Number(body.after ?? 0)
      const limit = Math.min(body.limit ?? 10, 200)
      const page = hits.slice(after, after + limit)
      return {
        status: 200,
        body: {
          total: hits.length,
          results: page.map((c) => objectJson(c, body.properties)),
          ...(after + limit < hits.length ? { paging: { next: { after: String(after + limit) } } } : {}),
        },
      }
    }

    if (method === 'POST' && path === '/crm/v3/objects/contacts') {
      const body = parseJson(req) as { properties: Record<string, string> }
      const id = addContact(body.properties)
      return { status: 201, body: objectJson(contacts.get(id)!) }
    }

    if (method === 'POST' && path === '/crm/v3/objects/calls') {
      const body = parseJson(req) as { properties: Record<string, string>; associations?: unknown[] }
      const invalid = validateCall(body.properties ?? {}, true)
      if (invalid) return invalid
      const r = createCall(body)
      if (r.error) return r.error
      return { status: 201, body: objectJson(r.created!) }
    }

    if (method === 'POST' && path === '/crm/v3/objects/calls/batch/create') {
      const body = parseJson(req) as {
        inputs: {
          properties: Record<string, string>
          associations?: unknown[]
          objectWriteTraceId?: string
        }[]
      }
      if (body.inputs.length > 100) return err(400, 'VALIDATION_ERROR', 'Batch inputs are limited to 100')
      const startedAt = new Date().toISOString()
      const results: unknown[] = []
      const errors: unknown[] = []
      for (const input of body.inputs) {
        const invalid = validateCall(input.properties ?? {}, true)
        const made = invalid ? null : createCall(input)
        const failed = invalid ?? made?.error
        if (failed) {
          const b = failed.body as { category: string; message: string }
          errors.push({
            status: String(failed.status),
            category: b.category,
            message: b.message,
            context: input.objectWriteTraceId ? { objectWriteTraceId: [input.objectWriteTraceId] } : {},
            errors: [],
            links: {},
          })
          continue
        }
        const created = made!.created!
        results.push({ ...objectJson(created), objectWriteTraceId: input.objectWriteTraceId })
      }
      const done = { status: 'COMPLETE', results, startedAt, completedAt: new Date().toISOString() }
      return errors.length === 0
        ? { status: 201, body: done }
        : { status: 207, body: { ...done, numErrors: errors.length, errors } }
    }

    const callMatch = path.match(/^\/crm\/v3\/objects\/calls\/([^/]+)$/)
    if (callMatch) {
      const key = decodeURIComponent(callMatch[1]!)
      const idProperty = req.query.get('idProperty')
      if (idProperty && !callPropertyDefs.get(idProperty)?.hasUniqueValue)
        return err(400, 'VALIDATION_ERROR', `${idProperty} is not a unique identifier property`)
      const found = idProperty ? byUnique(idProperty, key) : calls.get(key)
      if (!found) return err(404, 'OBJECT_NOT_FOUND', 'Object not found.  objectId are usually numeric.')
      if (method === 'GET')
        return { status: 200, body: objectJson(found, req.query.get('properties')?.split(',')) }
      if (method === 'PATCH') {
        const body = parseJson(req) as { properties: Record<string, string> }
        const invalid = validateCall(body.properties ?? {}, false, found.id)
        if (invalid) return invalid
        Object.assign(found.properties, body.properties)
        indexUnique(found)
        found.updatedAt = new Date().toISOString()
        return { status: 200, body: objectJson(found) }
      }
    }

    if (path === '/crm/v3/properties/calls' && method === 'POST') {
      const body = parseJson(req) as {
        name: string
        type: string
        fieldType: string
        groupName: string
        label: string
        hasUniqueValue?: boolean
      }
      if (!body.name || !body.type || !body.fieldType || !body.groupName || !body.label)
        return err(400, 'VALIDATION_ERROR', 'name, label, type, fieldType and groupName are required')
      if (callPropertyDefs.has(body.name))
        return err(409, 'OBJECT_ALREADY_EXISTS', `A property named '${body.name}' already exists.`)
      callPropertyDefs.set(body.name, { hasUniqueValue: body.hasUniqueValue === true })
      return {
        status: 201,
        body: {
          ...body,
          hidden: false,
          modificationMetadata: { archivable: true, readOnlyDefinition: false, readOnlyValue: false },
        },
      }
    }
    const propMatch = path.match(/^\/crm\/v3\/properties\/calls\/([^/]+)$/)
    if (propMatch && method === 'GET') {
      const def = callPropertyDefs.get(propMatch[1]!)
      if (!def) return err(404, 'OBJECT_NOT_FOUND', `Unable to find property ${propMatch[1]}`)
      return {
        status: 200,
        body: {
          name: propMatch[1],
          label: propMatch[1],
          type: 'string',
          fieldType: 'text',
          groupName: 'callinformation',
          hasUniqueValue: def.hasUniqueValue,
        },
      }
    }

    // https://developers.hubspot.com/docs/api-reference/crm-owners-v3/guide
    const ownerById = method === 'GET' ? path.match(/^\/crm\/v3\/owners\/(\d+)$/) : null
    if (ownerById) {
      const o = owners.find((x) => x.id === ownerById[1])
      if (!o) return err(404, 'OBJECT_NOT_FOUND', `Owner ${ownerById[1]} not found`)
      const now = new Date().toISOString()
      return {
        status: 200,
        body: {
          id: o.id,
          email: o.email,
          firstName: o.firstName ?? '',
          lastName: o.lastName ?? '',
          userId: Number(o.id),
          createdAt: now,
          updatedAt: now,
          archived: false,
        },
      }
    }

    if (method === 'GET' && path === '/crm/v3/owners/') {
      const email = req.query.get('email')
      const list = owners.filter((o) => !email || o.email.toLowerCase() === email.toLowerCase())
      return {
        status: 200,
        body: {
          results: list.map((o) => ({
            id: o.id,
            email: o.email,
            firstName: o.firstName ?? '',
            lastName: o.lastName ?? '',
            userId: Number(o.id),
            createdAt: new Date().toISOString(),
            updatedAt: new Date().toISOString(),
            archived: false,
          })),
        },
      }
    }

    return err(404, 'NOT_FOUND', `No route ${method} ${path}`)
  }

  /**
   * HubSpot's 429s: the burst limit's (TEN_SECONDLY_ROLLING, with the X-HubSpot-RateLimit-*
   * headers, no Retry-After) and search's "secondly" one (no rate-limit headers at all).
   */
  function rateLimited(req: FakeRequest): FakeResponse | null {
    const search = req.method === 'POST' && req.path.endsWith('/search')
    if (search) {
      const wait = secondly?.take() ?? null
      if (wait === null) return null
      return {
        status: 429,
        body: {
          status: 'error',
          message: 'You have reached your secondly limit.',
          errorType: 'RATE_LIMIT',
          correlationId: randomUUID(),
        },
      }
    }
    const wait = burst?.take() ?? null
    if (wait === null) return null
    return {
      status: 429,
      headers: burstHeaders(),
      body: {
        status: 'error',
        message: 'You have reached your ten_secondly_rolling limit.',
        errorType: 'RATE_LIMIT',
        correlationId: randomUUID(),
        policyName: 'TEN_SECONDLY_ROLLING',
      },
    }
  }
  const burstHeaders = (): Record<string, string> =>
    burst
      ? {
          'x-hubspot-ratelimit-interval-milliseconds': String(burst.limit.windowMs),
          'x-hubspot-ratelimit-max': String(burst.limit.requests),
          'x-hubspot-ratelimit-remaining': String(Math.max(0, burst.limit.requests - burst.used())),
        }
      : {}

  function addContact(p: Record<string, string>, updatedAt?: string) {
    const now = updatedAt ?? new Date().toISOString()
    const id = String(nextId++)
    contacts.set(id, { id, properties: { ...p }, createdAt: now, updatedAt: now, associations: [] })
    return id
  }

  const server = await startFakeServer((req) => {
    const out = handle(req)
    // Counted responses carry the burst limit's headers (search's carry none).
    if (!burst || req.path.startsWith('/oauth/') || req.path.endsWith('/search') || out.status === 429)
      return out
    return { ...out, headers: { ...burstHeaders(), ...out.headers } }
  })
  return Object.assign(server, {
    rateStats: burst?.stats ?? { requests: 0, limited: 0 },
    searchRateStats: secondly?.stats ?? { requests: 0, limited: 0 },
    contacts,
    calls,
    callPropertyDefs,
    addContact,
    addOwner: (o: { id: string; email: string; firstName?: string; lastName?: string }) =>
      void owners.push(o),
    grantCode: (code: string) => void codes.add(code),
    issueTokens,
    expireAccessTokens: () => accessTokens.clear(),
    revokeRefreshTokens: () => refreshTokens.clear(),
    revoked,
  })
}
