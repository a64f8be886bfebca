import { randomUUID } from 'node:crypto'
import { createRateWindow, type RateLimitOption, type RateStats } from './rate-window.ts'
import { type FakeRequest, type FakeResponse, type FakeServer, parseJson, startFakeServer } from './server.ts'

/**
 * A stateful Zendesk account on loopback: OAuth (code grant, refresh with rotation), the Search
 * API's `phone:` syntax, users, tickets by external_id (cursor pagination, as node-zendesk asks
 * with page[size]), Talk Partner Edition voice tickets, and Zendesk's error bodies.
 */

type User = {
  id: number
  name: string
  email: string | null
  phone: string | null
  role: string
  updated_at: string
  created_at: string
}
type Ticket = {
  id: number
  subject: string
  external_id: string | null
  requester_id: number | null
  via: { channel: string; source: { rel: string | null } }
  via_id: number
  tags: string[]
  comments: { body?: string; public: boolean; voice?: Record<string, unknown> }[]
  created_at: string
}

const VIA_RELS: Record<number, string> = { 44: 'voicemail', 45: 'inbound', 46: 'outbound' }

export type ZendeskFake = FakeServer & {
  users: Map<number, User>
  tickets: Map<number, Ticket>
  addUser(u: Partial<User> & { name: string }): number
  grantCode(code: string): void
  issueTokens(): { accessToken: string; refreshToken: string }
  expireAccessTokens(): void
  /** Access tokens deleted through DELETE /api/v2/oauth/tokens/current.json (the revoke), in order. */
  revoked: string[]
  /** The account has no Talk Partner Edition plan. */
  talkPartnerEdition: boolean
  /** API requests counted against the rate limit, and those refused with 429 (zeros without one). */
  rateStats: RateStats
}

export type ZendeskFakeOptions = {
  /**
   * The account's requests per minute, enforced: past it, 429 with `Retry-After` (seconds).
   * Suite Team has 200 a minute, Growth and Professional 400, Enterprise 700, Enterprise Plus
   * and the High Volume add-on 2500. https://developer.zendesk.com/api-reference/introduction/rate-limits
   */
  rateLimit?: RateLimitOption
  clientId?: string
  clientSecret?: string
}

/** Zendesk's lowest plan's limit (Suite Team). */
export const ZENDESK_TEAM_LIMIT = { requests: 200, windowMs: 60_000 } as const

const invalid = (description: string, details: Record<string, unknown> = {}): FakeResponse => ({
  status: 422,
  body: { error: 'RecordInvalid', description, details },
})

export type FakeOAuthClient = { clientId: string; clientSecret: string }

export async function startZendeskFake(opts: ZendeskFakeOptions = {}): Promise<ZendeskFake> {
  const clientId = opts.clientId ?? 'zd-client'
  const clientSecret = opts.clientSecret ?? 'zd-secret'
  const window = opts.rateLimit ? createRateWindow(opts.rateLimit) : null
  const revoked: string[] = []
  /** Access token → the refresh token issued with it (a revoke deletes the pair). */
  const pairOf = new Map<string, string>()
  const users = new Map<number, User>()
  const tickets = new Map<number, Ticket>()
  const codes = new Set<string>()
  const access = new Map<string, number>() // token → user id
  const refresh = new Map<string, number>()
  let seq = 5000
  const state = { talkPartnerEdition: true }
  const now = () => new Date().toISOString()

  const addUser = (u: Partial<User> & { name: string }) => {
    const id = seq++
    const ts = u.updated_at ?? now()
    users.set(id, { email: null, phone: null, role: 'end-user', created_at: ts, ...u, id, updated_at: ts })
    return id
  }
  const agentId = addUser({ name: 'Admin', email: 'admin@acme.test', role: 'admin' })

  const issueTokens = () => {
    const accessToken = randomUUID().replaceAll('-', '')
    const refreshToken = randomUUID().replaceAll('-', '')
    access.set(accessToken, agentId)
    refresh.set(refreshToken, agentId)
    pairOf.set(accessToken, refreshToken)
    return { accessToken, refreshToken }
  }
  const tokenBody = (t: { accessToken: string; refreshToken: string }) => ({
    access_token: t.accessToken,
    refresh_token: t.refreshToken,
    token_type: 'bearer',
    scope: 'read write',
    expires_in: 1800,
    refresh_token_expires_in: 2_592_000,
  })

  const ticketJson = (t: Ticket) => ({
    id: t.id,
    url: `/api/v2/tickets/${t.id}.json`,
    subject: t.subject,
    external_id: t.external_id,
    requester_id: t.requester_id,
    via: t.via,
    tags: t.tags,
    status: 'open',
    created_at: t.created_at,
    updated_at: t.created_at,
  })

  const handle = (req: FakeRequest): FakeResponse => {
    const { method, path } = req
    if (method === 'POST' && path === '/oauth/tokens') {
      const b = (req.headers['content-type'] ?? '').includes('json')
        ? (parseJson(req) as Record<string, string>)
        : Object.fromEntries(new URLSearchParams(req.rawBody))
      if (b.client_id !== clientId || b.client_secret !== clientSecret)
        return {
          status: 401,
          body: { error: 'invalid_client', error_description: 'Client authentication failed.' },
        }
      if (b.grant_type === 'authorization_code') {
        if (!codes.delete(b.code ?? '') || !b.redirect_uri)
          return {
            status: 400,
            body: {
              error: 'invalid_grant',
              error_description:
                'The provided authorization grant is invalid, expired, revoked, does not match the redirection URI used in the authorization request, or was issued to another client.',
            },
          }
        return { status: 200, body: tokenBody(issueTokens()) }
      }
      if (b.grant_type === 'refresh_token') {
        if (!refresh.has(b.refresh_token ?? ''))
          return {
            status: 400,
            body: {
              error: 'invalid_grant',
              error_description: 'The provided authorization grant is invalid, expired, or revoked.',
            },
          }
        // Zendesk answers a new pair and deletes the old one.
        refresh.delete(b.refresh_token!)
        return { status: 200, body: tokenBody(issueTokens()) }
      }
      return {
        status: 400,
        body: { error: 'unsupported_grant_type', error_description: 'unsupported grant type' },
      }
    }

    if (!path.startsWith('/api/v2/'))
      return { status: 404, body: { error: 'InvalidEndpoint', description: 'Not found' } }
    if (!path.endsWith('.json'))
      return { status: 404, body: { error: 'InvalidEndpoint', description: 'Not found' } }
    const token = (req.headers.authorization ?? '').replace(/^Bearer /, '')
    if (!access.has(token))
      return {
        status: 401,
        body: {
          error: 'invalid_token',
          error_description:
            'The access token provided is expired, revoked, malformed or invalid for other reasons.',
        },
      }
    const route = path.slice('/api/v2'.length, -'.json'.length)

    // https://developer.zendesk.com/api-reference/ticketing/oauth/oauth_tokens/#revoke-token
    if (method === 'DELETE' && route === '/oauth/tokens/current') {
      access.delete(token)
      refresh.delete(pairOf.get(token) ?? '')
      pairOf.delete(token)
      revoked.push(token)
      return { status: 204 }
    }

    if (method === 'GET' && route === '/search') {
      const q = req.query.get('query') ?? ''
      const phone = q.match(/phone:(\*?)(\S+)/)
      const wantsEndUsers = /role:end-user/.test(q)
      const hits = [...users.values()].filter((u) => {
        if (wantsEndUsers && u.role !== 'end-user') return false
        if (!phone) return true
        const term = phone[2]!
        // The phone: term is digits; a '+' or other characters match nothing.
        if (!/^\d+$/.test(term)) return false
        const digits = (u.phone ?? '').replace(/\D/g, '')
        return phone[1] === '*' ? digits.endsWith(term) : digits === term
      })
      return {
        status: 200,
        body: {
          results: hits.map((u) => ({ ...u, result_type: 'user', url: `/api/v2/users/${u.id}.json` })),
          facets: null,
          next_page: null,
          previous_page: null,
          count: hits.length,
        },
      }
    }
    if (method === 'GET' && route === '/users/search') {
      const q = req.query.get('query') ?? ''
      const email = q.match(/^email:(.+)$/)?.[1]?.toLowerCase()
      const hits = [...users.values()].filter((u) => email && u.email?.toLowerCase() === email)
      return { status: 200, body: { users: hits, next_page: null, previous_page: null, count: hits.length } }
    }
    if (method === 'GET' && route === '/users/me')
      return { status: 200, body: { user: users.get(access.get(token)!) } }
    if (method === 'POST' && route === '/users') {
      const u = (parseJson(req) as { user?: Partial<User> }).user
      if (!u?.name)
        return invalid('Record validation errors', { name: [{ description: 'Name: cannot be blank' }] })
      const id = addUser({ ...u, name: u.name, role: u.role ?? 'end-user' })
      return { status: 201, body: { user: users.get(id) } }
    }
    if (method === 'GET' && route === '/tickets') {
      const ext = req.query.get('external_id')
      const hits = [...tickets.values()].filter((t) => ext === null || t.external_id === ext)
      if (req.query.has('page[size]'))
        return {
          status: 200,
          body: {
            tickets: hits.map(ticketJson),
            meta: { has_more: false, after_cursor: null, before_cursor: null },
            links: { prev: null, next: null },
          },
        }
      return {
        status: 200,
        body: { tickets: hits.map(ticketJson), next_page: null, previous_page: null, count: hits.length },
      }
    }
    if (method === 'POST' && route === '/channels/voice/tickets') {
      if (!state.talkPartnerEdition)
        return {
          status: 403,
          body: {
            error: 'Forbidden',
            description:
              'You do not have access to this page. Please contact the account owner of this help desk for further help.',
          },
        }
      const body = parseJson(req) as { display_to_agent?: number; ticket?: Record<string, unknown> }
      const t = body.ticket ?? {}
      const via = Number(t.via_id)
      if (!VIA_RELS[via])
        return invalid('Record validation errors', {
          via_id: [{ description: 'via_id must be 44, 45 or 46' }],
        })
      if (body.display_to_agent !== undefined && users.get(body.display_to_agent)?.role === 'end-user')
        return invalid('Invalid display_to_agent')
      if (t.requester_id !== undefined && !users.has(Number(t.requester_id)))
        return invalid('Record validation errors', { requester: [{ description: 'Requester: is invalid' }] })
      const vc = t.voice_comment as Record<string, unknown> | undefined
      if (vc && typeof vc.call_duration !== 'number')
        return invalid('call_duration must be an integer (seconds)')
      const id = seq++
      const comment = t.comment as { body?: string; public?: boolean } | undefined
      tickets.set(id, {
        id,
        subject: String(t.subject ?? ''),
        external_id: (t.external_id as string) ?? null,
        requester_id: t.requester_id !== undefined ? Number(t.requester_id) : access.get(token)!,
        via: { channel: 'voice', source: { rel: VIA_RELS[via]! } },
        via_id: via,
        tags: (t.tags as string[]) ?? [],
        comments: [
          ...(vc ? [{ public: false, voice: vc }] : []),
          ...(comment ? [{ body: comment.body, public: comment.public ?? true }] : []),
        ],
        created_at: now(),
      })
      return { status: 201, body: { ticket: ticketJson(tickets.get(id)!) } }
    }
    const tm = route.match(/^\/tickets\/(\d+)$/)
    if (tm && method === 'PUT') {
      const t = tickets.get(Number(tm[1]))
      if (!t) return { status: 404, body: { error: 'RecordNotFound', description: 'Not found' } }
      const b =
        (
          parseJson(req) as {
            ticket?: { comment?: { body: string; public?: boolean }; additional_tags?: string[] }
          }
        ).ticket ?? {}
      if (b.comment) t.comments.push({ body: b.comment.body, public: b.comment.public ?? true })
      for (const tag of b.additional_tags ?? []) if (!t.tags.includes(tag)) t.tags.push(tag)
      return {
        status: 200,
        body: { ticket: ticketJson(t), audit: { id: seq++, ticket_id: t.id, events: [] } },
      }
    }
    return { status: 404, body: { error: 'InvalidEndpoint', description: 'Not found' } }
  }

  const rateHeaders = (): Record<string, string> =>
    window
      ? {
          'x-rate-limit': String(window.limit.requests),
          'x-rate-limit-remaining': String(Math.max(0, window.limit.requests - window.used())),
        }
      : {}
  const server = await startFakeServer((req) => {
    if (!window || !req.path.startsWith('/api/v2/')) return handle(req)
    const wait = window.take()
    if (wait !== null)
      return {
        status: 429,
        headers: { ...rateHeaders(), 'retry-after': String(Math.ceil(wait / 1000)) },
        body: { error: 'TooManyRequests', description: 'You have exceeded the rate limit.' },
      }
    const out = handle(req)
    return { ...out, headers: { ...rateHeaders(), ...out.headers } }
  })
  const fake = Object.assign(server, {
    rateStats: window?.stats ?? { requests: 0, limited: 0 },
    users,
    tickets,
    addUser,
    grantCode: (code: string) => void codes.add(code),
    issueTokens,
    expireAccessTokens: () => access.clear(),
    revoked,
  })
  return Object.defineProperty(fake, 'talkPartnerEdition', {
    get: () => state.talkPartnerEdition,
    set: (v: boolean) => {
      state.talkPartnerEdition = v
    },
  }) as ZendeskFake
}
