import { Hono } from 'hono'
import type { AppDeps, AppEnv } from './context.ts'
import { requestContext } from './middleware/request-context.ts'

/**
 * GET /healthz (the process answers) and GET /readyz (its database and queue answer; 503
 * otherwise). Every hub role serves them: the web app mounts them, and a worker-only hub
 * serves just these so that an orchestrator can probe it too.
 */
export function createHealthRoutes(deps: AppDeps) {
  const app = new Hono<AppEnv>()
  app.get('/healthz', (c) => c.json({ status: 'ok' }))
  app.get('/readyz', async (c) => {
    const checks: Record<string, 'ok' | 'unreachable'> = {}
    const probe = async (name: string, fn: () => Promise<void>) => {
      try {
        await fn()
        checks[name] = 'ok'
      } catch (err) {
        c.var.log.warn({ err, check: name }, 'readiness check failed')
        checks[name] = 'unreachable'
      }
    }
    await probe('database', () => (deps.ping?.db ?? (async () => void (await deps.db.execute('select 1'))))())
    await probe('queue', () => deps.queue.ping())
    const ready = Object.values(checks).every((v) => v === 'ok')
    return c.json({ status: ready ? 'ready' : 'not_ready', checks }, ready ? 200 : 503)
  })
  return app
}

/** What a worker-only hub (HUB_ROLE=worker) serves on PORT: the probes, 404 for the rest. */
export function createWorkerApp(deps: AppDeps) {
  const app = new Hono<AppEnv>()
  app.use('*', requestContext(deps))
  app.route('/', createHealthRoutes(deps))
  app.notFound((c) =>
    c.json(
      {
        message: 'Not Found: a worker hub (HUB_ROLE=worker) serves only /healthz and /readyz',
        code: 'not_found',
        request_id: c.var.requestId,
      },
      404,
    ),
  )
  return app
}
