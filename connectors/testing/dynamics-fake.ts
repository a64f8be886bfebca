import { createHash, randomUUID } from 'node:crypto'
import type { RateStats } from './rate-window.ts'
import { type FakeRequest, type FakeResponse, type FakeServer, parseJson, startFakeServer } from './server.ts'

/**
 * A stateful Dynamics 365 org (Dataverse Web API v9.2) and its Microsoft Entra tenant on
 * loopback, faithful where the clients and our connector depend on it:
 * - Entra v2: an authorize endpoint that approves at once (redirect to redirect_uri with code and
 *   state; `autoApprove = false` answers access_denied), a token endpoint for authorization_code
 *   (PKCE S256 checked) and refresh_token (a new refresh token each time), Entra's error bodies.
 * - Web API: create → 204 + `OData-EntityId`, update → 204, `If-Match: *` on a missing row → 412
 *   (an update without it upserts), GET → 200 `{value: […]}`, a small OData `$filter` (eq, ne,
 *   and, or, not, endswith/startswith/contains; strings compared case-insensitively; a `+` that
 *   was not sent as %2B arrives as a space), `$select`/`$orderby`/`$top`, errors as
 *   `{error:{code,message}}`, 401 for a missing, expired or other-resource token.
 * - Phonecall rules: `statecode` is not valid for create; completed and canceled phonecalls are
 *   read-only except for their state; state/status pairs are checked.
 * - Service protection: N requests per user per sliding window (6000 / 300 s by default,
 *   injectable) → 429 with `Retry-After` and error 0x80072322.
 * Tests (and the hub's sandbox Dynamics) read what was written through `rows` / `phonecalls()`.
 */

export type Table = 'contacts' | 'leads' | 'accounts' | 'phonecalls' | 'systemusers'
export type Row = Record<string, unknown> & { createdon: string; modifiedon: string }
export type Party = { participationtypemask: number; partyType: string; partyId: string }

const KEY: Record<Table, string> = {
  contacts: 'contactid',
  leads: 'leadid',
  accounts: 'accountid',
  phonecalls: 'activityid',
  systemusers: 'systemuserid',
}
const ENTITY: Record<Table, string> = {
  contacts: 'contact',
  leads: 'lead',
  accounts: 'account',
  phonecalls: 'phonecall',
  systemusers: 'systemuser',
}
const PHONES = ['telephone1', 'telephone2', 'telephone3', 'mobilephone']
const COMMON = ['createdon', 'modifiedon', 'statecode', 'statuscode']
/** Columns per table: what $select/$filter may name and what create/update may write. */
const COLUMNS: Record<Table, string[]> = {
  contacts: ['firstname', 'lastname', 'fullname', 'emailaddress1', ...PHONES, '_parentcustomerid_value'],
  leads: ['firstname', 'lastname', 'fullname', 'subject', 'companyname', 'emailaddress1', ...PHONES],
  accounts: ['name', 'emailaddress1', ...PHONES.slice(0, 3)],
  phonecalls: [
    'subject',
    'description',
    'phonenumber',
    'directioncode',
    'actualstart',
    'actualend',
    'actualdurationminutes',
    'leftvoicemail',
    'subcategory',
    'category',
    '_regardingobjectid_value',
  ],
  systemusers: ['internalemailaddress', 'fullname', 'isdisabled'],
}
const READ_ONLY = new Set([
  'fullname',
  'createdon',
  'modifiedon',
  '_parentcustomerid_value',
  '_regardingobjectid_value',
])
const REQUIRED: Record<Table, string[]> = {
  contacts: ['lastname'],
  leads: ['lastname', 'subject'],
  accounts: ['name'],
  phonecalls: ['subject'],
  systemusers: [],
}
/** Valid statecode → statuscodes per table (phonecall: Open 1; Completed 2 Made, 4 Received; Canceled 3). */
const STATES: Partial<Record<Table, Record<number, number[]>>> = {
  phonecalls: { 0: [1], 1: [2, 4], 2: [3] },
  contacts: { 0: [1], 1: [2] },
  leads: { 0: [1, 2], 1: [3], 2: [4, 5, 6, 7] },
  accounts: { 0: [1], 1: [2] },
}
const DEFAULT_STATUS: Record<number, number> = { 0: 1 }
const SETS: Record<string, Table> = {
  contacts: 'contacts',
  leads: 'leads',
  accounts: 'accounts',
  systemusers: 'systemusers',
}

const err = (
  status: number,
  code: string,
  message: string,
  headers?: Record<string, string>,
): FakeResponse => ({
  status,
  headers,
  body: { error: { code, message } },
})
const entraErr = (status: number, error: string, description: string): FakeResponse => ({
  status,
  body: {
    error,
    error_description: description,
    error_codes: [Number(description.match(/AADSTS(\d+)/)?.[1] ?? 0)],
    timestamp: new Date().toISOString(),
    trace_id: randomUUID(),
    correlation_id: randomUUID(),
  },
})

// ---- A small OData $filter parser: enough for what connectors send, strict about the rest. ----

type Tok = { t: 'id' | 'str' | 'num' | 'op' | 'p'; v: string }
type Expr =
  | { k: 'or' | 'and'; a: Expr; b: Expr }
  | { k: 'not'; a: Expr }
  | { k: 'cmp'; op: 'eq' | 'ne'; field: string; value: unknown }
  | { k: 'fn'; fn: 'endswith' | 'startswith' | 'contains'; field: string; value: string }

class FilterError extends Error {}

function tokenize(s: string): Tok[] {
  const out: Tok[] = []
  let i = 0
  while (i < s.length) {
    const c = s[i]!
    if (c === ' ') i++
    else if (c === '(' || c === ')' || c === ',') out.push({ t: 'p', v: s[i++]! })
    else if (c === "'") {
      let v = ''
      i++
      for (;;) {
        if (i >= s.length) throw new FilterError('unterminated string literal')
        if (s[i] === "'" && s[i + 1] === "'") {
          v += "'"
          i += 2
        } else if (s[i] === "'") {
          i++
          break
        } else v += s[i++]
      }
      out.push({ t: 'str', v })
    } else {
      const m = s.slice(i).match(/^[\w.-]+/)
      if (!m) throw new FilterError(`Syntax error at position ${i} in '${s}'`)
      const w = m[0]
      i += w.length
      if (/^-?\d+(\.\d+)?$/.test(w)) out.push({ t: 'num', v: w })
      else if (['eq', 'ne', 'and', 'or', 'not'].includes(w)) out.push({ t: 'op', v: w })
      else out.push({ t: 'id', v: w })
    }
  }
  return out
}

function parseFilter(s: string): Expr {
  const toks = tokenize(s)
  let p = 0
  const peek = () => toks[p]
  const take = (t?: Tok['t'], v?: string) => {
    const x = toks[p]
    if (!x || (t && x.t !== t) || (v && x.v !== v)) throw new FilterError(`Syntax error in '${s}'`)
    p++
    return x
  }
  const literal = (): unknown => {
    const x = take()
    if (x.t === 'str') return x.v
    if (x.t === 'num') return Number(x.v)
    if (x.t === 'id' && (x.v === 'true' || x.v === 'false')) return x.v === 'true'
    if (x.t === 'id' && x.v === 'null') return null
    throw new FilterError(`Syntax error in '${s}': ${x.v} is not a literal`)
  }
  const primary = (): Expr => {
    const x = peek()
    if (x?.t === 'p' && x.v === '(') {
      take()
      const e = or()
      take('p', ')')
      return e
    }
    if (x?.t === 'op' && x.v === 'not') {
      take()
      return { k: 'not', a: primary() }
    }
    const id = take('id').v
    if (id === 'endswith' || id === 'startswith' || id === 'contains') {
      take('p', '(')
      const field = take('id').v
      take('p', ',')
      const value = take('str').v
      take('p', ')')
      return { k: 'fn', fn: id, field, value }
    }
    const op = take('op').v
    if (op !== 'eq' && op !== 'ne') throw new FilterError(`Syntax error in '${s}'`)
    return { k: 'cmp', op, field: id, value: literal() }
  }
  const and = (): Expr => {
    let e = primary()
    while (peek()?.t === 'op' && peek()!.v === 'and') {
      take()
      e = { k: 'and', a: e, b: primary() }
    }
    return e
  }
  const or = (): Expr => {
    let e = and()
    while (peek()?.t === 'op' && peek()!.v === 'or') {
      take()
      e = { k: 'or', a: e, b: and() }
    }
    return e
  }
  const e = or()
  if (p !== toks.length) throw new FilterError(`Syntax error in '${s}'`)
  return e
}

function fieldsOf(e: Expr): string[] {
  if (e.k === 'not') return fieldsOf(e.a)
  if (e.k === 'cmp' || e.k === 'fn') return [e.field]
  return [...fieldsOf(e.a), ...fieldsOf(e.b)]
}

const lower = (v: unknown) => (typeof v === 'string' ? v.toLowerCase() : v)
function evaluate(e: Expr, row: Row): boolean {
  switch (e.k) {
    case 'or':
      return evaluate(e.a, row) || evaluate(e.b, row)
    case 'and':
      return evaluate(e.a, row) && evaluate(e.b, row)
    case 'not':
      return !evaluate(e.a, row)
    case 'cmp': {
      const same = lower(row[e.field] ?? null) === lower(e.value)
      return e.op === 'eq' ? same : !same
    }
    case 'fn': {
      const v = row[e.field]
      if (typeof v !== 'string') return false
      const a = v.toLowerCase()
      const b = e.value.toLowerCase()
      return e.fn === 'endswith' ? a.endsWith(b) : e.fn === 'startswith' ? a.startsWith(b) : a.includes(b)
    }
  }
}

// ---- The fake ----

export type DynamicsFake = FakeServer & {
  /** The org URL (this server): what a connection's `instanceUrl` is. */
  orgUrl: string
  organizationId: string
  /** The user the tokens belong to (WhoAmI's UserId). */
  userId: string
  rows: Record<Table, Map<string, Row>>
  add(table: Table, fields: Record<string, unknown>, opts?: { modifiedon?: string }): string
  phonecalls(): (Row & { parties: Party[] })[]
  /**
   * Grants a code as the authorize endpoint does when an admin consents, for this org's
   * resource (`<orgUrl>/.default`): the exchange must send the same `redirectUri` and, with
   * `codeChallenge` (PKCE, S256), the verifier whose SHA-256 it is. The hub's sandbox consent
   * page stands in for the authorize endpoint this way.
   */
  grantCode(code: string, opts: { redirectUri: string; codeChallenge?: string }): void
  /** Tokens as if a person had just signed in (for tests that start connected). */
  issueTokens(): { accessToken: string; refreshToken: string; expiresIn: number }
  expireAccessTokens(): void
  revokeRefreshTokens(): void
  /** Whether the authorize endpoint approves (a signed-in admin who consents) or refuses. */
  autoApprove: boolean
  /** Service-protection limit per user over the sliding window. */
  limits: { requests: number; windowMs: number }
  /** Web API requests counted against the limit, and those refused with 429. */
  rateStats: RateStats
}

export type DynamicsFakeOptions = {
  clientId?: string
  clientSecret?: string
  /** Requests per user per window (default 6000). */
  requestLimit?: number
  /** The sliding window in ms (default 300 000). */
  windowMs?: number
  /** The fake's clock (Unix ms), for token lifetimes and the limit window. */
  now?: () => number
}

export async function startDynamicsFake(opts: DynamicsFakeOptions = {}): Promise<DynamicsFake> {
  const clientId = opts.clientId ?? 'dyn-client'
  const clientSecret = opts.clientSecret ?? 'dyn-secret'
  const now = opts.now ?? Date.now
  const limits = { requests: opts.requestLimit ?? 6000, windowMs: opts.windowMs ?? 300_000 }
  const rateStats: RateStats = { requests: 0, limited: 0 }
  const state = { autoApprove: true }
  const organizationId = randomUUID()
  const userId = randomUUID()
  const tenantId = randomUUID()
  const rows: Record<Table, Map<string, Row>> = {
    contacts: new Map(),
    leads: new Map(),
    accounts: new Map(),
    phonecalls: new Map(),
    systemusers: new Map(),
  }
  const parties = new Map<string, Party[]>()
  const codes = new Map<string, { redirectUri: string; scope: string; challenge: string | null }>()
  const accessTokens = new Map<string, { expiresAt: number; resource: string }>()
  const refreshTokens = new Set<string>()
  const hits: number[] = []
  let url = ''

  const stamp = () => new Date(now()).toISOString()
  const add = (table: Table, fields: Record<string, unknown>, o: { modifiedon?: string } = {}) => {
    const id = randomUUID()
    const at = o.modifiedon ?? stamp()
    const row: Row = {
      statecode: 0,
      statuscode: 1,
      ...fields,
      [KEY[table]]: id,
      createdon: at,
      modifiedon: at,
    }
    if (table === 'contacts' || table === 'leads')
      row.fullname = [row.firstname, row.lastname].filter(Boolean).join(' ')
    rows[table].set(id, row)
    return id
  }

  const resourceOf = (scope: string) =>
    scope
      .split(' ')
      .find((s) => s.endsWith('/.default'))
      ?.replace(/\/\.default$/, '') ?? null

  const issue = (resource: string) => {
    const accessToken = `eyJ0eXAiOiJKV1Qi.${randomUUID()}`
    const refreshToken = `0.ARoA${randomUUID().replaceAll('-', '')}`
    accessTokens.set(accessToken, { expiresAt: now() + 3600_000, resource })
    refreshTokens.add(refreshToken)
    return { accessToken, refreshToken, expiresIn: 3600 }
  }
  const tokenBody = (resource: string) => {
    const t = issue(resource)
    const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url')
    return {
      token_type: 'Bearer',
      scope: `${resource}/user_impersonation ${resource}/.default`,
      expires_in: t.expiresIn,
      ext_expires_in: t.expiresIn,
      access_token: t.accessToken,
      refresh_token: t.refreshToken,
      client_info: b64({ uid: userId, utid: tenantId }),
    }
  }

  const entra = (req: FakeRequest): FakeResponse | null => {
    const m = req.path.match(/^\/([\w.-]+)\/oauth2\/v2\.0\/(authorize|token)$/)
    if (!m) return null
    if (m[2] === 'authorize' && req.method === 'GET') {
      const q = req.query
      const redirect = q.get('redirect_uri') ?? ''
      if (q.get('client_id') !== clientId)
        return { status: 400, body: 'AADSTS700016: Application not found in the directory.' }
      if (!redirect) return { status: 400, body: 'AADSTS900144: The request body must contain redirect_uri.' }
      const back = new URL(redirect)
      const scope = q.get('scope') ?? ''
      if (q.get('state')) back.searchParams.set('state', q.get('state')!)
      if (!state.autoApprove || q.get('response_type') !== 'code' || !resourceOf(scope)) {
        back.searchParams.set('error', state.autoApprove ? 'invalid_request' : 'access_denied')
        back.searchParams.set(
          'error_description',
          state.autoApprove
            ? 'AADSTS70011: The provided value for scope is not valid.'
            : 'AADSTS65004: User declined to consent.',
        )
        return { status: 302, headers: { location: back.toString() } }
      }
      const code = `1.AQ${randomUUID().replaceAll('-', '')}`
      const challenge = q.get('code_challenge')
      if (challenge && q.get('code_challenge_method') !== 'S256')
        return { status: 400, body: 'AADSTS501491: Invalid code_challenge_method.' }
      codes.set(code, { redirectUri: redirect, scope, challenge })
      back.searchParams.set('code', code)
      back.searchParams.set('session_state', randomUUID())
      return { status: 302, headers: { location: back.toString() } }
    }
    if (m[2] === 'token' && req.method === 'POST') {
      const f = new URLSearchParams(req.rawBody)
      if (f.get('client_id') !== clientId)
        return entraErr(400, 'unauthorized_client', 'AADSTS700016: Application not found.')
      if (f.get('client_secret') !== clientSecret)
        return entraErr(401, 'invalid_client', 'AADSTS7000215: Invalid client secret provided.')
      const resource = resourceOf(f.get('scope') ?? '')
      if (!resource)
        return entraErr(400, 'invalid_scope', 'AADSTS70011: The provided value for scope is not valid.')
      if (f.get('grant_type') === 'authorization_code') {
        const code = f.get('code') ?? ''
        const granted = codes.get(code)
        codes.delete(code)
        if (!granted)
          return entraErr(
            400,
            'invalid_grant',
            'AADSTS70008: The provided authorization code has expired or was already redeemed.',
          )
        if (granted.redirectUri !== f.get('redirect_uri'))
          return entraErr(
            400,
            'invalid_grant',
            'AADSTS50148: The redirect_uri does not match the one in the authorization request.',
          )
        if (resourceOf(granted.scope) !== resource)
          return entraErr(
            400,
            'invalid_grant',
            'AADSTS70000: The scope does not match the authorization request.',
          )
        const verifier = f.get('code_verifier')
        if (
          granted.challenge &&
          (!verifier || createHash('sha256').update(verifier).digest('base64url') !== granted.challenge)
        )
          return entraErr(
            400,
            'invalid_grant',
            'AADSTS501481: The Code_Verifier does not match the code_challenge supplied in the authorization request.',
          )
        return { status: 200, body: tokenBody(resource) }
      }
      if (f.get('grant_type') === 'refresh_token') {
        if (!refreshTokens.has(f.get('refresh_token') ?? ''))
          return entraErr(
            400,
            'invalid_grant',
            'AADSTS700082: The refresh token has expired due to inactivity.',
          )
        return { status: 200, body: tokenBody(resource) }
      }
      return entraErr(
        400,
        'unsupported_grant_type',
        'AADSTS70003: The app requested an unsupported grant type.',
      )
    }
    return null
  }

  const select = (table: Table, row: Row, fields: string[] | null) => {
    const out: Record<string, unknown> = { '@odata.etag': `W/"${Date.parse(row.modifiedon)}"` }
    for (const [k, v] of Object.entries(row))
      if (!fields || fields.includes(k) || k === KEY[table]) out[k] = v
    return out
  }
  const known = (table: Table, f: string) =>
    f === KEY[table] || COLUMNS[table].includes(f) || COMMON.includes(f)
  const unknownProperty = (table: Table, f: string) =>
    err(
      400,
      '0x80060888',
      `Could not find a property named '${f}' on type 'Microsoft.Dynamics.CRM.${ENTITY[table]}'.`,
    )

  /** Checks and applies a write body; returns an error response or the columns to store. */
  const writable = (
    table: Table,
    body: Record<string, unknown>,
    creating: boolean,
    current: Row | null,
  ): { error: FakeResponse } | { fields: Record<string, unknown>; parties?: Party[] } => {
    const fields: Record<string, unknown> = {}
    let newParties: Party[] | undefined
    for (const [k, v] of Object.entries(body)) {
      const bind = k.match(/^(\w+?)_(\w+)@odata\.bind$/)
      if (bind) {
        const [, nav, target] = bind
        if (
          table !== 'phonecalls' ||
          nav !== 'regardingobjectid' ||
          !['contact', 'lead', 'account'].includes(target!)
        )
          return {
            error: err(
              400,
              '0x80060888',
              `Undeclared property '${k.replace('@odata.bind', '')}' in the payload.`,
            ),
          }
        const m = String(v).match(/^\/(contacts|leads|accounts)\(([0-9a-f-]{36})\)$/)
        if (!m || SETS[m[1]!] !== `${target}s` || !rows[`${target}s` as Table].has(m[2]!))
          return { error: err(400, '0x80040217', `${target} With Id = ${m?.[2] ?? v} Does Not Exist`) }
        fields._regardingobjectid_value = m[2]
        fields['_regardingobjectid_value@Microsoft.Dynamics.CRM.lookuplogicalname'] = target
        continue
      }
      if (k === 'phonecall_activity_parties' && table === 'phonecalls') {
        if (!creating)
          return { error: err(400, '0x80040203', 'Activity parties are set on create in this fake.') }
        if (!Array.isArray(v))
          return { error: err(400, '0x80040203', 'phonecall_activity_parties must be a collection.') }
        newParties = []
        for (const p of v as Record<string, unknown>[]) {
          const mask = Number(p.participationtypemask)
          const binds = Object.entries(p).filter(([pk]) => pk.endsWith('@odata.bind'))
          const b = binds[0]
          const m = b && String(b[1]).match(/^\/(contacts|leads|accounts|systemusers)\(([0-9a-f-]{36})\)$/)
          const type = b?.[0].match(/^partyid_(\w+)@odata\.bind$/)?.[1]
          if (
            !Number.isInteger(mask) ||
            mask < 1 ||
            mask > 13 ||
            binds.length !== 1 ||
            !m ||
            `${type}s` !== m[1]
          )
            return { error: err(400, '0x80040203', `Invalid activity party: ${JSON.stringify(p)}`) }
          if (!rows[m[1] as Table].has(m[2]!))
            return { error: err(400, '0x80040217', `${type} With Id = ${m[2]} Does Not Exist`) }
          newParties.push({ participationtypemask: mask, partyType: type!, partyId: m[2]! })
        }
        continue
      }
      if (!known(table, k) || k === KEY[table]) return { error: unknownProperty(table, k) }
      if (READ_ONLY.has(k)) return { error: err(400, '0x80048d19', `The '${k}' attribute is read-only.`) }
      if (creating && k === 'statecode')
        return { error: err(400, '0x80048d19', `The 'statecode' attribute is not valid for create.`) }
      fields[k] = v
    }
    if (creating)
      for (const r of REQUIRED[table])
        if (fields[r] === undefined || fields[r] === null || fields[r] === '')
          return { error: err(400, '0x80040200', `Attribute '${r}' cannot be NULL: it is required.`) }
    const states = STATES[table]
    if (states && ('statecode' in fields || 'statuscode' in fields)) {
      const sc = Number(fields.statecode ?? current?.statecode ?? 0)
      const st = Number(fields.statuscode ?? DEFAULT_STATUS[sc] ?? -1)
      if (!states[sc]?.includes(st))
        return {
          error: err(
            400,
            '0x80040203',
            `${st} is not a valid status code for state code ${ENTITY[table]}State.${sc}`,
          ),
        }
      fields.statecode = sc
      fields.statuscode = st
    }
    if (table === 'phonecalls' && current && current.statecode !== 0) {
      const others = Object.keys(fields).filter((k) => k !== 'statecode' && k !== 'statuscode')
      if (others.length > 0 || newParties)
        return { error: err(400, '0x80043b1c', 'This phonecall is closed or canceled and cannot be edited.') }
    }
    return { fields, parties: newParties }
  }

  const webApi = (req: FakeRequest): FakeResponse => {
    const rest = req.path.slice('/api/data/v9.2/'.length)
    const auth = accessTokens.get((req.headers.authorization ?? '').replace(/^Bearer /, ''))
    if (!auth || auth.expiresAt <= now() || auth.resource !== url)
      return {
        status: 401,
        headers: {
          'www-authenticate': `Bearer authorization_uri=https://login.microsoftonline.com/${tenantId}/oauth2/authorize, resource_id=${url}/`,
        },
      }
    // Service protection: requests per user over a sliding window.
    const t = now()
    while (hits.length > 0 && hits[0]! <= t - limits.windowMs) hits.shift()
    rateStats.requests++
    if (hits.length >= limits.requests) {
      rateStats.limited++
      const wait = Math.max(1, Math.ceil((hits[0]! + limits.windowMs - t) / 1000))
      return err(
        429,
        '0x80072322',
        `Number of requests exceeded the limit of ${limits.requests} over time window of ${limits.windowMs / 1000} seconds.`,
        { 'retry-after': String(wait) },
      )
    }
    hits.push(t)

    if (/^WhoAmI(\(\))?$/.test(rest) && req.method === 'GET')
      return {
        status: 200,
        body: {
          '@odata.context': `${url}/api/data/v9.2/$metadata#Microsoft.Dynamics.CRM.WhoAmIResponse`,
          BusinessUnitId: organizationId.replace(/^.{8}/, 'bbbbbbbb'),
          UserId: userId,
          OrganizationId: organizationId,
        },
      }
    const m = rest.match(/^(\w+)(?:\(([0-9a-fA-F-]{36})\))?$/)
    const table = m && (m[1]! in rows ? (m[1] as Table) : null)
    if (!m || !table)
      return err(404, '0x8006088a', `Resource not found for the segment '${rest.split('(')[0]}'.`)
    const id = m[2]?.toLowerCase()
    const selected = req.query.get('$select')?.split(',') ?? null
    for (const f of selected ?? []) if (!known(table, f)) return unknownProperty(table, f)

    if (req.method === 'GET' && !id) {
      let list = [...rows[table].values()]
      const filter = req.query.get('$filter')
      if (filter) {
        let expr: Expr
        try {
          expr = parseFilter(filter)
        } catch (e) {
          return err(400, '0x80060888', e instanceof FilterError ? e.message : String(e))
        }
        for (const f of fieldsOf(expr)) if (!known(table, f)) return unknownProperty(table, f)
        list = list.filter((r) => evaluate(expr, r))
      }
      const order = req.query.get('$orderby')
      if (order) {
        const [field, dir] = order.split(' ')
        if (!known(table, field!)) return unknownProperty(table, field!)
        const sign = dir === 'desc' ? -1 : 1
        list.sort((a, b) => (String(a[field!] ?? '') < String(b[field!] ?? '') ? -sign : sign))
      }
      const top = Number(req.query.get('$top') ?? 5000)
      return {
        status: 200,
        body: {
          '@odata.context': `${url}/api/data/v9.2/$metadata#${table}`,
          value: list.slice(0, top).map((r) => select(table, r, selected)),
        },
      }
    }
    const body = () => (parseJson(req) ?? {}) as Record<string, unknown>
    if (req.method === 'POST' && !id) {
      const out = writable(table, body(), true, null)
      if ('error' in out) return out.error
      const newId = add(table, out.fields)
      if (out.parties) parties.set(newId, out.parties)
      const entityId = `${url}/api/data/v9.2/${table}(${newId})`
      if (/return=representation/.test(String(req.headers.prefer ?? '')))
        return {
          status: 201,
          headers: { 'odata-entityid': entityId },
          body: select(table, rows[table].get(newId)!, null),
        }
      return { status: 204, headers: { 'odata-entityid': entityId } }
    }
    if (!id) return err(405, '0x80060888', `The HTTP method '${req.method}' is not allowed on '${table}'.`)
    const current = rows[table].get(id) ?? null
    if (req.method === 'GET') {
      if (!current) return err(404, '0x80040217', `${ENTITY[table]} With Id = ${id} Does Not Exist`)
      return { status: 200, body: select(table, current, selected) }
    }
    if (req.method === 'PATCH') {
      if (!current && req.headers['if-match'] === '*')
        return err(
          412,
          '0x80060882',
          `A record with the specified key values does not exist in ${ENTITY[table]} entity`,
        )
      const out = writable(table, body(), !current, current)
      if ('error' in out) return out.error
      if (!current) {
        // PATCH without If-Match on a missing id is an upsert: Dataverse creates the row.
        const at = stamp()
        rows[table].set(id, {
          statecode: 0,
          statuscode: 1,
          ...out.fields,
          [KEY[table]]: id,
          createdon: at,
          modifiedon: at,
        })
        return { status: 204, headers: { 'odata-entityid': `${url}/api/data/v9.2/${table}(${id})` } }
      }
      Object.assign(current, out.fields, { modifiedon: stamp() })
      return { status: 204, headers: { 'odata-entityid': `${url}/api/data/v9.2/${table}(${id})` } }
    }
    return err(405, '0x80060888', `The HTTP method '${req.method}' is not allowed.`)
  }

  const server = await startFakeServer((req) => {
    if (req.path.startsWith('/api/data/v9.2/')) {
      const res = webApi(req)
      return {
        ...res,
        headers: {
          'odata-version': '4.0',
          'x-ms-ratelimit-burst-remaining-xrm-requests': String(Math.max(0, limits.requests - hits.length)),
          ...res.headers,
        },
      }
    }
    if (req.path.startsWith('/api/data/'))
      return err(404, '0x8006088a', 'This fake serves Web API v9.2 only.')
    return (
      entra(req) ?? { status: 404, body: { error: 'not_found', error_description: `No route ${req.path}` } }
    )
  })
  url = server.url
  const fake = Object.assign(server, {
    orgUrl: url,
    organizationId,
    userId,
    rows,
    add,
    phonecalls: () =>
      [...rows.phonecalls.values()].map((r) => ({ ...r, parties: parties.get(String(r.activityid)) ?? [] })),
    grantCode: (code: string, o: { redirectUri: string; codeChallenge?: string }) =>
      void codes.set(code, {
        redirectUri: o.redirectUri,
        scope: `${url}/.default offline_access`,
        challenge: o.codeChallenge ?? null,
      }),
    issueTokens: () => issue(url),
    expireAccessTokens: () => accessTokens.clear(),
    revokeRefreshTokens: () => refreshTokens.clear(),
    limits,
    rateStats,
  })
  return Object.defineProperty(fake, 'autoApprove', {
    get: () => state.autoApprove,
    set: (v: boolean) => {
      state.autoApprove = v
    },
  }) as DynamicsFake
}
