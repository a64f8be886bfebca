import { createRoute, z } from '@hono/zod-openapi'
import type { Context } from 'hono'
import { createMiddleware } from 'hono/factory'
import { DomainError } from '../../../core/errors.ts'
import { catalogue } from '../../../services/integrations/connections.ts'
import { integrationChanged } from '../../../services/integrations/integration-changed.ts'
import { completeOAuth, peekOauthState, sandboxConsent } from '../../../services/integrations/oauth-flow.ts'
import type { AppEnv } from '../../context.ts'
import { createRouter } from '../../context.ts'
import { clientAddress } from '../../middleware/client-address.ts'

/**
 * The browser side of the OAuth dance: the callback every CRM redirects to, and the sandbox
 * CRMs' consent page. No credentials: the one-time `state` is the credential. Answers are plain
 * HTML pages without scripts.
 */

const escapeHtml = (s: string) =>
  s.replace(
    /[&<>"']/g,
    (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[ch]!,
  )

function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer"><title>${escapeHtml(title)} · Switchboard</title>
<style>body{font-family:system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem;color:#1b1f24}
h1{font-size:1.4rem}button{font-size:1rem;padding:.5rem 1.2rem;margin-right:.5rem}code{background:#eef}</style>
</head><body><h1>${escapeHtml(title)}</h1>${body}</body></html>`
}

function htmlAnswer(c: Context<AppEnv>, status: 200 | 400 | 429 | 502, title: string, body: string) {
  c.header('Cache-Control', 'no-store')
  c.header('Content-Security-Policy', "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'")
  c.header('X-Frame-Options', 'DENY')
  return c.html(page(title, body), status)
}

const WINDOW_MS = 60_000
/** Requests per minute and client address: a person connects a CRM in a few. */
export const OAUTH_PAGES_PER_MINUTE = 30

/** Fixed one-minute windows per client address, in this process's memory. */
function createAddressLimiter(max: number) {
  const windows = new Map<string, { start: number; count: number }>()
  return createMiddleware<AppEnv>(async (c, next) => {
    const now = c.var.deps.clock.now().getTime()
    const key = clientAddress(c) ?? 'unknown'
    let w = windows.get(key)
    if (!w || now - w.start >= WINDOW_MS) {
      if (windows.size > 10_000)
        for (const [k, v] of windows) if (now - v.start >= WINDOW_MS) windows.delete(k)
      w = { start: now, count: 0 }
      windows.set(key, w)
    }
    w.count++
    if (w.count > max) {
      c.header('Retry-After', String(Math.max(1, Math.ceil((w.start + WINDOW_MS - now) / 1000))))
      return htmlAnswer(c, 429, 'Too many attempts', '<p>Wait a minute, then try again.</p>')
    }
    await next()
  })
}

const html = (description: string) => ({ description, content: { 'text/html': { schema: z.string() } } })
const tags = ['Integrations']

export function createOauthRoutes() {
  const limited = createAddressLimiter(OAUTH_PAGES_PER_MINUTE)
  const middleware = [limited]
  return createRouter()
    .openapi(
      createRoute({
        method: 'get',
        path: '/integrations/oauth/callback',
        tags,
        middleware,
        summary: 'Where the CRM sends the admin back after consent (register this URL with the vendor)',
        description:
          'Exchanges the code, stores the tokens encrypted and checks the connection; answers a page saying what happened. The state is valid 10 minutes, once.',
        request: {
          query: z.object({
            code: z.string().max(4096).optional(),
            state: z.string().max(200).optional(),
            error: z.string().max(200).optional(),
            error_description: z.string().max(2000).optional(),
          }),
        },
        responses: {
          200: html('Connected'),
          400: html('Unknown, expired or reused state; the CRM refused'),
          429: html('Too many attempts from this address'),
          502: html('The CRM did not answer'),
        },
      }),
      async (c) => {
        const outcome = await completeOAuth({ ...c.var.deps, logger: c.var.log }, c.req.valid('query'))
        if (outcome.ok && outcome.companyId !== undefined && outcome.integrationId !== undefined)
          await integrationChanged(c.var.deps, outcome.companyId, outcome.integrationId, { resync: true })
        return htmlAnswer(
          c,
          outcome.ok ? 200 : outcome.status,
          outcome.title,
          `<p>${escapeHtml(outcome.message)}</p>`,
        )
      },
    )
    .openapi(
      createRoute({
        method: 'get',
        path: '/integrations/sandbox/authorize',
        tags,
        middleware,
        summary: "The sandbox CRMs' consent page (sandbox integrations' authorize_url)",
        request: {
          query: z.object({
            state: z.string().max(200).optional(),
            scope: z.string().max(2000).optional(),
            code_challenge: z.string().max(200).optional(),
            code_challenge_method: z.string().max(20).optional(),
          }),
        },
        responses: {
          200: html('The consent page'),
          400: html('Unknown or expired state'),
          429: html('Too many attempts'),
        },
      }),
      async (c) => {
        const q = c.req.valid('query')
        const row = q.state ? await peekOauthState(c.var.deps, q.state) : null
        if (!row?.sandbox)
          return htmlAnswer(
            c,
            400,
            'Connection failed',
            '<p>This link is unknown, expired or already used: start the connection again from Switchboard.</p>',
          )
        const name = catalogue.find((e) => e.kind === row.kind)?.name ?? row.kind
        const hidden = (n: string, v: string | undefined) =>
          v ? `<input type="hidden" name="${n}" value="${escapeHtml(v)}">` : ''
        const scopes = q.scope ? `<p>It asks for: <code>${escapeHtml(q.scope)}</code></p>` : ''
        return htmlAnswer(
          c,
          200,
          `Sandbox ${name}: allow Switchboard?`,
          `<p>Switchboard wants to connect the integration “${escapeHtml(row.name)}” to this sandbox ${escapeHtml(name)} (a test CRM inside your hub, no real account).</p>${scopes}
<form method="post" action="authorize">${hidden('state', q.state)}${hidden('code_challenge', q.code_challenge)}
<button type="submit" name="decision" value="allow">Allow</button><button type="submit" name="decision" value="deny">Deny</button></form>`,
        )
      },
    )
    .openapi(
      createRoute({
        method: 'post',
        path: '/integrations/sandbox/authorize',
        tags,
        middleware,
        summary:
          "The sandbox consent page's answer: redirects to the OAuth callback with a code (or access_denied)",
        request: {
          body: {
            required: true,
            content: {
              'application/x-www-form-urlencoded': {
                schema: z.object({
                  state: z.string().max(200),
                  decision: z.enum(['allow', 'deny']),
                  code_challenge: z.string().max(200).optional(),
                }),
              },
            },
          },
        },
        responses: { 302: { description: 'To the callback' }, 400: html('Unknown or expired state') },
      }),
      async (c) => {
        const form = c.req.valid('form')
        try {
          const to = await sandboxConsent(c.var.deps, {
            state: form.state,
            allow: form.decision === 'allow',
            codeChallenge: form.code_challenge,
          })
          return c.redirect(to, 302)
        } catch (err) {
          if (!(err instanceof DomainError)) throw err
          return htmlAnswer(
            c,
            400,
            'Connection failed',
            '<p>This link is unknown or expired: start the connection again.</p>',
          )
        }
      },
    )
}
