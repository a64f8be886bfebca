import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { createServer } from 'node:net'
import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { FakeClock } from '../../src/clock.ts'
import type { Database } from '../../src/db/client.ts'
import { parseEnv } from '../../src/env.ts'
import { BullmqQueue, bullmqJobId } from '../../src/jobs/bullmq-queue.ts'
import { createQueue } from '../../src/jobs/create-queue.ts'
import type { JobQueue } from '../../src/jobs/queue.ts'
import { createLogger } from '../../src/logger.ts'
import { eventually } from './eventually.ts'
import { queueConformance } from './queue-conformance.ts'

/**
 * Runs against SB_TEST_REDIS_URL when the test setup provides one; otherwise starts a private
 * redis-server on a free loopback port. With neither, the file fails: the BullMQ driver is
 * never silently untested.
 */
const REDIS_SERVER = process.env.SB_REDIS_SERVER ?? '/usr/bin/redis-server'

let redisUrl: string
let server: ChildProcess | undefined
const clients: Redis[] = []

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer()
    probe.once('error', reject)
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address()
      const port = typeof address === 'object' && address ? address.port : 0
      probe.close(() => resolve(port))
    })
  })
}

async function startRedisServer(): Promise<string> {
  const port = await freePort()
  const child = spawn(
    REDIS_SERVER,
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      '--protected-mode',
      'yes',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  )
  server = child
  let output = ''
  child.stdout?.on('data', (d: Buffer) => {
    output += d.toString('utf8')
  })
  child.stderr?.on('data', (d: Buffer) => {
    output += d.toString('utf8')
  })
  const url = `redis://127.0.0.1:${port}`
  const deadline = Date.now() + 10_000
  for (;;) {
    if (child.exitCode !== null) throw new Error(`redis-server exited (${child.exitCode}): ${output}`)
    const probe = new Redis(url, { maxRetriesPerRequest: 1, lazyConnect: true, retryStrategy: () => null })
    probe.on('error', () => {})
    try {
      await probe.connect()
      await probe.ping()
      return url
    } catch {
      if (Date.now() > deadline) throw new Error(`redis-server did not answer on ${url}: ${output}`)
      await new Promise((r) => setTimeout(r, 50))
    } finally {
      probe.disconnect()
    }
  }
}

beforeAll(async () => {
  if (process.env.SB_TEST_REDIS_URL) {
    redisUrl = process.env.SB_TEST_REDIS_URL
    return
  }
  if (!existsSync(REDIS_SERVER)) {
    throw new Error(
      `BullMQ driver tests need Redis: set SB_TEST_REDIS_URL, or install redis-server (${REDIS_SERVER} is missing)`,
    )
  }
  redisUrl = await startRedisServer()
})

afterAll(async () => {
  await Promise.all(clients.splice(0).map((c) => c.quit().catch(() => c.disconnect())))
  if (server && server.exitCode === null) {
    const exited = new Promise((r) => server!.once('exit', r))
    server.kill('SIGTERM')
    await exited
  }
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
    const name = 'create-queue-check'
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
