import { Hono } from 'hono'
import { statusOf } from '../api/http-errors.ts'
import {
  approveNumber,
  listPendingVerifications,
  rejectNumber,
} from '../cli/commands/numbers-verification.ts'
import { failedSyncs, replaySync } from '../cli/commands/sync.ts'
import { DomainError } from '../core/errors.ts'
import { jsonNestsDeeperThan, MAX_JSON_DEPTH } from '../core/json-depth.ts'
import type { Logger } from '../core/logger.ts'
import { rekeyTokens } from '../services/integrations/rekey.ts'
import type { VaultSettings } from '../services/integrations/token-vault.ts'
import { runDemo } from './demo.ts'
import {
  type AdminDeps,
  countCompanies,
  listFailedJobs,
  retryFailedJob,
  reviewDeps,
  runCreateApiKey,
  runSetup,
} from './operations.ts'

/**
 * The hub's internal operator API, served only on DATA_DIR/admin.sock (mode 0600): whoever can
 * open the socket already owns the data directory, so it takes no credentials. Not under /v1
 * and never on the TCP port.
 */
export function createAdminApp(
  deps: AdminDeps & {
    logger: Logger
    /** Where this hub's API is reached (PUBLIC_URL, else its listening address), for sb's hints. */
    baseUrl?: () => string | null
    /** The hub's CRM token key ring settings (CRM_TOKEN_KEYS, DATA_DIR), for `sb integrations:rekey`. */
    vault?: VaultSettings
  },
) {
  const app = new Hono()

  app.onError((err, c) => {
    if (err instanceof DomainError) return c.json(err.body(), statusOf(err.code))
    deps.logger.error({ err }, 'admin command failed')
    return c.json({ message: 'internal error (see the hub log)' }, 500)
  })
  app.notFound((c) => c.json({ message: `unknown admin command ${c.req.method} ${c.req.path}` }, 404))

  const body = async (req: Request): Promise<unknown> => {
    const text = await req.text()
    // As on the HTTP API (app.ts): no parse of a body nesting past the limit.
    if (jsonNestsDeeperThan(text, MAX_JSON_DEPTH)) {
      throw new DomainError(
        'bad_request',
        `the request body nests deeper than ${MAX_JSON_DEPTH} levels of arrays and objects`,
      )
    }
    try {
      return JSON.parse(text)
    } catch {
      throw new DomainError('bad_request', 'the request body must be JSON')
    }
  }

  // Document verification review takes `{ number_id }` or `{ submission_id }` (+ `reason` to reject).
  return app
    .get('/status', async (c) =>
      c.json({ pid: process.pid, companies: await countCompanies(deps.db), url: deps.baseUrl?.() ?? null }),
    )
    .post('/setup', async (c) => c.json(await runSetup(deps, await body(c.req.raw)), 201))
    .get('/jobs/failed', async (c) =>
      c.json({
        jobs: await listFailedJobs(deps, { queue: c.req.query('queue'), limit: c.req.query('limit') }),
      }),
    )
    .post('/api-keys', async (c) => c.json(await runCreateApiKey(deps, await body(c.req.raw)), 201))
    .post('/jobs/retry', async (c) => {
      await retryFailedJob(deps, await body(c.req.raw))
      return c.body(null, 204)
    })
    .get('/numbers/pending', async (c) =>
      c.json({ pending: await listPendingVerifications(deps, { limit: c.req.query('limit') }) }),
    )
    .post('/numbers/approve', async (c) =>
      c.json(await approveNumber(reviewDeps(deps), await body(c.req.raw))),
    )
    .post('/numbers/reject', async (c) => c.json(await rejectNumber(reviewDeps(deps), await body(c.req.raw))))
    .post('/demo', async (c) => c.json(await runDemo(deps, await body(c.req.raw)), 201))
    .get('/sync/failed', async (c) =>
      c.json({ failed: await failedSyncs(deps, { limit: c.req.query('limit') }) }),
    )
    .post('/sync/replay', async (c) => c.json({ sync: await replaySync(deps, await body(c.req.raw)) }))
    .post('/integrations/rekey', async (c) => {
      if (!deps.vault)
        throw new DomainError('unavailable', 'this hub was started without its key ring settings')
      return c.json(await rekeyTokens(deps.db, deps.vault))
    })
}
