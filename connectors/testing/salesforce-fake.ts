import { createHash, randomUUID } from 'node:crypto'
import { createRateWindow, type RateLimitOption, type RateStats } from './rate-window.ts'
import { type FakeRequest, type FakeResponse, type FakeServer, parseJson, startFakeServer } from './server.ts'

/**
 * A stateful Salesforce org on loopback: OAuth web-server flow (with refresh-token rotation),
 * REST under /services/data/v<version>/ (SOSL search, SOQL on Task.CallObject and User.Email,
 * sObject create/update/read/describe, sObject Collections), Salesforce's error arrays
 * `[{message, errorCode}]` and the `Sforce-Limit-Info` header.
 */

type SObject = Record<string, unknown> & { Id: string; LastModifiedDate: string; CreatedDate: string }

const PREFIX: Record<string, string> = {
  Contact: '003',
  Lead: '00Q',
  Account: '001',
  Task: '00T',
  User: '005',
}

const FIELDS: Record<string, string[]> = {
  Contact: [
    'FirstName',
    'LastName',
    'Name',
    'Phone',
    'MobilePhone',
    'HomePhone',
    'OtherPhone',
    'AssistantPhone',
    'Email',
    'AccountId',
    'OwnerId',
  ],
  Lead: [
    'FirstName',
    'LastName',
    'Name',
    'Phone',
    'MobilePhone',
    'Email',
    'Company',
    'IsConverted',
    'LeadSource',
    'OwnerId',
  ],
  Account: ['Name', 'Phone', 'OwnerId'],
  Task: [
    'Subject',
    'Type',
    'TaskSubtype',
    'CallType',
    'CallDurationInSeconds',
    'CallDisposition',
    'CallObject',
    'Description',
    'WhoId',
    'WhatId',
    'ActivityDate',
    'Status',
    'Priority',
    'OwnerId',
  ],
  User: ['Email', 'IsActive', 'Name'],
}
const PHONE_FIELDS = ['Phone', 'MobilePhone', 'HomePhone', 'OtherPhone', 'AssistantPhone']
const REQUIRED: Record<string, string[]> = {
  Contact: ['LastName'],
  Lead: ['LastName', 'Company'],
  Account: ['Name'],
  Task: ['Status'],
}

const sfErr = (status: number, errorCode: string, message: string, fields?: string[]): FakeResponse => ({
  status,
  body: [{ message, errorCode, ...(fields ? { fields } : {}) }],
})

export type SalesforceFake = FakeServer & {
  records: Map<string, SObject & { type: string }>
  add(type: string, fields: Record<string, unknown>, lastModified?: string): string
  /**
   * Grants a code (the user approved the app). With `codeChallenge` (PKCE, S256), the exchange
   * must send the `code_verifier` whose SHA-256 is that challenge.
   */
  grantCode(code: string, opts?: { codeChallenge?: string }): void
  issueTokens(): { accessToken: string; refreshToken: string; instanceUrl: string }
  expireSessions(): void
  revokeRefreshTokens(): void
  /** Refresh-token rotation (an External Client App setting): each refresh revokes the token used. */
  rotateRefreshTokens: boolean
  /** An org without Salesforce CRM Call Center: Task has no call fields. */
  callCenter: boolean
  tasks(): (SObject & { type: string })[]
  /** Tokens revoked through POST /services/oauth2/revoke, in order. */
  revoked: string[]
  /** REST requests counted against the org's allocation, and those refused (zeros without one). */
  rateStats: RateStats
}

export type SalesforceFakeOptions = {
  version?: string
  /**
   * The org's API request allocation, enforced: a rolling 24 h window of 100,000 + per-licence
   * adders on a real org. Past it, REST answers 403 `REQUEST_LIMIT_EXCEEDED` (Salesforce sends
   * no 429 and no Retry-After on the REST core); `Sforce-Limit-Info` counts the usage.
   * https://developer.salesforce.com/docs/atlas.en-us.salesforce_app_limits_cheatsheet.meta/salesforce_app_limits_cheatsheet/salesforce_app_limits_platform_api.htm
   */
  dailyLimit?: RateLimitOption
  clientId?: string
  clientSecret?: string
}

/** A Salesforce org's base daily allocation (without per-licence adders). */
export const SALESFORCE_BASE_ALLOCATION = { requests: 100_000, windowMs: 24 * 3600_000 } as const

export async function startSalesforceFake(opts: SalesforceFakeOptions = {}): Promise<SalesforceFake> {
  const version = opts.version ?? '67.0'
  const clientId = opts.clientId ?? 'sf-client'
  const clientSecret = opts.clientSecret ?? 'sf-secret'
  const allocation = opts.dailyLimit ? createRateWindow(opts.dailyLimit) : null
  const records = new Map<string, SObject & { type: string }>()
  /** Code → its PKCE challenge ('' without PKCE). */
  const codes = new Map<string, string>()
  const revoked: string[] = []
  /** Refresh token → the sessions issued from it (a revoke of the refresh token ends them). */
  const sessionsOf = new Map<string, Set<string>>()
  const sessions = new Set<string>()
  const refreshTokens = new Set<string>()
  let seq = 1
  let url = ''
  const ORG = '00D000000000001AAA'
  const state = { rotateRefreshTokens: false, callCenter: true }

  const newId = (type: string) => `${PREFIX[type] ?? '0XX'}${String(seq++).padStart(12, '0')}AAA`
  const issueTokens = () => {
    const accessToken = `${ORG}!${randomUUID()}`
    const refreshToken = `5Aep${randomUUID().replaceAll('-', '')}`
    sessions.add(accessToken)
    refreshTokens.add(refreshToken)
    sessionsOf.set(refreshToken, new Set([accessToken]))
    return { accessToken, refreshToken, instanceUrl: url }
  }
  const tokenBody = (accessToken: string, refreshToken?: string) => ({
    access_token: accessToken,
    ...(refreshToken ? { refresh_token: refreshToken } : {}),
    signature: 'sig',
    scope: 'refresh_token api',
    instance_url: url,
    id: `${url}/id/${ORG}/005000000000001AAA`,
    token_type: 'Bearer',
    issued_at: String(Date.now()),
  })

  const add = (type: string, fields: Record<string, unknown>, lastModified?: string) => {
    const Id = newId(type)
    const now = lastModified ?? new Date().toISOString()
    const r = { ...fields, Id, type, CreatedDate: now, LastModifiedDate: now } as SObject & { type: string }
    if (type === 'Contact' || type === 'Lead')
      r.Name = [fields.FirstName, fields.LastName].filter(Boolean).join(' ')
    if (type === 'Lead' && r.IsConverted === undefined) r.IsConverted = false
    records.set(Id, r)
    return Id
  }

  const taskFields = () =>
    state.callCenter ? FIELDS.Task! : FIELDS.Task!.filter((f) => !f.startsWith('Call') && f !== 'TaskSubtype')

  /** Checks a create/update body as Salesforce would; returns an error response or null. */
  const validate = (type: string, body: Record<string, unknown>, creating: boolean): FakeResponse | null => {
    const known = type === 'Task' ? taskFields() : (FIELDS[type] ?? [])
    for (const k of Object.keys(body)) {
      if (k === 'attributes') continue
      if (!known.includes(k) || (k === 'Name' && type !== 'Account'))
        return sfErr(400, 'INVALID_FIELD', `No such column '${k}' on sobject of type ${type}`)
    }
    if (!creating && type === 'Task' && 'TaskSubtype' in body)
      return sfErr(
        400,
        'INVALID_FIELD_FOR_INSERT_UPDATE',
        'Unable to create/update fields: TaskSubtype. Please check the security settings of this field and verify that it is read/write for your profile or permission set.',
        ['TaskSubtype'],
      )
    if (creating)
      for (const f of REQUIRED[type] ?? [])
        if (body[f] === undefined || body[f] === '')
          return sfErr(400, 'REQUIRED_FIELD_MISSING', `Required fields are missing: [${f}]`, [f])
    if (type === 'Task') {
      if (body.CallType !== undefined && !['Inbound', 'Outbound', 'Internal'].includes(String(body.CallType)))
        return sfErr(
          400,
          'INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST',
          `bad value for restricted picklist field: ${body.CallType}`,
          ['CallType'],
        )
      const who = body.WhoId ? records.get(String(body.WhoId)) : null
      if (body.WhoId && (!who || !['Contact', 'Lead'].includes(who.type)))
        return sfErr(400, 'INVALID_CROSS_REFERENCE_KEY', 'invalid cross reference id', ['WhoId'])
      if (who?.type === 'Lead' && body.WhatId)
        return sfErr(
          400,
          'FIELD_INTEGRITY_EXCEPTION',
          "Related To ID: You can't associate a lead with a related record",
          ['WhatId'],
        )
    }
    return null
  }

  const create = (type: string, body: Record<string, unknown>) => {
    const invalid = validate(type, body, true)
    if (invalid) return { invalid }
    const { attributes: _a, ...fields } = body
    return { id: add(type, fields) }
  }

  const handle = (req: FakeRequest): FakeResponse => {
    const { method, path } = req
    if (method === 'POST' && path === '/services/oauth2/token') {
      const f = new URLSearchParams(req.rawBody)
      if (f.get('client_id') !== clientId || f.get('client_secret') !== clientSecret)
        return {
          status: 400,
          body: { error: 'invalid_client_id', error_description: 'client identifier invalid' },
        }
      if (f.get('grant_type') === 'authorization_code') {
        const code = f.get('code') ?? ''
        const challenge = codes.get(code)
        if (!codes.delete(code) || !f.get('redirect_uri'))
          return {
            status: 400,
            body: { error: 'invalid_grant', error_description: 'invalid authorization code' },
          }
        // PKCE: https://help.salesforce.com/s/articleView?id=xcloud.remoteaccess_pkce.htm
        if (challenge) {
          const verifier = f.get('code_verifier') ?? ''
          if (createHash('sha256').update(verifier).digest('base64url') !== challenge)
            return {
              status: 400,
              body: { error: 'invalid_grant', error_description: 'invalid code verifier' },
            }
        }
        const t = issueTokens()
        return { status: 200, body: tokenBody(t.accessToken, t.refreshToken) }
      }
      if (f.get('grant_type') === 'refresh_token') {
        const used = f.get('refresh_token') ?? ''
        if (!refreshTokens.has(used))
          return {
            status: 400,
            body: { error: 'invalid_grant', error_description: 'expired access/authentication token' },
          }
        const t = issueTokens()
        refreshTokens.delete(t.refreshToken)
        sessionsOf.delete(t.refreshToken)
        const family = sessionsOf.get(used) ?? new Set<string>()
        family.add(t.accessToken)
        if (!state.rotateRefreshTokens) {
          sessionsOf.set(used, family)
          return { status: 200, body: tokenBody(t.accessToken) }
        }
        refreshTokens.delete(used)
        sessionsOf.delete(used)
        const rotated = `5Aep${randomUUID().replaceAll('-', '')}`
        refreshTokens.add(rotated)
        sessionsOf.set(rotated, family)
        return { status: 200, body: tokenBody(t.accessToken, rotated) }
      }
      return {
        status: 400,
        body: { error: 'unsupported_grant_type', error_description: 'grant type not supported' },
      }
    }

    // Revoking a refresh token ends every session issued from it; an access token, just itself.
    if (method === 'POST' && path === '/services/oauth2/revoke') {
      const token = new URLSearchParams(req.rawBody).get('token') ?? ''
      if (refreshTokens.delete(token)) {
        for (const s of sessionsOf.get(token) ?? []) sessions.delete(s)
        sessionsOf.delete(token)
      } else if (!sessions.delete(token)) {
        return { status: 400, body: { error: 'invalid_token', error_description: 'invalid token' } }
      }
      revoked.push(token)
      return { status: 200 }
    }

    const m = path.match(/^\/services\/data\/v(\d+\.\d)(\/.*)$/)
    if (!m)
      return {
        status: 404,
        body: [{ errorCode: 'NOT_FOUND', message: 'The requested resource does not exist' }],
      }
    if (m[1] !== version)
      return sfErr(404, 'NOT_FOUND', `API version ${m[1]} is not the one this fake serves`)
    const rest = m[2]!
    const auth = req.headers.authorization ?? ''
    if (!sessions.has(auth.replace(/^Bearer /, '')))
      return sfErr(401, 'INVALID_SESSION_ID', 'Session expired or invalid')
    if (allocation && allocation.take() !== null)
      return sfErr(403, 'REQUEST_LIMIT_EXCEEDED', 'TotalRequests Limit exceeded.')

    if (method === 'GET' && rest === '/search') {
      const q = req.query.get('q') ?? ''
      const find = q.match(/^FIND \{((?:\\.|[^}\\])*)\} IN PHONE FIELDS RETURNING (.*)$/s)
      if (!find) return sfErr(400, 'MALFORMED_SEARCH', `unexpected token in: ${q.slice(0, 60)}`)
      // An unescaped reserved character is an operator: '+1 415' would not parse as a number.
      if (/(?<!\\)[+\-&|!()^~*?:"']/.test(find[1]!))
        return sfErr(400, 'MALFORMED_SEARCH', `line 1:6 mismatched character '${find[1]}'`)
      // Terms joined by OR match any of them (SOSL's boolean operator).
      const terms = find[1]!.split(/ OR /).map((t) => t.trim().replace(/\\(.)/g, '$1'))
      const wanted = [...find[2]!.matchAll(/(\w+)\(([^)]*)\)/g)].map((x) => ({
        type: x[1]!,
        fields: x[2]!.split(',').map((s) => s.trim()),
      }))
      const searchRecords = []
      for (const w of wanted)
        for (const r of records.values()) {
          if (r.type !== w.type) continue
          const hit = PHONE_FIELDS.some((f) => {
            const digits = String(r[f] ?? '').replace(/\D/g, '')
            return terms.some((term) => digits.includes(term))
          })
          if (!hit) continue
          const out: Record<string, unknown> = {
            attributes: { type: r.type, url: `/services/data/v${version}/sobjects/${r.type}/${r.Id}` },
          }
          for (const f of w.fields) {
            // A relationship field (`Owner.Name`) is the related record, nested, or null.
            const [rel, sub] = f.split('.')
            if (sub) {
              const related = records.get(String(r[`${rel}Id`] ?? ''))
              out[rel!] = related ? { attributes: { type: related.type }, [sub]: related[sub] ?? null } : null
            } else out[f] = r[f] ?? null
          }
          searchRecords.push(out)
        }
      return { status: 200, body: { searchRecords } }
    }

    if (method === 'GET' && rest === '/query') {
      const q = req.query.get('q') ?? ''
      const byRef = q.match(
        /^SELECT Id FROM Task WHERE CallObject = '((?:\\.|[^'\\])*)' ORDER BY CreatedDate ASC LIMIT 1$/,
      )
      const byEmail = q.match(
        /^SELECT Id FROM User WHERE Email = '((?:\\.|[^'\\])*)' AND IsActive = true LIMIT 1$/,
      )
      let hits: SObject[] = []
      if (byRef) {
        const ref = byRef[1]!.replace(/\\(.)/g, '$1')
        hits = [...records.values()].filter((r) => r.type === 'Task' && r.CallObject === ref).slice(0, 1)
      } else if (byEmail) {
        const email = byEmail[1]!.replace(/\\(.)/g, '$1').toLowerCase()
        hits = [...records.values()]
          .filter((r) => r.type === 'User' && String(r.Email).toLowerCase() === email && r.IsActive)
          .slice(0, 1)
      } else return sfErr(400, 'MALFORMED_QUERY', `fake does not understand: ${q}`)
      return {
        status: 200,
        body: {
          totalSize: hits.length,
          done: true,
          records: hits.map((r) => ({
            attributes: { type: r.type, url: `/services/data/v${version}/sobjects/${r.type}/${r.Id}` },
            Id: r.Id,
          })),
        },
      }
    }

    if (method === 'POST' && rest === '/composite/sobjects') {
      const body = parseJson(req) as { allOrNone?: boolean; records: Record<string, unknown>[] }
      if (body.records.length > 200)
        return sfErr(
          400,
          'EXCEEDED_ID_LIMIT',
          'record limit reached. cannot submit more than 200 records into this call',
        )
      const results = body.records.map((r) => {
        const type = (r.attributes as { type: string }).type
        const out = create(type, r)
        if (out.invalid) {
          const e = (out.invalid.body as { errorCode: string; message: string; fields?: string[] }[])[0]!
          return {
            success: false,
            errors: [{ statusCode: e.errorCode, message: e.message, fields: e.fields ?? [] }],
          }
        }
        return { id: out.id, success: true, errors: [] }
      })
      return { status: 200, body: results }
    }

    if (rest === '/sobjects/Task/describe' && method === 'GET')
      return {
        status: 200,
        body: {
          name: 'Task',
          fields: ['Id', ...taskFields()].map((name) => ({
            name,
            createable: name !== 'Id',
            updateable: name !== 'Id' && name !== 'TaskSubtype',
          })),
        },
      }

    const so = rest.match(/^\/sobjects\/(\w+)(?:\/([\w]+))?$/)
    if (so) {
      const [, type, id] = so
      if (!FIELDS[type!]) return sfErr(404, 'NOT_FOUND', `The requested resource does not exist`)
      if (!id && method === 'POST') {
        const out = create(type!, parseJson(req) as Record<string, unknown>)
        if (out.invalid) return out.invalid
        return { status: 201, body: { id: out.id, success: true, errors: [] } }
      }
      const r = id ? records.get(id) : undefined
      if (!r || r.type !== type)
        return sfErr(
          404,
          'NOT_FOUND',
          `Provided external ID field does not exist or is not accessible: ${id}`,
        )
      if (method === 'GET') {
        const fields = req.query.get('fields')?.split(',')
        const out: Record<string, unknown> = {
          attributes: { type, url: `/services/data/v${version}/sobjects/${type}/${r.Id}` },
          Id: r.Id,
        }
        for (const [k, v] of Object.entries(r))
          if (k !== 'type' && (!fields || fields.includes(k))) out[k] = v
        return { status: 200, body: out }
      }
      if (method === 'PATCH') {
        const body = parseJson(req) as Record<string, unknown>
        const invalid = validate(type!, { ...body }, false)
        if (invalid) return invalid
        Object.assign(r, body, { LastModifiedDate: new Date().toISOString() })
        return { status: 204 }
      }
    }
    return sfErr(404, 'NOT_FOUND', 'The requested resource does not exist')
  }

  const server = await startFakeServer(async (req) => {
    const res = handle(req)
    const usage = allocation
      ? `api-usage=${allocation.used()}/${allocation.limit.requests}`
      : 'api-usage=18/15000'
    return { ...res, headers: { 'sforce-limit-info': usage, ...res.headers } }
  })
  url = server.url
  const fake = Object.assign(server, {
    records,
    add,
    grantCode: (code: string, o: { codeChallenge?: string } = {}) =>
      void codes.set(code, o.codeChallenge ?? ''),
    issueTokens,
    expireSessions: () => sessions.clear(),
    revokeRefreshTokens: () => refreshTokens.clear(),
    tasks: () => [...records.values()].filter((r) => r.type === 'Task'),
    revoked,
    rateStats: allocation?.stats ?? { requests: 0, limited: 0 },
  })
  // Accessors, not copies: tests flip these on the live fake.
  return Object.defineProperties(fake, {
    rotateRefreshTokens: {
      get: () => state.rotateRefreshTokens,
      set: (v: boolean) => {
        state.rotateRefreshTokens = v
      },
    },
    callCenter: {
      get: () => state.callCenter,
      set: (v: boolean) => {
        state.callCenter = v
      },
    },
  }) as SalesforceFake
}
