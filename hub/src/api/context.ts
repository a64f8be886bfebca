import { OpenAPIHono } from '@hono/zod-openapi'
import type { BlobStore } from '../blobs/blob-store.ts'
import type { Clock } from '../clock.ts'
import type { Database } from '../db/client.ts'
import type { Env } from '../env.ts'
import { ApiError } from '../errors.ts'
import type { JobQueue } from '../jobs/queue.ts'
import type { Logger } from '../logger.ts'
import type { Mailer } from '../mail/mailer.ts'
import type { Carrier } from '../telephony/carrier/carrier.ts'
import type { RateCounter } from './middleware/rate-counter.ts'

/** Everything the app is built from; tests pass embedded drivers and a fake clock. */
export type AppDeps = {
  env: Env
  db: Database
  queue: JobQueue
  clock: Clock
  logger: Logger
  mailer: Mailer
  blobs: BlobStore
  /** Provisions and releases phone numbers: the sandbox carrier, or the Twilio gateway. */
  carrier: Carrier
  /** Readiness probes beyond the database and queue pings. */
  ping?: { db(): Promise<void> }
  /** The API rate limit's counter: Redis shared by every web instance, or (absent) this process's memory. */
  rateCounter?: RateCounter
}

/** Who is calling: a company API key (admin rights), or a user's session / agent token. */
export type Actor =
  | { type: 'api_key'; companyId: number; apiKeyId: number }
  | {
      type: 'user'
      companyId: number
      userId: number
      role: 'admin' | 'agent'
      tokenId: number
      tokenKind: 'session' | 'agent'
    }

export type AppEnv = {
  Variables: {
    deps: AppDeps
    requestId: string
    log: Logger
    actor: Actor
  }
}

/** The context services take: every query they run is scoped by companyId. */
export type ServiceContext = {
  db: Database
  companyId: number
  actor: Actor
  clock: Clock
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
        throw new ApiError('bad_request', first ? `${first.field}: ${first.message}` : 'Invalid request', {
          field: first?.field,
          details,
        })
      }
    },
  })
}
