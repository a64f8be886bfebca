import type { FailedJob, JobQueue } from './queue.ts'

/** Dead letters of the given queues (the hub's are job-registry.ts's hubQueues), newest first. */
export async function listDeadJobs(
  queue: JobQueue,
  options: { queues: readonly string[]; limit?: number },
): Promise<FailedJob[]> {
  const limit = options.limit ?? 50
  const lists = await Promise.all(options.queues.map((q) => queue.listFailed(q, limit)))
  return lists
    .flat()
    .sort((a, b) => (b.failedAt?.getTime() ?? 0) - (a.failedAt?.getTime() ?? 0))
    .slice(0, limit)
}

/** Puts one dead letter back in its queue with a fresh set of tries. */
export async function replayDeadJob(queue: JobQueue, job: { queue: string; id: string }): Promise<void> {
  await queue.retryFailed(job.queue, job.id)
}
