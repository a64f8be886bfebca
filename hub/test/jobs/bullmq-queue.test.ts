import { randomBytes } from 'node:crypto'
import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { FakeClock } from '../../src/core/clock.ts'
import { createLogger } from '../../src/core/logger.ts'
import type { Database } from '../../src/db/client.ts'
import { parseEnv } from '../../src/env.ts'
import { BullmqQueue, bullmqJobId } from '../../src/jobs/bullmq-queue.ts'
import { createQueue } from '../../src/jobs/create-queue.ts'
import type { JobQueue } from '../../src/jobs/queue.ts'
import { startTestRedis, type TestRedis } from '../helpers/redis.ts'
import { eventually } from './eventually.ts'
import { queueConformance } from './queue-conformance.ts'

/**
 * Runs against SB_TEST_REDIS_URL when the test setup provides one; otherwise starts a private
 * redis-server on a free loopback port. With neither, the file fails: the BullMQ driver is
 * never silently untested.
 */
let redis: TestRedis
let redisUrl: string
const clients: Redis[] = []

beforeAll(async () => {
  redis = await startTestRedis('BullMQ driver tests')
  redisUrl = redis.url
})

afterAll(async () => {
  await Promise.all(clients.splice(0).map((c) => c.quit().catch(() => c.disconnect())))
  await redis?.stop()
})

/** Each instance gets its own connection and quits it on close, as createQueue's does. */
async function createBullmq(prefix = 'sbtest'): Promise<JobQueue> {
  const connection = new Redis(redisUrl, { maxRetriesPerRequest: null })
  clients.push(connection)
  return new BullmqQueue({
    connection,
    prefix,
    onClose: async () => {
      await connection.quit()
      clients.splice(clients.indexOf(connection), 1)
    },
  })
}

queueConformance('bullmq', () => createBullmq())

describe('bullmq driver', () => {
  it('escapes job keys into valid, distinct BullMQ ids', () => {
    expect(bullmqJobId('outbox:42')).toBe('k-outbox%3A42')
    expect(bullmqJobId('42')).toBe('k-42')
    expect(bullmqJobId('a%3Ab')).not.toBe(bullmqJobId('a:b'))
  })

  it('keeps its keys under the prefix', async () => {
    const q = await createBullmq('sbprefix')
    try {
      await q.add('prefixed', 'x', { a: 1 })
      const probe = new Redis(redisUrl)
      clients.push(probe)
      const keys = await probe.keys('sbprefix:prefixed:*')
      expect(keys.length).toBeGreaterThan(0)
      expect(q.kind).toBe('bullmq')
    } finally {
      await q.close()
    }
  })
  it('is what createQueue picks when REDIS_URL is set, and close() quits its connection', async () => {
    const queue = await createQueue({
      env: parseEnv({ REDIS_URL: redisUrl }),
      // The BullMQ driver never touches the database: a stand-in that fails loudly if it did.
      db: new Proxy({} as Database, {
        get: () => {
          throw new Error('the BullMQ driver must not use the database')
        },
      }),
      clock: new FakeClock(),
      logger: createLogger('silent'),
    })
    expect(queue.kind).toBe('bullmq')
    await queue.ping()
    // createQueue writes under BullMQ's default prefix on a Redis the scale run shares between
    // files: a name of its own, so no other run's job can turn up in this queue.
    const name = `create-queue-check-${randomBytes(4).toString('hex')}`
    const ran: string[] = []
    queue.process(name, async (job) => {
      ran.push(job.name)
    })
    await queue.start()
    await queue.add(name, 'hello', {})
    await eventually(() => expect(ran).toEqual(['hello']))
    await queue.close()
    await expect(queue.ping()).rejects.toThrow()
  })
})
