import { z } from 'zod'
import { type Job, type JobQueue, UnrecoverableJobError } from './queue.ts'

/**
 * A kind of background job, defined once, next to the domain code it runs: where it is queued,
 * what its data looks like, how it is retried, and what it does. The hub's list of them
 * (job-registry.ts) is what workers consume, what `enqueue` accepts, and where the operator's
 * dead-letter commands look.
 */
export type JobDefinition<Data, Deps> = {
  /** The queue the job waits in. Several kinds of job may share one; each name is unique in it. */
  readonly queue: string
  readonly name: string
  /** Checked when the job is enqueued and again when it runs (data from an older release, a replay). */
  readonly schema: z.ZodType<Data>
  /** Total tries, the first one included. */
  readonly tries: number
  /** Base of the exponential backoff between tries: backoffMs * 2^(try-1). */
  readonly backoffMs: number
  /** How many jobs of the queue one worker process runs at once. */
  readonly concurrency: number
  /** Runs one job; throwing fails the try (UnrecoverableJobError: no further try). */
  readonly handle: (deps: Deps, data: Data, job: JobInfo) => Promise<void>
  /** `handle` behind the schema: what a worker calls with a job as the queue stored it. */
  readonly run: (deps: Deps, job: Job) => Promise<void>
}

/** What a handler may want to know about the try it runs in. */
export type JobInfo = Omit<Job, 'data'>

/** A job definition whatever its data: what the registry, the workers and the dead-letter commands use. */
export type RegisteredJob<Deps> = Pick<
  JobDefinition<unknown, Deps>,
  'queue' | 'name' | 'tries' | 'backoffMs' | 'concurrency' | 'run'
>

export function defineJob<Data, Deps>(definition: {
  queue: string
  name: string
  schema: z.ZodType<Data>
  tries: number
  backoffMs: number
  concurrency?: number
  handle: (deps: Deps, data: Data, job: JobInfo) => Promise<void>
}): JobDefinition<Data, Deps> {
  const { queue, name, schema, tries, backoffMs, handle } = definition
  if (!Number.isInteger(tries) || tries < 1) throw new RangeError(`${queue}/${name}: tries must be >= 1`)
  if (!(backoffMs >= 0)) throw new RangeError(`${queue}/${name}: backoffMs must be >= 0`)
  return {
    queue,
    name,
    schema,
    tries,
    backoffMs,
    concurrency: definition.concurrency ?? 1,
    handle,
    async run(deps, job) {
      const parsed = schema.safeParse(job.data)
      // Retrying cannot fix the data: straight to the dead letters, where the operator sees why.
      if (!parsed.success) {
        throw new UnrecoverableJobError(`${queue}/${name}: bad job data: ${z.prettifyError(parsed.error)}`)
      }
      const { data: _stored, ...info } = job
      await handle(deps, parsed.data, info)
    },
  }
}

export type EnqueueOptions = {
  /** Run no earlier than this many ms from now. */
  delayMs?: number
  /** De-duplication key: adding a job whose key the queue knows (waiting, active, done or dead) is a no-op. */
  jobKey?: string
}

/**
 * Puts one job of a kind in its queue, with the kind's tries and backoff. The data is checked
 * against the kind's schema here, so a wrong shape fails at the caller, not later in a worker.
 */
export async function enqueue<Data>(
  queue: JobQueue,
  job: Pick<JobDefinition<Data, never>, 'queue' | 'name' | 'schema' | 'tries' | 'backoffMs'>,
  data: Data,
  options: EnqueueOptions = {},
): Promise<void> {
  const parsed = job.schema.safeParse(data)
  if (!parsed.success) {
    throw new TypeError(`${job.queue}/${job.name}: bad job data: ${z.prettifyError(parsed.error)}`)
  }
  await queue.add(job.queue, job.name, parsed.data, {
    attempts: job.tries,
    backoffMs: job.backoffMs,
    delayMs: options.delayMs,
    jobKey: options.jobKey,
  })
}

/** The queues a list of jobs uses, each with its jobs by name and the concurrency they ask for. */
export function queuesOf<Deps>(
  jobs: readonly RegisteredJob<Deps>[],
): Map<string, { concurrency: number; jobs: Map<string, RegisteredJob<Deps>> }> {
  const queues = new Map<string, { concurrency: number; jobs: Map<string, RegisteredJob<Deps>> }>()
  for (const job of jobs) {
    let entry = queues.get(job.queue)
    if (!entry) {
      entry = { concurrency: job.concurrency, jobs: new Map() }
      queues.set(job.queue, entry)
    }
    if (entry.jobs.has(job.name)) throw new Error(`job ${job.queue}/${job.name} is defined twice`)
    entry.jobs.set(job.name, job)
    entry.concurrency = Math.max(entry.concurrency, job.concurrency)
  }
  return queues
}

/**
 * Registers one handler per queue on `queue`, dispatching each job to its definition by name.
 * A job whose name no definition knows (left by a newer or older release) is a dead letter at
 * once, listed by `sb jobs:failed`, instead of being dropped.
 */
export function processJobs<Deps>(queue: JobQueue, deps: Deps, jobs: readonly RegisteredJob<Deps>[]): void {
  for (const [name, entry] of queuesOf(jobs)) {
    queue.process(
      name,
      async (job) => {
        const definition = entry.jobs.get(job.name)
        if (!definition) throw new UnrecoverableJobError(`no job "${job.name}" is defined in queue ${name}`)
        await definition.run(deps, job)
      },
      { concurrency: entry.concurrency },
    )
  }
}
