import { randomBytes } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import { afterEach, describe, expect, it } from 'vitest'
import { DeferJobError, type Job, type JobQueue, UnrecoverableJobError } from '../../src/jobs/queue.ts'
import { eventually } from './eventually.ts'

/**
 * The behaviour every JobQueue driver must have, with real time. `create` returns a new queue
 * instance on the same store each call (two instances are like two hub processes).
 */
export function queueConformance(driver: string, create: () => Promise<JobQueue>) {
  describe(`JobQueue conformance: ${driver}`, () => {
    const opened: JobQueue[] = []
    const open = async () => {
      const queue = await create()
      opened.push(queue)
      return queue
    }
    const queueName = () => `conf-${randomBytes(4).toString('hex')}`

    afterEach(async () => {
      await Promise.all(opened.splice(0).map((q) => q.close()))
    })

    it('runs a job with its name and data', async () => {
      const q = await open()
      const name = queueName()
      const seen: Job[] = []
      q.process(name, async (job) => {
        seen.push(job)
      })
      await q.start()
      await q.add(name, 'greet', { hello: 'world', n: 1 })
      await eventually(() => expect(seen).toHaveLength(1))
      expect(seen[0]).toMatchObject({
        queue: name,
        name: 'greet',
        data: { hello: 'world', n: 1 },
        attempt: 1,
        maxAttempts: 1,
      })
      expect(seen[0]!.id).toEqual(expect.any(String))
      await q.add(name, 'no-data', undefined)
      await eventually(() => expect(seen).toHaveLength(2))
      expect(seen[1]).toMatchObject({ name: 'no-data', data: null })
      await q.ping()
    })

    it('runs a delayed job no earlier than its delay', async () => {
      const q = await open()
      const name = queueName()
      const ran: { name: string; at: number }[] = []
      q.process(name, async (job) => {
        ran.push({ name: job.name, at: Date.now() })
      })
      await q.start()
      const addedAt = Date.now()
      await q.add(name, 'later', {}, { delayMs: 600 })
      await q.add(name, 'now', {})
      await eventually(() => expect(ran).toHaveLength(2))
      // The job without a delay is not held behind the delayed one. (Asserted as an order, not
      // as "within 600 ms of the add": a loaded CI box can stall a worker that long.)
      expect(ran.map((r) => r.name)).toEqual(['now', 'later'])
      expect(ran[1]!.at - addedAt).toBeGreaterThanOrEqual(600)
    })

    it('retries a failing job with exponential backoff, then succeeds', async () => {
      const q = await open()
      const name = queueName()
      const tries: { attempt: number; maxAttempts: number; at: number }[] = []
      q.process(name, async (job) => {
        tries.push({ attempt: job.attempt, maxAttempts: job.maxAttempts, at: Date.now() })
        if (job.attempt < 3) throw new Error(`flaky ${job.attempt}`)
      })
      await q.start()
      await q.add(name, 'flaky', { x: 1 }, { attempts: 4, backoffMs: 150 })
      await eventually(() => expect(tries).toHaveLength(3))
      expect(tries.map((t) => t.attempt)).toEqual([1, 2, 3])
      expect(tries.every((t) => t.maxAttempts === 4)).toBe(true)
      // backoffMs * 2^(attempt-1): 150 ms after the first failure, 300 ms after the second.
      expect(tries[1]!.at - tries[0]!.at).toBeGreaterThanOrEqual(150)
      expect(tries[2]!.at - tries[1]!.at).toBeGreaterThanOrEqual(300)
      await sleep(200)
      expect(tries).toHaveLength(3)
      expect(await q.listFailed(name)).toEqual([])
    })

    it('moves a job that used all its tries to the dead letters, with its error', async () => {
      const q = await open()
      const name = queueName()
      let calls = 0
      q.process(name, async (job) => {
        calls++
        throw new Error(`receiver said no (try ${job.attempt})`)
      })
      await q.start()
      await q.add(name, 'doomed', { order: 7 }, { attempts: 3, backoffMs: 20 })
      const [dead] = await eventually(async () => {
        const failed = await q.listFailed(name)
        expect(failed).toHaveLength(1)
        return failed
      })
      expect(dead).toMatchObject({
        queue: name,
        name: 'doomed',
        data: { order: 7 },
        attempts: 3,
        error: 'receiver said no (try 3)',
      })
      expect(dead!.failedAt).toBeInstanceOf(Date)
      await sleep(150)
      expect(calls).toBe(3)
    })

    it('fails an UnrecoverableJobError at once, without retrying', async () => {
      const q = await open()
      const name = queueName()
      let calls = 0
      q.process(name, async () => {
        calls++
        throw new UnrecoverableJobError('bad payload: no url')
      })
      await q.start()
      await q.add(name, 'broken', {}, { attempts: 5, backoffMs: 10 })
      const failed = await eventually(async () => {
        const list = await q.listFailed(name)
        expect(list).toHaveLength(1)
        return list
      })
      expect(failed[0]).toMatchObject({ name: 'broken', attempts: 1 })
      expect(failed[0]!.error).toContain('bad payload: no url')
      await sleep(150)
      expect(calls).toBe(1)
    })

    it('puts a deferred job back for later without using a try', async () => {
      const q = await open()
      const name = queueName()
      const runs: { attempt: number; at: number }[] = []
      q.process(name, async (job) => {
        runs.push({ attempt: job.attempt, at: Date.now() })
        if (runs.length < 3) throw new DeferJobError(300)
      })
      await q.start()
      // One try only: a deferral that used it would leave a dead letter after the first run.
      await q.add(name, 'patient', {}, { attempts: 1 })
      await eventually(() => expect(runs).toHaveLength(3))
      expect(runs.map((r) => r.attempt)).toEqual([1, 1, 1])
      expect(runs[1]!.at - runs[0]!.at).toBeGreaterThanOrEqual(300)
      expect(runs[2]!.at - runs[1]!.at).toBeGreaterThanOrEqual(300)
      await sleep(150)
      expect(runs).toHaveLength(3)
      expect(await q.listFailed(name)).toEqual([])
    })

    it('replays a dead letter with a fresh set of tries', async () => {
      const q = await open()
      const name = queueName()
      let healthy = false
      const tries: { attempt: number; ok: boolean }[] = []
      q.process(name, async (job) => {
        tries.push({ attempt: job.attempt, ok: healthy })
        if (!healthy) throw new Error('down')
      })
      await q.start()
      await q.add(name, 'replay-me', { id: 3 }, { attempts: 2, backoffMs: 10 })
      const [dead] = await eventually(async () => {
        const list = await q.listFailed(name)
        expect(list).toHaveLength(1)
        return list
      })
      healthy = true
      await q.retryFailed(name, dead!.id)
      await eventually(() => expect(tries).toHaveLength(3))
      expect(tries).toEqual([
        { attempt: 1, ok: false },
        { attempt: 2, ok: false },
        { attempt: 1, ok: true },
      ])
      await eventually(async () => expect(await q.listFailed(name)).toEqual([]))
      await expect(q.retryFailed(name, dead!.id)).rejects.toThrow()
    })

    it('ignores a job whose jobKey is already known', async () => {
      const q = await open()
      const name = queueName()
      const ran: string[] = []
      q.process(
        name,
        async (job) => {
          ran.push(`${job.name}:${JSON.stringify(job.data)}`)
        },
        { concurrency: 1 },
      )
      await q.add(name, 'once', { v: 1 }, { jobKey: 'outbox:42' })
      await q.add(name, 'once', { v: 2 }, { jobKey: 'outbox:42' })
      await q.add(name, 'other', { v: 3 }, { jobKey: 'outbox:43' })
      await q.start()
      await eventually(() => expect(ran).toHaveLength(2))
      // Known once done as well: a re-added key after completion is still a no-op.
      await q.add(name, 'once', { v: 4 }, { jobKey: 'outbox:42' })
      await q.add(name, 'sentinel', {})
      await eventually(() => expect(ran).toContain('sentinel:{}'))
      await sleep(100)
      expect(ran.sort()).toEqual(['once:{"v":1}', 'other:{"v":3}', 'sentinel:{}'])
    })

    it('cancels a waiting job by its jobKey, and only that one', async () => {
      const q = await open()
      const name = queueName()
      const ran: string[] = []
      q.process(name, async (job) => {
        ran.push(job.name)
      })
      await q.start()
      await q.add(name, 'cancelled', {}, { jobKey: 'timer:1', delayMs: 400 })
      await q.add(name, 'kept', {}, { jobKey: 'timer:2', delayMs: 400 })
      await q.cancel(name, 'timer:1')
      // Unknown keys and other queues' keys are no-ops.
      await q.cancel(name, 'timer:unknown')
      await q.cancel(queueName(), 'timer:2')
      await eventually(() => expect(ran).toEqual(['kept']))
      await sleep(300)
      expect(ran).toEqual(['kept'])
      // The key is free again: a new job under it runs.
      await q.add(name, 'again', {}, { jobKey: 'timer:1' })
      await eventually(() => expect(ran).toEqual(['kept', 'again']))
      // A job already done is not cancelled: its key still de-duplicates.
      await q.cancel(name, 'timer:2')
      await q.add(name, 'kept', {}, { jobKey: 'timer:2' })
      await q.add(name, 'sentinel', {})
      await eventually(() => expect(ran).toContain('sentinel'))
      await sleep(100)
      expect(ran).toEqual(['kept', 'again', 'sentinel'])
    })

    it('says how long its oldest due job has waited, a delayed one from when it fell due', async () => {
      const q = await open()
      const now = queueName()
      const delayed = queueName()
      const later = queueName()
      expect(await q.lagMs(now)).toBe(0)
      const addedAt = Date.now()
      await q.add(now, 'first', {})
      await q.add(now, 'second', {})
      await q.add(delayed, 'timer', {}, { delayMs: 200 })
      await q.add(later, 'timer', {}, { delayMs: 60_000 })
      await sleep(400)
      // Nothing consumes these queues yet: the oldest job's wait grows with the wall clock.
      const [lagNow, lagDelayed, lagLater] = await Promise.all([
        q.lagMs(now),
        q.lagMs(delayed),
        q.lagMs(later),
      ])
      const elapsed = Date.now() - addedAt
      expect(lagNow).toBeGreaterThanOrEqual(390)
      expect(lagNow).toBeLessThanOrEqual(elapsed + 5)
      // Late by the time since it fell due, not since it was added.
      expect(lagDelayed).toBeGreaterThanOrEqual(190)
      expect(lagDelayed).toBeLessThanOrEqual(elapsed - 200 + 5)
      expect(lagLater).toBe(0)
      // Once consumed, nothing is late.
      const ran: string[] = []
      q.process(now, async (job) => {
        ran.push(job.name)
      })
      q.process(delayed, async (job) => {
        ran.push(job.name)
      })
      await q.start()
      await eventually(() => expect(ran.sort()).toEqual(['first', 'second', 'timer']))
      await eventually(async () => expect([await q.lagMs(now), await q.lagMs(delayed)]).toEqual([0, 0]))
    })

    it('counts a timer that fell due behind a busy consumer from when it fell due', async () => {
      const q = await open()
      const name = queueName()
      let release!: () => void
      const held = new Promise<void>((resolve) => {
        release = resolve
      })
      const ran: string[] = []
      q.process(
        name,
        async (job) => {
          ran.push(job.name)
          if (job.name === 'first') await held
        },
        { concurrency: 1 },
      )
      await q.start()
      try {
        // Two timers due together: the consumer takes the first and stays busy with it, the
        // second waits (BullMQ moves both to its waiting list when they fall due).
        const addedAt = Date.now()
        await q.add(name, 'first', {}, { delayMs: 300 })
        await q.add(name, 'second', {}, { delayMs: 300 })
        // The second fell due 300 ms after it was added, at the latest this long after addedAt
        // (each add is a round trip to the store: several ms on a loaded machine).
        const secondAddedBy = Date.now() - addedAt
        await eventually(() => expect(ran).toEqual(['first']))
        await sleep(300)
        const readFrom = Date.now() - addedAt
        const lag = await q.lagMs(name)
        const elapsed = Date.now() - addedAt
        // Late by the time since it fell due (at least 300 ms, as the sleep above), not since
        // it was added.
        expect(lag).toBeGreaterThanOrEqual(readFrom - secondAddedBy - 300 - 5)
        expect(lag).toBeLessThanOrEqual(elapsed - 300 + 5)
      } finally {
        // A failed check must not leave the consumer busy: closing the queue waits for it.
        release()
      }
      await eventually(() => expect(ran).toEqual(['first', 'second']))
    })

    it('runs at most `concurrency` jobs of a queue at once', async () => {
      const q = await open()
      const name = queueName()
      let inFlight = 0
      let maxInFlight = 0
      let done = 0
      q.process(
        name,
        async () => {
          inFlight++
          maxInFlight = Math.max(maxInFlight, inFlight)
          // Long enough that the third job starts before the first ends even when a loaded
          // machine slows the driver's fetches down.
          await sleep(300)
          inFlight--
          done++
        },
        { concurrency: 3 },
      )
      for (let i = 0; i < 9; i++) await q.add(name, 'work', { i })
      await q.start()
      await eventually(() => expect(done).toBe(9))
      expect(maxInFlight).toBe(3)
    })

    it('spreads jobs over two consumers without running any twice', async () => {
      const a = await open()
      const b = await open()
      const name = queueName()
      const ran: number[] = []
      const handler = async (job: Job) => {
        await sleep(5)
        ran.push((job.data as { i: number }).i)
      }
      a.process(name, handler, { concurrency: 2 })
      b.process(name, handler, { concurrency: 2 })
      await Promise.all([a.start(), b.start()])
      for (let i = 0; i < 20; i++) await a.add(name, 'work', { i })
      await eventually(() => expect(ran).toHaveLength(20))
      await sleep(150)
      expect([...ran].sort((x, y) => x - y)).toEqual(Array.from({ length: 20 }, (_, i) => i))
    })

    it('stops consuming once closed, after finishing the running job', async () => {
      const worker = await open()
      const name = queueName()
      const ran: string[] = []
      let finished = false
      worker.process(name, async (job) => {
        ran.push(job.name)
        if (job.name === 'slow') {
          await sleep(300)
          finished = true
        }
      })
      await worker.start()
      await worker.add(name, 'slow', {})
      await eventually(() => expect(ran).toEqual(['slow']))
      await worker.close()
      expect(finished).toBe(true)

      const producer = await open()
      await producer.add(name, 'after-close', {})
      await sleep(600)
      expect(ran).toEqual(['slow'])

      // The job was there all along: a new consumer takes it.
      const next = await open()
      next.process(name, async (job) => {
        ran.push(job.name)
      })
      await next.start()
      await eventually(() => expect(ran).toEqual(['slow', 'after-close']))
    })
  })
}
