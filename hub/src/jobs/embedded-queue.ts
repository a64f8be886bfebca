import { randomUUID } from 'node:crypto'
import { and, asc, desc, eq, inArray, lt, or, SQL, sql } from 'drizzle-orm'
import { createBatcher } from '../core/batcher.ts'
import { type Clock, systemClock } from '../core/clock.ts'
import type { Logger } from '../core/logger.ts'
import { afterCommit } from '../db/after-commit.ts'
import type { Database, Queryable } from '../db/client.ts'
import { compiled } from '../db/compiled.ts'
import { intArrayLiteral } from '../db/int-array.ts'
import { jobs } from '../db/schema/index.ts'
import {
  DeferJobError,
  type FailedJob,
  isUnrecoverable,
  type JobHandler,
  type JobOptions,
  type JobQueue,
  jobErrorMessage,
  type NewJob,
} from './queue.ts'

export type EmbeddedQueueOptions = {
  db: Database
  /**
   * Schedules jobs: delays, retry backoff and retention are measured on it. Hub tests pass
   * their FakeClock, so a durable timer fires when the test advances the clock.
   */
  clock?: Clock
  /**
   * Measures leases. A lease says whether the worker running a job is still alive, which is
   * a real-world fact even when the business clock is fake: defaults to the system clock.
   */
  leaseClock?: Clock
  logger?: Logger
  /** How often an idle consumer looks for due jobs. add() in this process wakes it at once. */
  pollIntervalMs?: number
  /** A running job's lease; renewed every third of it while the handler runs. */
  leaseMs?: number
  /** A job whose worker died more often than this goes to the dead letters instead of running again. */
  maxStalls?: number
  /** Completed jobs (kept so their jobKey still de-duplicates) are deleted after this long. */
  completedRetentionMs?: number
  /** How long close() waits for running handlers before giving up on them (their lease then expires). */
  closeTimeoutMs?: number
}

type Registration = {
  handler: JobHandler
  concurrency: number
  active: number
  loop?: Promise<void>
}

type JobRow = typeof jobs.$inferSelect

const DAY_MS = 24 * 60 * 60 * 1000
const HOUSEKEEPING_EVERY_MS = 10 * 60 * 1000

// The statements every call runs (its timers, its finalization), built once (db/compiled.ts):
// adding one job (with data: a job without has JSON null written in SQL), withdrawing a waiting
// one, claiming due jobs and marking a claim's jobs completed.
const insertOneJob = compiled((db: Queryable) =>
  db
    .insert(jobs)
    .values({
      queue: sql.placeholder('queue'),
      name: sql.placeholder('name'),
      data: sql.placeholder('data'),
      jobKey: sql.placeholder('jobKey'),
      state: 'waiting',
      runAt: sql.placeholder('runAt'),
      maxAttempts: sql.placeholder('maxAttempts'),
      backoffMs: sql.placeholder('backoffMs'),
      createdAt: sql.placeholder('createdAt'),
    })
    .onConflictDoNothing({ target: [jobs.queue, jobs.jobKey] }),
)

const cancelWaitingJob = compiled((db: Queryable) =>
  db
    .delete(jobs)
    .where(
      and(
        eq(jobs.queue, sql.placeholder('queue')),
        eq(jobs.jobKey, sql.placeholder('jobKey')),
        eq(jobs.state, 'waiting'),
      ),
    ),
)

/**
 * Up to `limit` due jobs of the queue, taken with a lease: the waiting ones and the active ones
 * whose lease ran out (their worker died).
 */
const claimJobs = compiled((db: Queryable) => {
  const now = sql.placeholder('now')
  const due = db
    .select({ id: jobs.id })
    .from(jobs)
    .where(
      and(
        eq(jobs.queue, sql.placeholder('queue')),
        // Spelled out for the planner: it matches jobs_pending_idx's predicate.
        inArray(jobs.state, ['waiting', 'active']),
        // True of both kinds (a job is claimed once due, and a retry waits again), and it
        // bounds the index scan: the delayed jobs, call timers among them, are not read.
        sql`${jobs.runAt} <= ${now}::timestamptz`,
        or(
          eq(jobs.state, 'waiting'),
          and(
            eq(jobs.state, 'active'),
            sql`${jobs.lockedUntil} < ${sql.placeholder('realNow')}::timestamptz`,
          ),
        ),
      ),
    )
    .orderBy(asc(jobs.runAt), asc(jobs.id))
    .limit(sql.placeholder('limit'))
    .for('update', { skipLocked: true })
  return db
    .update(jobs)
    .set({
      state: 'active',
      // SET expressions read the row as it was before the update: a waiting job starts a
      // new attempt, an active one (lease run out) is a stall of the current attempt.
      attempts: sql`case when ${jobs.state} = 'waiting' then ${jobs.attempts} + 1 else ${jobs.attempts} end`,
      stalls: sql`case when ${jobs.state} = 'active' then ${jobs.stalls} + 1 else ${jobs.stalls} end`,
      // Placeholders in a set are bound with the column's encoder (as db/compiled.ts expects).
      lockedUntil: sql.placeholder('lockedUntil') as unknown as Date,
      lockedBy: sql.placeholder('token') as unknown as string,
    })
    .where(inArray(jobs.id, due))
    .returning()
})

/**
 * When the queue's oldest due job that waits fell due: the first waiting row of jobs_pending_idx
 * in run_at order (the active rows before it are at most the consumers' concurrency).
 */
const oldestDueJob = compiled((db: Queryable) =>
  db
    .select({ runAt: jobs.runAt })
    .from(jobs)
    .where(
      and(
        eq(jobs.queue, sql.placeholder('queue')),
        inArray(jobs.state, ['waiting', 'active']),
        eq(jobs.state, 'waiting'),
        sql`${jobs.runAt} <= ${sql.placeholder('now')}::timestamptz`,
      ),
    )
    // By run_at alone: either index (jobs_pending_idx, jobs_due_idx) then yields the first row
    // in order, whichever plan the statement gets.
    .orderBy(asc(jobs.runAt))
    .limit(1),
)

/** The jobs (ids as an int-array literal) of a claim, completed. */
const completeJobs = compiled((db: Queryable) =>
  db
    .update(jobs)
    .set({
      state: 'completed',
      finishedAt: sql.placeholder('now') as unknown as Date,
      lastError: null,
      lockedUntil: null,
      lockedBy: null,
    })
    .where(
      and(
        sql`${jobs.id} = any(${sql.placeholder('ids')}::int[])`,
        eq(jobs.lockedBy, sql.placeholder('token')),
      ),
    ),
)

/**
 * The job driver used when REDIS_URL is unset: jobs are rows of the `jobs` table in the app's
 * own database (the embedded PostgreSQL or DATABASE_URL's), so a restart loses nothing.
 *
 * Life of a row: waiting → active (claimed with a lease) → completed | waiting (retry, run_at
 * pushed by the backoff) | failed (dead letter). Claims use `FOR UPDATE SKIP LOCKED`, so
 * several hub processes on one Postgres share the work without taking a job twice. A worker
 * that dies mid-job (kill -9) leaves the row active with a lease that runs out; the next claim
 * takes it over and runs it again with the same attempt number (a crash is not the job's
 * fault), up to maxStalls times. Every update after the claim is fenced by the claim's
 * `locked_by` token, so a worker whose lease was taken over cannot overwrite the new run.
 */
export class EmbeddedQueue implements JobQueue {
  readonly kind = 'embedded' as const
  private readonly db: Database
  private readonly clock: Clock
  private readonly leaseClock: Clock
  private readonly logger?: Logger
  private readonly pollIntervalMs: number
  private readonly leaseMs: number
  private readonly maxStalls: number
  private readonly retentionMs: number
  private readonly closeTimeoutMs: number
  private readonly registrations = new Map<string, Registration>()
  private readonly running = new Set<Promise<void>>()
  private readonly wakers = new Map<string, () => void>()
  private readonly pendingWake = new Set<string>()
  private started = false
  private closing = false
  private housekeeping?: NodeJS.Timeout
  /** Jobs that completed together are written completed in one UPDATE per claim. */
  private readonly complete = createBatcher((rows: (JobRow & { token: string })[]) => this.completeAll(rows))

  constructor(options: EmbeddedQueueOptions) {
    this.db = options.db
    this.clock = options.clock ?? systemClock
    this.leaseClock = options.leaseClock ?? systemClock
    this.logger = options.logger
    this.pollIntervalMs = options.pollIntervalMs ?? 250
    this.leaseMs = options.leaseMs ?? 30_000
    this.maxStalls = options.maxStalls ?? 2
    this.retentionMs = options.completedRetentionMs ?? DAY_MS
    this.closeTimeoutMs = options.closeTimeoutMs ?? 10_000
  }

  async add(queue: string, name: string, data: unknown, options: JobOptions = {}): Promise<void> {
    await this.addBulk([{ queue, name, data, options }])
  }

  async addBulk(list: readonly NewJob[], options: { tx?: Queryable } = {}): Promise<void> {
    if (list.length === 0) return
    const now = this.clock.now()
    const rows = list.map(({ queue, name, data, options: o = {} }) => {
      const attempts = o.attempts ?? 1
      const backoffMs = o.backoffMs ?? 1000
      const delayMs = o.delayMs ?? 0
      if (!Number.isInteger(attempts) || attempts < 1)
        throw new RangeError('attempts must be an integer >= 1')
      if (!(backoffMs >= 0) || !(delayMs >= 0)) throw new RangeError('backoffMs and delayMs must be >= 0')
      return {
        queue,
        name,
        // drizzle sends a JS null as SQL NULL; a job without data carries JSON null instead.
        data: data === undefined || data === null ? sql`'null'::jsonb` : data,
        jobKey: o.jobKey ?? null,
        state: 'waiting' as const,
        runAt: new Date(now.getTime() + delayMs),
        maxAttempts: attempts,
        backoffMs: Math.round(backoffMs),
        createdAt: now,
      }
    })
    const db = options.tx ?? this.db
    const [only] = rows
    if (rows.length === 1 && only && !(only.data instanceof SQL)) {
      await insertOneJob(db, only)
    } else {
      // PostgreSQL takes at most 65,535 parameters per statement: 10 columns a row.
      for (let i = 0; i < rows.length; i += 5_000) {
        await db
          .insert(jobs)
          .values(rows.slice(i, i + 5_000))
          .onConflictDoNothing({ target: [jobs.queue, jobs.jobKey] })
      }
    }
    const queues = new Set(list.map((j) => j.queue))
    // In a transaction the jobs are visible to consumers only once it commits.
    afterCommit(() => {
      for (const queue of queues) this.wake(queue)
    })
  }

  async cancel(queue: string, jobKey: string, options: { tx?: Queryable } = {}): Promise<void> {
    await cancelWaitingJob(options.tx ?? this.db, { queue, jobKey })
  }

  process(queue: string, handler: JobHandler, options: { concurrency?: number } = {}): void {
    if (this.registrations.has(queue)) throw new Error(`queue ${queue} already has a handler`)
    const concurrency = options.concurrency ?? 1
    if (!Number.isInteger(concurrency) || concurrency < 1) throw new RangeError('concurrency must be >= 1')
    const registration: Registration = { handler, concurrency, active: 0 }
    this.registrations.set(queue, registration)
    if (this.started && !this.closing) registration.loop = this.consume(queue, registration)
  }

  async start(): Promise<void> {
    if (this.started || this.closing) return
    this.started = true
    for (const [queue, registration] of this.registrations) {
      registration.loop ??= this.consume(queue, registration)
    }
    this.housekeeping = setInterval(() => void this.runHousekeeping(), HOUSEKEEPING_EVERY_MS)
    this.housekeeping.unref()
    void this.runHousekeeping()
  }

  async listFailed(queue: string, limit = 50): Promise<FailedJob[]> {
    const rows = await this.db
      .select()
      .from(jobs)
      .where(and(eq(jobs.queue, queue), eq(jobs.state, 'failed')))
      .orderBy(desc(jobs.finishedAt), desc(jobs.id))
      .limit(limit)
    return rows.map((row) => ({
      id: String(row.id),
      queue: row.queue,
      name: row.name,
      data: row.data,
      attempts: row.attempts,
      error: row.lastError ?? '',
      failedAt: row.finishedAt,
    }))
  }

  async retryFailed(queue: string, id: string): Promise<void> {
    const numericId = /^\d+$/.test(id) ? Number(id) : Number.NaN
    const updated = Number.isSafeInteger(numericId)
      ? await this.db
          .update(jobs)
          .set({ state: 'waiting', attempts: 0, stalls: 0, runAt: this.clock.now(), finishedAt: null })
          .where(and(eq(jobs.queue, queue), eq(jobs.id, numericId), eq(jobs.state, 'failed')))
          .returning({ id: jobs.id })
      : []
    if (updated.length === 0) throw new Error(`no dead letter ${id} in queue ${queue}`)
    this.wake(queue)
  }

  async lagMs(queue: string): Promise<number> {
    const now = this.clock.now()
    const [oldest] = await oldestDueJob(this.db, { queue, now: now.toISOString() })
    return oldest ? Math.max(0, now.getTime() - oldest.runAt.getTime()) : 0
  }

  async ping(): Promise<void> {
    await this.db.execute(sql`select 1`)
  }

  async close(): Promise<void> {
    if (this.closing) return
    this.closing = true
    if (this.housekeeping) clearInterval(this.housekeeping)
    for (const wake of this.wakers.values()) wake()
    const loops = [...this.registrations.values()].map((r) => r.loop).filter((l) => l !== undefined)
    await Promise.all(loops)
    if (this.running.size > 0) {
      let timer: NodeJS.Timeout | undefined
      const timeout = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, this.closeTimeoutMs)
      })
      await Promise.race([Promise.allSettled([...this.running]), timeout])
      clearTimeout(timer)
    }
  }

  /** Deletes completed jobs older than the retention; returns how many. Runs every 10 minutes. */
  async purgeCompleted(): Promise<number> {
    const cutoff = new Date(this.clock.now().getTime() - this.retentionMs)
    const deleted = await this.db
      .delete(jobs)
      .where(and(eq(jobs.state, 'completed'), lt(jobs.finishedAt, cutoff)))
      .returning({ id: jobs.id })
    return deleted.length
  }

  private async runHousekeeping(): Promise<void> {
    try {
      await this.purgeCompleted()
    } catch (err) {
      if (!this.closing) this.logger?.warn({ err }, 'jobs: housekeeping failed')
    }
  }

  private wake(queue: string): void {
    const waker = this.wakers.get(queue)
    if (waker) waker()
    else this.pendingWake.add(queue)
  }

  /** Sleeps for the poll interval, or less when add() or a finishing job wakes the queue. */
  private idle(queue: string): Promise<void> {
    if (this.pendingWake.delete(queue) || this.closing) return Promise.resolve()
    return new Promise((resolve) => {
      const timer = setTimeout(done, this.pollIntervalMs)
      const wakers = this.wakers
      function done() {
        clearTimeout(timer)
        wakers.delete(queue)
        resolve()
      }
      this.wakers.set(queue, done)
    })
  }

  private async consume(queue: string, registration: Registration): Promise<void> {
    while (!this.closing) {
      const free = registration.concurrency - registration.active
      let claimed = 0
      if (free > 0) {
        try {
          const rows = await this.claim(queue, free)
          claimed = rows.length
          for (const row of rows) this.track(this.execute(queue, registration, row))
        } catch (err) {
          if (this.closing) return
          this.logger?.error({ err, queue }, 'jobs: claiming failed')
        }
      }
      if (free === 0 || claimed < free) await this.idle(queue)
    }
  }

  private track(run: Promise<void>): void {
    this.running.add(run)
    void run.finally(() => this.running.delete(run))
  }

  private async claim(queue: string, limit: number): Promise<(JobRow & { token: string })[]> {
    const now = this.clock.now()
    const realNow = this.leaseClock.now()
    const token = randomUUID()
    const rows = await claimJobs(this.db, {
      queue,
      now: now.toISOString(),
      realNow: realNow.toISOString(),
      limit,
      lockedUntil: new Date(realNow.getTime() + this.leaseMs),
      token,
    })
    rows.sort((a, b) => a.runAt.getTime() - b.runAt.getTime() || a.id - b.id)
    return rows.map((row) => ({ ...row, token }))
  }

  private async execute(queue: string, registration: Registration, row: JobRow & { token: string }) {
    registration.active++
    const renew = setInterval(() => void this.renewLease(row), Math.max(10, Math.floor(this.leaseMs / 3)))
    renew.unref()
    try {
      if (row.stalls > this.maxStalls) {
        await this.finish(row, {
          state: 'failed',
          error: `stalled ${row.stalls} times: the worker running it died each time`,
        })
        return
      }
      let outcome: { error: unknown } | undefined
      try {
        await registration.handler({
          id: String(row.id),
          queue: row.queue,
          name: row.name,
          data: row.data,
          attempt: row.attempts,
          maxAttempts: row.maxAttempts,
        })
      } catch (error) {
        outcome = { error }
      }
      clearInterval(renew)
      if (!outcome) {
        await this.complete(row)
        return
      }
      if (outcome.error instanceof DeferJobError) {
        await this.finish(row, {
          state: 'deferred',
          runAt: new Date(this.clock.now().getTime() + Math.max(0, outcome.error.delayMs)),
        })
        return
      }
      const message = jobErrorMessage(outcome.error)
      if (isUnrecoverable(outcome.error) || row.attempts >= row.maxAttempts) {
        this.logger?.error({ queue, job: row.id, name: row.name, err: outcome.error }, 'jobs: dead letter')
        await this.finish(row, { state: 'failed', error: message })
      } else {
        const delay = row.backoffMs * 2 ** (row.attempts - 1)
        this.logger?.warn({ queue, job: row.id, name: row.name, attempt: row.attempts, delay }, 'jobs: retry')
        await this.finish(row, {
          state: 'waiting',
          error: message,
          runAt: new Date(this.clock.now().getTime() + delay),
        })
      }
    } catch (err) {
      // The outcome could not be written: the lease runs out and the job runs again (at least once).
      this.logger?.error({ err, queue, job: row.id }, 'jobs: could not record the outcome')
    } finally {
      clearInterval(renew)
      registration.active--
      this.wake(queue)
    }
  }

  private async finish(
    row: JobRow & { token: string },
    outcome:
      | { state: 'completed' }
      | { state: 'failed'; error: string }
      | { state: 'waiting'; error: string; runAt: Date }
      | { state: 'deferred'; runAt: Date },
  ): Promise<void> {
    const now = this.clock.now()
    const set =
      outcome.state === 'completed'
        ? { state: outcome.state, finishedAt: now, lastError: null }
        : outcome.state === 'failed'
          ? { state: outcome.state, finishedAt: now, lastError: outcome.error }
          : outcome.state === 'waiting'
            ? { state: outcome.state, runAt: outcome.runAt, lastError: outcome.error }
            : // Back to waiting, and the claim's try given back.
              { state: 'waiting' as const, runAt: outcome.runAt, attempts: sql`${jobs.attempts} - 1` }
    await this.db
      .update(jobs)
      .set({ ...set, lockedUntil: null, lockedBy: null })
      .where(and(eq(jobs.id, row.id), eq(jobs.lockedBy, row.token)))
  }

  private async completeAll(rows: (JobRow & { token: string })[]): Promise<undefined[]> {
    const now = this.clock.now()
    const byToken = new Map<string, number[]>()
    for (const row of rows) byToken.set(row.token, [...(byToken.get(row.token) ?? []), row.id])
    for (const [token, ids] of byToken) {
      await completeJobs(this.db, { now, ids: intArrayLiteral(ids), token })
    }
    return rows.map(() => undefined)
  }

  private async renewLease(row: JobRow & { token: string }): Promise<void> {
    try {
      await this.db
        .update(jobs)
        .set({ lockedUntil: new Date(this.leaseClock.now().getTime() + this.leaseMs) })
        .where(and(eq(jobs.id, row.id), eq(jobs.lockedBy, row.token), eq(jobs.state, 'active')))
    } catch (err) {
      if (!this.closing) this.logger?.warn({ err, job: row.id }, 'jobs: lease renewal failed')
    }
  }
}
