import type { Queryable } from '../db/client.ts'

/**
 * The job queue every background effect goes through (webhook deliveries, CRM syncs, durable
 * call timers). Two drivers implement it: the embedded one persists jobs in the database,
 * BullMQ keeps them in Redis. Both pass test/jobs/queue-conformance.ts.
 */
export type JobOptions = {
  /** Run no earlier than this many ms from now. */
  delayMs?: number
  /** Total tries, first one included. Default 1. */
  attempts?: number
  /** Base of the exponential backoff between tries: backoffMs * 2^(try-1). Default 1000. */
  backoffMs?: number
  /** De-duplication key: adding a job whose key is already known (waiting, active, done or dead) is a no-op. */
  jobKey?: string
}

export type Job<T = unknown> = {
  id: string
  queue: string
  name: string
  data: T
  /** 1 on the first try. */
  attempt: number
  maxAttempts: number
}

export type FailedJob = {
  id: string
  queue: string
  name: string
  data: unknown
  attempts: number
  error: string
  failedAt: Date | null
}

export type JobHandler = (job: Job) => Promise<void>

/** One job of an addBulk() call. */
export type NewJob = { queue: string; name: string; data: unknown; options?: JobOptions }

/** Throw this from a handler to fail the job at once, with no further retries. */
export class UnrecoverableJobError extends Error {
  override name = 'UnrecoverableJobError'
}

/**
 * Throw this from a handler to put the job back, to run again in `delayMs`, without using one of
 * its tries: the work could not start yet for a reason of the hub's own (the company already
 * holds its share of a scarce resource), not because it failed.
 */
export class DeferJobError extends Error {
  override name = 'DeferJobError'
  constructor(readonly delayMs: number) {
    super(`deferred ${Math.round(delayMs)} ms`)
  }
}

export interface JobQueue {
  readonly kind: 'embedded' | 'bullmq'
  /**
   * The drivers' primitive. The hub's code enqueues through `enqueue(queue, definition, data)`
   * (jobs/job-definition.ts), which types and checks the data and applies the definition's
   * tries and backoff.
   */
  add(queue: string, name: string, data: unknown, options?: JobOptions): Promise<void>
  /**
   * Adds many jobs in one write (one INSERT, one Redis round trip per queue). `tx`: the embedded
   * driver writes them in that open transaction, so they exist exactly when its other writes
   * do (BullMQ, outside the database, ignores it: job keys make a repeat harmless).
   */
  addBulk(jobs: readonly NewJob[], options?: { tx?: Queryable }): Promise<void>
  /**
   * Withdraws the job added with this jobKey if it has not started yet (a timer that became
   * pointless); a job running, done, dead or unknown stays as it is. `tx`: the embedded driver
   * deletes it in that open transaction. Afterwards the key is free again.
   */
  cancel(queue: string, jobKey: string, options?: { tx?: Queryable }): Promise<void>
  /** Registers the handler of a queue. Call before start(). */
  process(queue: string, handler: JobHandler, options?: { concurrency?: number }): void
  /** Begins consuming every registered queue. */
  start(): Promise<void>
  /** Dead letters: jobs that used all their tries or failed unrecoverably. */
  listFailed(queue: string, limit?: number): Promise<FailedJob[]>
  /** Puts a dead letter back in the queue with a fresh set of tries. */
  retryFailed(queue: string, id: string): Promise<void>
  /**
   * How long the queue's oldest job that is due and not started has waited, in ms (0: none):
   * how far behind its consumers run. A delayed job counts from when it fell due.
   */
  lagMs(queue: string): Promise<number>
  ping(): Promise<void>
  close(): Promise<void>
}

/**
 * True for errors that must not be retried: ours, and BullMQ's UnrecoverableError thrown by a
 * handler written against BullMQ. Matched by name too, in case two copies of this module load.
 */
export function isUnrecoverable(err: unknown): boolean {
  return (
    err instanceof UnrecoverableJobError ||
    (err instanceof Error && (err.name === 'UnrecoverableJobError' || err.name === 'UnrecoverableError'))
  )
}

/** The text a dead letter keeps of a handler's error. */
export function jobErrorMessage(err: unknown): string {
  if (err instanceof Error) return err.message || err.name
  return typeof err === 'string' ? err : (JSON.stringify(err) ?? String(err))
}
