import type { Clock } from '../core/clock.ts'
import type { Logger } from '../core/logger.ts'
import type { Database } from '../db/client.ts'
import type { Env } from '../env.ts'
import { EmbeddedQueue } from './embedded-queue.ts'
import type { JobQueue } from './queue.ts'

/** BullMQ on Redis when REDIS_URL is set, else the embedded driver on the database. */
export async function createQueue(opts: {
  env: Env
  db: Database
  clock: Clock
  logger: Logger
}): Promise<JobQueue> {
  const logger = opts.logger.child({ component: 'jobs' })
  if (opts.env.REDIS_URL) {
    // Loaded only here: an embedded hub never needs BullMQ, whose import is a large part of a start.
    const [{ Redis }, { BullmqQueue }] = await Promise.all([import('ioredis'), import('./bullmq-queue.ts')])
    // maxRetriesPerRequest: null is what BullMQ's blocking worker commands need.
    const connection = new Redis(opts.env.REDIS_URL, { maxRetriesPerRequest: null })
    connection.on('error', (err) => logger.error({ err }, 'jobs: redis connection error'))
    return new BullmqQueue({
      connection,
      logger,
      onClose: async () => {
        await connection.quit()
      },
    })
  }
  return new EmbeddedQueue({ db: opts.db, clock: opts.clock, logger })
}
