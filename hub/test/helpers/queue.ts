import type { Clock } from '../../src/clock.ts'
import type { DatabaseHandle } from '../../src/db/client.ts'
import type { FailedJob, JobHandler, JobOptions, JobQueue } from '../../src/jobs/queue.ts'

/**
 * Placeholder until the embedded driver lands: records added jobs so tests can see them.
 * (The jobs helper replaces this with the real embedded driver on the test database.)
 */
export async function createTestQueue(
  _db: DatabaseHandle,
  _clock: Clock,
): Promise<JobQueue & { added: { queue: string; name: string; data: unknown; options?: JobOptions }[] }> {
  const added: { queue: string; name: string; data: unknown; options?: JobOptions }[] = []
  const handlers = new Map<string, JobHandler>()
  return {
    kind: 'embedded',
    added,
    async add(queue, name, data, options) {
      added.push({ queue, name, data, options })
    },
    process(queue, handler) {
      handlers.set(queue, handler)
    },
    async start() {},
    async listFailed(): Promise<FailedJob[]> {
      return []
    },
    async retryFailed() {},
    async ping() {},
    async close() {},
  }
}
