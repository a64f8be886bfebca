import { type Job as BullJob, DelayedError, Queue, UnrecoverableError, Worker } from 'bullmq'
import type { Redis } from 'ioredis'
import type { Logger } from '../core/logger.ts'
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

export type BullmqQueueOptions = {
  /** `new Redis(url, { maxRetriesPerRequest: null })`: BullMQ's workers need that setting. */
  connection: Redis
  /** Prefix of every key BullMQ writes. */
  prefix?: string
  logger?: Logger
  /** Completed jobs (kept so their jobKey still de-duplicates) are removed after this long. */
  completedRetentionSec?: number
  /** Runs last in close(): createQueue quits the Redis client it opened there. */
  onClose?: () => Promise<void>
}

type Registration = { handler: JobHandler; concurrency: number; worker?: Worker }

/**
 * BullMQ ids may not be integers nor contain ':' (its key separator); job keys like
 * `outbox:42` are escaped reversibly and prefixed so they can never look like an integer.
 */
export function bullmqJobId(jobKey: string): string {
  return `k-${jobKey.replaceAll('%', '%25').replaceAll(':', '%3A')}`
}

/**
 * The job driver used when REDIS_URL is set (several hub processes, one Redis). Maps our
 * options onto BullMQ's: attempts, exponential backoff (BullMQ waits delay * 2^(attemptsMade-1),
 * the same as the embedded driver), delay, jobId from jobKey, UnrecoverableError. Dead letters
 * are BullMQ's failed set, which we never trim. Time is Redis's real time: a fake clock does
 * not drive this driver.
 */
export class BullmqQueue implements JobQueue {
  readonly kind = 'bullmq' as const
  private readonly connection: Redis
  private readonly prefix: string
  private readonly logger?: Logger
  private readonly retentionSec: number
  private readonly onClose?: () => Promise<void>
  private readonly queues = new Map<string, Queue>()
  private readonly registrations = new Map<string, Registration>()
  private started = false
  private closed = false

  constructor(options: BullmqQueueOptions) {
    this.connection = options.connection
    this.prefix = options.prefix ?? 'sb'
    this.logger = options.logger
    this.retentionSec = options.completedRetentionSec ?? 24 * 60 * 60
    this.onClose = options.onClose
  }

  private queue(name: string): Queue {
    let queue = this.queues.get(name)
    if (!queue) {
      queue = new Queue(name, { connection: this.connection, prefix: this.prefix })
      queue.on('error', (err) => this.logger?.error({ err, queue: name }, 'jobs: bullmq queue error'))
      this.queues.set(name, queue)
    }
    return queue
  }

  async add(queue: string, name: string, data: unknown, options: JobOptions = {}): Promise<void> {
    await this.queue(queue).add(name, data ?? null, this.jobOptions(options))
  }

  async addBulk(list: readonly NewJob[]): Promise<void> {
    const byQueue = new Map<string, NewJob[]>()
    for (const job of list) {
      const group = byQueue.get(job.queue)
      if (group) group.push(job)
      else byQueue.set(job.queue, [job])
    }
    await Promise.all(
      [...byQueue].map(([queue, group]) =>
        this.queue(queue).addBulk(
          group.map((j) => ({ name: j.name, data: j.data ?? null, opts: this.jobOptions(j.options ?? {}) })),
        ),
      ),
    )
  }

  async cancel(queue: string, jobKey: string): Promise<void> {
    // Only a job not started yet; Queue.remove also leaves alone a job a worker just took
    // (it holds the job's lock).
    const target = this.queue(queue)
    const id = bullmqJobId(jobKey)
    const state = await target.getJobState(id)
    if (state === 'waiting' || state === 'delayed' || state === 'prioritized') await target.remove(id)
  }

  private jobOptions(options: JobOptions) {
    const attempts = options.attempts ?? 1
    if (!Number.isInteger(attempts) || attempts < 1) throw new RangeError('attempts must be an integer >= 1')
    return {
      jobId: options.jobKey === undefined ? undefined : bullmqJobId(options.jobKey),
      attempts,
      backoff: { type: 'exponential', delay: options.backoffMs ?? 1000 },
      delay: options.delayMs && options.delayMs > 0 ? Math.round(options.delayMs) : undefined,
      removeOnComplete: { age: this.retentionSec },
      removeOnFail: false,
    }
  }

  process(queue: string, handler: JobHandler, options: { concurrency?: number } = {}): void {
    if (this.registrations.has(queue)) throw new Error(`queue ${queue} already has a handler`)
    const registration: Registration = { handler, concurrency: options.concurrency ?? 1 }
    this.registrations.set(queue, registration)
    if (this.started && !this.closed) this.startWorker(queue, registration)
  }

  async start(): Promise<void> {
    if (this.started || this.closed) return
    this.started = true
    for (const [queue, registration] of this.registrations) this.startWorker(queue, registration)
  }

  private startWorker(queue: string, registration: Registration): void {
    const worker = new Worker(
      queue,
      async (job: BullJob, token?: string) => {
        try {
          await registration.handler({
            id: job.id ?? '',
            queue,
            name: job.name,
            data: job.data,
            attempt: job.attemptsMade + 1,
            maxAttempts: job.opts.attempts ?? 1,
          })
        } catch (err) {
          if (err instanceof DeferJobError) {
            // BullMQ's way to put a running job back without counting a try.
            await job.moveToDelayed(Date.now() + Math.max(0, Math.round(err.delayMs)), token)
            throw new DelayedError()
          }
          if (isUnrecoverable(err)) throw new UnrecoverableError(jobErrorMessage(err))
          throw err
        }
      },
      { connection: this.connection, prefix: this.prefix, concurrency: registration.concurrency },
    )
    worker.on('error', (err) => this.logger?.error({ err, queue }, 'jobs: bullmq worker error'))
    worker.on('failed', (job, err) => {
      if (!job) return
      const dead = err instanceof UnrecoverableError || job.attemptsMade >= (job.opts.attempts ?? 1)
      if (dead) this.logger?.error({ queue, job: job.id, name: job.name, err }, 'jobs: dead letter')
      else this.logger?.warn({ queue, job: job.id, name: job.name, attempt: job.attemptsMade }, 'jobs: retry')
    })
    registration.worker = worker
  }

  async listFailed(queue: string, limit = 50): Promise<FailedJob[]> {
    const failed = await this.queue(queue).getFailed(0, Math.max(0, limit - 1))
    return failed.map((job) => ({
      id: job.id ?? '',
      queue,
      name: job.name,
      data: job.data,
      attempts: job.attemptsMade,
      error: job.failedReason ?? '',
      failedAt: job.finishedOn ? new Date(job.finishedOn) : null,
    }))
  }

  async retryFailed(queue: string, id: string): Promise<void> {
    const job = await this.queue(queue).getJob(id)
    if (!job || (await job.getState()) !== 'failed') throw new Error(`no dead letter ${id} in queue ${queue}`)
    await job.retry('failed', { resetAttemptsMade: true, resetAttemptsStarted: true })
  }

  async lagMs(queue: string): Promise<number> {
    // The next job `wait` serves, and the first of `delayed`, which is late when no worker has
    // moved it to `wait` yet.
    const q = this.queue(queue)
    const [[waiting], [delayed]] = await Promise.all([q.getWaiting(0, 0), q.getDelayed(0, 0)])
    const now = Date.now()
    const ages = [waiting, delayed].filter((job) => job !== undefined).map((job) => now - dueAt(job))
    return Math.max(0, ...ages)
  }

  async ping(): Promise<void> {
    await this.connection.ping()
  }

  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    // Workers first: close() waits for the jobs they are running.
    await Promise.all([...this.registrations.values()].map((r) => r.worker?.close()))
    await Promise.all([...this.queues.values()].map((q) => q.close()))
    await this.onClose?.()
  }
}

/**
 * When a job fell due. Not from its `delay` field: BullMQ sets it to 0 when a due job moves to
 * `wait`, and to the backoff when a try fails. A job is due its added delay after it was added;
 * one that ran before, no earlier than its last start plus, for a retry, its backoff
 * (exponential, as jobOptions sets it). A deferred job (DeferJobError) counts from its last
 * start: at most its deferral early.
 */
function dueAt(job: BullJob): number {
  const added = job.timestamp + (job.opts.delay ?? 0)
  if (job.processedOn === undefined) return added
  const backoff = job.opts.backoff
  const base = typeof backoff === 'number' ? backoff : (backoff?.delay ?? 0)
  const retryAfter = job.attemptsMade > 0 ? base * 2 ** (job.attemptsMade - 1) : 0
  return Math.max(added, job.processedOn + retryAfter)
}
