import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { FakeClock } from '../../src/core/clock.ts'
import { createLogger } from '../../src/core/logger.ts'
import type { DatabaseHandle } from '../../src/db/client.ts'
import { jobs } from '../../src/db/schema/index.ts'
import { parseEnv } from '../../src/env.ts'
import { createQueue } from '../../src/jobs/create-queue.ts'
import { EmbeddedQueue } from '../../src/jobs/embedded-queue.ts'
import type { JobQueue } from '../../src/jobs/queue.ts'
import { openTestDatabase } from '../helpers/database.ts'
import { stopLeftoverServer } from '../helpers/embedded-postgres.ts'
import { eventually } from './eventually.ts'
import { queueConformance } from './queue-conformance.ts'

let handle: DatabaseHandle
beforeAll(async () => {
  handle = await openTestDatabase()
})
afterAll(() => handle.close())

queueConformance(
  'embedded',
  async (): Promise<JobQueue> => new EmbeddedQueue({ db: handle.db, pollIntervalMs: 25 }),
)

describe('embedded driver', () => {
  it('schedules on the injected clock: a delayed job waits for the clock, not the wall', async () => {
    const clock = new FakeClock()
    const q = new EmbeddedQueue({ db: handle.db, clock, pollIntervalMs: 10 })
    const ran: string[] = []
    q.process('timers', async (job) => {
      ran.push(job.name)
    })
    await q.start()
    try {
      await q.add('timers', 'ring-timeout', {}, { delayMs: 30_000 })
      await new Promise((r) => setTimeout(r, 150))
      expect(ran).toEqual([])
      clock.advance(29_999)
      await new Promise((r) => setTimeout(r, 100))
      expect(ran).toEqual([])
      clock.advance(1)
      await eventually(() => expect(ran).toEqual(['ring-timeout']))
    } finally {
      await q.close()
    }
  })

  it('deletes completed jobs after a day, which frees their jobKey', async () => {
    const clock = new FakeClock(new Date())
    const q = new EmbeddedQueue({ db: handle.db, clock, pollIntervalMs: 10 })
    let runs = 0
    q.process('retention', async () => {
      runs++
    })
    await q.start()
    try {
      await q.add('retention', 'daily', {}, { jobKey: 'report:2026-01-05' })
      await eventually(() => expect(runs).toBe(1))
      const row = async () =>
        (await handle.db.select().from(jobs).where(eq(jobs.jobKey, 'report:2026-01-05')))[0]
      await eventually(async () => expect((await row())?.state).toBe('completed'))
      clock.advance(23 * 60 * 60 * 1000)
      await q.purgeCompleted()
      expect(await row()).toMatchObject({ state: 'completed' })
      clock.advance(2 * 60 * 60 * 1000)
      expect(await q.purgeCompleted()).toBeGreaterThanOrEqual(1)
      expect(await row()).toBeUndefined()
      await q.add('retention', 'daily', {}, { jobKey: 'report:2026-01-05' })
      await eventually(() => expect(runs).toBe(2))
    } finally {
      await q.close()
    }
  })

  it('keeps dead letters (failed jobs) when purging', async () => {
    const q = new EmbeddedQueue({ db: handle.db, pollIntervalMs: 10, completedRetentionMs: 0 })
    q.process('retention-dead', async () => {
      throw new Error('nope')
    })
    await q.start()
    try {
      await q.add('retention-dead', 'x', {})
      await eventually(async () => expect(await q.listFailed('retention-dead')).toHaveLength(1))
      await new Promise((r) => setTimeout(r, 5))
      await q.purgeCompleted()
      expect(await q.listFailed('retention-dead')).toHaveLength(1)
    } finally {
      await q.close()
    }
  })

  it('takes over a job whose worker stopped renewing its lease, and fences the old worker', async () => {
    // Two instances: the first "hangs" (its lease is never renewed past 150 ms because the
    // lease clock is frozen), the second takes the job over once the lease is past.
    const frozen = new FakeClock(new Date())
    const stuck = new EmbeddedQueue({ db: handle.db, pollIntervalMs: 10, leaseMs: 150, leaseClock: frozen })
    const rescuer = new EmbeddedQueue({ db: handle.db, pollIntervalMs: 10, leaseMs: 150 })
    let release: () => void = () => {}
    const seen: string[] = []
    stuck.process('lease', async (job) => {
      seen.push(`stuck:${job.attempt}`)
      await new Promise<void>((r) => {
        release = r
      })
    })
    await stuck.start()
    try {
      await stuck.add('lease', 'long', {}, { attempts: 3 })
      await eventually(() => expect(seen).toEqual(['stuck:1']))
      rescuer.process('lease', async (job) => {
        seen.push(`rescuer:${job.attempt}`)
      })
      await rescuer.start()
      await eventually(() => expect(seen).toEqual(['stuck:1', 'rescuer:1']))
      const [row] = await handle.db.select().from(jobs).where(eq(jobs.queue, 'lease'))
      await eventually(async () => {
        const [r] = await handle.db.select().from(jobs).where(eq(jobs.queue, 'lease'))
        expect(r).toMatchObject({ state: 'completed', stalls: 1, attempts: 1 })
      })
      expect(row).toBeDefined()
      // The hung worker finally returns: its outcome must not touch the taken-over job.
      // close() waits for its running handler and the outcome write that follows (a fixed
      // sleep here could look before that write on a loaded machine, and pass without checking).
      release()
      await stuck.close()
      const [after] = await handle.db.select().from(jobs).where(eq(jobs.queue, 'lease'))
      expect(after).toMatchObject({ state: 'completed', stalls: 1 })
    } finally {
      release()
      await stuck.close()
      await rescuer.close()
    }
  })

  it('sends a job whose workers keep dying to the dead letters', async () => {
    const q = new EmbeddedQueue({ db: handle.db, pollIntervalMs: 10, maxStalls: 2 })
    const now = new Date()
    await handle.db.insert(jobs).values({
      queue: 'poison',
      name: 'crashes-the-process',
      data: {},
      state: 'active',
      runAt: now,
      attempts: 1,
      stalls: 2,
      lockedUntil: new Date(now.getTime() - 1000),
      lockedBy: 'dead-process',
    })
    let ran = 0
    q.process('poison', async () => {
      ran++
    })
    await q.start()
    try {
      const [dead] = await eventually(async () => {
        const list = await q.listFailed('poison')
        expect(list).toHaveLength(1)
        return list
      })
      expect(dead!.error).toContain('stalled 3 times')
      expect(ran).toBe(0)
    } finally {
      await q.close()
    }
  })

  it('rejects nonsense options', async () => {
    const q = new EmbeddedQueue({ db: handle.db })
    await expect(q.add('x', 'y', {}, { attempts: 0 })).rejects.toThrow(/attempts/)
    await expect(q.add('x', 'y', {}, { delayMs: -5 })).rejects.toThrow(/delayMs/)
    expect(() => q.process('x', async () => {}, { concurrency: 0 })).toThrow(/concurrency/)
    await expect(q.retryFailed('x', '999999')).rejects.toThrow(/no dead letter/)
    await expect(q.retryFailed('x', 'abc')).rejects.toThrow(/no dead letter/)
    await q.close()
  })
})

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url))
const tsxLoader = join(repoRoot, 'node_modules/tsx/dist/loader.mjs')
const crashScript = fileURLToPath(new URL('./fixtures/crash-worker.ts', import.meta.url))

type Child = { lines: string[]; exited: Promise<number | null>; kill(): void }

function runWorker(mode: 'first' | 'second', dataDir: string): Child {
  const child = spawn(process.execPath, ['--import', tsxLoader, crashScript, mode], {
    env: { ...process.env, DATA_DIR: dataDir, REDIS_URL: '', DATABASE_URL: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const lines: string[] = []
  let buffered = ''
  child.stdout.on('data', (chunk: Buffer) => {
    buffered += chunk.toString('utf8')
    const parts = buffered.split('\n')
    buffered = parts.pop() ?? ''
    lines.push(...parts.filter(Boolean))
  })
  let stderr = ''
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8')
  })
  const exited = new Promise<number | null>((resolve) => {
    child.on('exit', (code) => {
      if (code !== 0 && code !== null) lines.push(`stderr: ${stderr}`)
      resolve(code)
    })
  })
  return { lines, exited, kill: () => child.kill('SIGKILL') }
}

describe('embedded driver across a crash (kill -9)', () => {
  it('re-runs the job a SIGKILLed process was running, in the next process', {
    timeout: 90_000,
  }, async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'sb-jobs-crash-'))
    try {
      const first = runWorker('first', dataDir)
      await eventually(() => expect(first.lines).toContain('started attempt=1'), 60_000)
      first.kill()
      expect(await first.exited).toBeNull()

      const second = runWorker('second', dataDir)
      const code = await second.exited
      expect(second.lines).toContain('ran attempt=1')
      expect(second.lines).toContain('state=completed stalls=1 attempts=1')
      expect(code).toBe(0)
    } finally {
      await stopLeftoverServer(dataDir)
      rmSync(dataDir, { recursive: true, force: true })
    }
  })
})

describe('createQueue', () => {
  it('picks the embedded driver when REDIS_URL is unset', async () => {
    const queue = await createQueue({
      env: parseEnv({}),
      db: handle.db,
      clock: new FakeClock(),
      logger: createLogger('silent'),
    })
    try {
      expect(queue.kind).toBe('embedded')
      await queue.ping()
    } finally {
      await queue.close()
    }
  })
})
