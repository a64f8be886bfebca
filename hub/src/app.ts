import { OpenAPIHono } from '@hono/zod-openapi'
import { bodyLimit } from 'hono/body-limit'
import { createMiddleware } from 'hono/factory'
import { HTTPException } from 'hono/http-exception'
import type { AppDeps, AppEnv } from './api/context.ts'
import { createDocsRoutes } from './api/docs.ts'
import { createHealthRoutes } from './api/health.ts'
import { statusOf } from './api/http-errors.ts'
import { authenticate } from './api/middleware/auth.ts'
import { createMemoryRateCounter } from './api/middleware/rate-counter.ts'
import { createRateLimiter } from './api/middleware/rate-limit.ts'
import { requestContext } from './api/middleware/request-context.ts'
import { v1PublicRoutes, v1Routes } from './api/v1/index.ts'
import { DomainError } from './core/errors.ts'
import { jsonNestsDeeperThan, MAX_JSON_DEPTH } from './core/json-depth.ts'
import { postgresErrorCode } from './core/postgres-errors.ts'
import { createAccountPages } from './web/account-pages.ts'

/** No JSON request body needs more (a whole number settings document is a few kB). */
export const MAX_JSON_BODY_BYTES = 1024 * 1024
const jsonBodyLimit = bodyLimit({
  maxSize: MAX_JSON_BODY_BYTES,
  onError: () => {
    throw new DomainError('payload_too_large', 'The request body must be at most 1 MB', { field: '(body)' })
  },
})

/**
 * Refuses bodies nesting past MAX_JSON_DEPTH. It reads the (size-capped) body: Hono keeps the
 * text for the validators, and the raw request gets a fresh copy for middleware that reads the
 * stream itself (a route's own body limit), which would otherwise find it consumed.
 */
const jsonDepthLimit = createMiddleware<AppEnv>(async (c, next) => {
  if (c.req.raw.body) {
    const text = await c.req.text()
    if (jsonNestsDeeperThan(text, MAX_JSON_DEPTH)) {
      throw new DomainError(
        'bad_request',
        `The JSON body nests deeper than ${MAX_JSON_DEPTH} levels of arrays and objects`,
        { field: '(body)' },
      )
    }
    c.req.raw = new Request(c.req.raw, { body: text })
  }
  await next()
})

// /v1/realtime authenticates by its first WebSocket frame (realtime/realtime.ts), not by header;
// /v1/call-assets/ links carry their own expiring signature; the integrations' OAuth callback
// and sandbox consent page take a one-time state instead.
const PUBLIC_V1 = new Set([
  '/v1/openapi.json',
  '/v1/realtime',
  '/v1/integrations/oauth/callback',
  '/v1/integrations/sandbox/authorize',
])
const isPublicV1 = (path: string) =>
  PUBLIC_V1.has(path) || path.startsWith('/v1/auth/') || path.startsWith('/v1/call-assets/')

export function createApp(deps: AppDeps) {
  const app = new OpenAPIHono<AppEnv>()
  const rateLimit = createRateLimiter(deps.rateCounter ?? createMemoryRateCounter())

  app.use('*', requestContext(deps))

  app.onError((err, c) => {
    const requestId = c.var.requestId
    if (err instanceof DomainError) return c.json(err.body(requestId), statusOf(err.code))
    if (err instanceof HTTPException) {
      // Hono's own (e.g. malformed JSON body): keep its status and message, in our shape.
      const status = err.status
      const code = status === 400 ? 'bad_request' : status === 413 ? 'payload_too_large' : 'bad_request'
      // Hono raises these while reading the body: name it, as validation errors name their field.
      const field = status === 400 ? { field: '(body)' } : {}
      return c.json({ message: err.message || 'Bad Request', code, request_id: requestId, ...field }, status)
    }
    const pgCode = postgresErrorCode(err)
    if (pgCode === '22021' || pgCode === '22P05') {
      // Text PostgreSQL cannot store (a NUL character): the client's input, not our failure.
      return c.json(
        { message: 'Text fields may not contain NUL characters', code: 'bad_request', request_id: requestId },
        400,
      )
    }
    ;(c.var.log ?? deps.logger).error({ err }, 'unhandled error')
    return c.json({ message: 'Internal Server Error', code: 'internal', request_id: requestId }, 500)
  })

  app.notFound((c) => c.json({ message: 'Not Found', code: 'not_found', request_id: c.var.requestId }, 404))

  app.route('/', createHealthRoutes(deps))
  app.route('/', createDocsRoutes())
  app.route('/', createAccountPages())

  // Every JSON body, the unauthenticated /v1/auth/* ones included, is read whole into memory:
  // cap its size and its nesting, whatever content type it claims (some routes scan the raw
  // text). Multipart uploads are not JSON and carry their own, larger limits on their routes.
  app.use('/v1/*', async (c, next) => {
    if (c.req.header('content-type')?.toLowerCase().startsWith('multipart/form-data')) return next()
    return jsonBodyLimit(c, async () => {
      await jsonDepthLimit(c, next)
    })
  })

  app.use('/v1/*', async (c, next) => {
    if (isPublicV1(c.req.path)) return next()
    return authenticate(c, async () => {
      await rateLimit(c, next)
    })
  })

  const realtime = deps.realtime
  if (realtime) {
    app.get('/v1/realtime', (c) => realtime.handler(c))
    app.openAPIRegistry.registerPath({
      method: 'get',
      path: '/v1/realtime',
      tags: ['Realtime'],
      summary: "The agents' realtime channel (WebSocket)",
      description:
        'Upgrades to a WebSocket. No credentials in the request: the first frame is `{"type":"auth","v":1,"token":…}` with a session or agent token. Frames, close codes and heartbeats: README, "Realtime protocol"; schemas: `shared/src/realtime.ts`.',
      responses: {
        101: { description: 'Switching protocols: the WebSocket is open' },
        400: { description: 'A query string (credentials never go in the URL)' },
        426: { description: 'Not a WebSocket upgrade request' },
      },
    })
  }

  app.openAPIRegistry.registerComponent('securitySchemes', 'basicAuth', {
    type: 'http',
    scheme: 'basic',
    description: 'api_id:api_token of a company API key',
  })
  app.openAPIRegistry.registerComponent('securitySchemes', 'bearerAuth', {
    type: 'http',
    scheme: 'bearer',
    description: 'A user session token (dashboard) or agent token (extension)',
  })

  const routes = app.route('/v1', v1PublicRoutes).route('/v1', v1Routes)

  app.doc31('/v1/openapi.json', {
    openapi: '3.1.0',
    info: {
      title: 'Switchboard API',
      version: '1.0.0',
      description: 'Aircall public API v1 compatible admin API of Switchboard.',
    },
  })

  return routes
}

export type HubApi = ReturnType<typeof createApp>
