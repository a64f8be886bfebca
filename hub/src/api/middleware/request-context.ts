import { randomUUID } from 'node:crypto'
import type { MiddlewareHandler } from 'hono'
import type { AppDeps, AppEnv } from '../context.ts'

/**
 * First middleware of every app: a request id (the client's X-Request-Id when it is sane),
 * echoed in the response, a logger carrying it as req_id, and one access-log line per request.
 */
export function requestContext(deps: AppDeps): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const incoming = c.req.header('x-request-id')
    const requestId = incoming && /^[\w.-]{1,64}$/.test(incoming) ? incoming : randomUUID()
    const log = deps.logger.child({ req_id: requestId })
    c.set('deps', deps)
    c.set('requestId', requestId)
    c.set('log', log)
    c.header('X-Request-Id', requestId)
    const started = performance.now()
    await next()
    log.info(
      {
        method: c.req.method,
        path: c.req.path,
        status: c.res.status,
        ms: Math.round(performance.now() - started),
      },
      'request',
    )
  }
}
