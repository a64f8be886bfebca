import { OpenAPIHono } from '@hono/zod-openapi'
import type { Actor } from '../core/actor.ts'
import { DomainError } from '../core/errors.ts'
import type { Logger } from '../core/logger.ts'
import type { Realtime } from '../realtime/realtime.ts'
import type { HubDeps } from '../services/deps.ts'
import type { RateCounter } from './middleware/rate-counter.ts'

/** Everything the app is built from: the hub's infrastructure plus what only HTTP needs. */
export type AppDeps = HubDeps & {
  /** Readiness probes beyond the database and queue pings. */
  ping?: { db(): Promise<void> }
  /** The API rate limit's counter: Redis shared by every web instance, or (absent) this process's memory. */
  rateCounter?: RateCounter
  /** The realtime channel (GET /v1/realtime); absent, the route answers 404. */
  realtime?: Realtime
}

export type AppEnv = {
  Variables: {
    deps: AppDeps
    requestId: string
    log: Logger
    actor: Actor
  }
}

/** A router whose validation errors answer our error shape (400 naming the field), not a raw ZodError. */
export function createRouter() {
  return new OpenAPIHono<AppEnv>({
    defaultHook: (result) => {
      if (!result.success) {
        const details = result.error.issues.map((i) => ({
          field: i.path.join('.') || '(body)',
          message: i.message,
        }))
        const first = details[0]
        throw new DomainError('bad_request', first ? `${first.field}: ${first.message}` : 'Invalid request', {
          field: first?.field,
          details,
        })
      }
    },
  })
}
