import type { Clock } from '../../src/core/clock.ts'
import type { DatabaseHandle } from '../../src/db/client.ts'
import { EmbeddedQueue } from '../../src/jobs/embedded-queue.ts'
import type { JobQueue } from '../../src/jobs/queue.ts'

/**
 * The real embedded driver on the test database. Scheduling (delays, retry backoff) follows
 * the test's FakeClock: advance it to fire a durable timer or a retry. Leases use real time.
 * It consumes only once started (createTestHub({ workers: true }) starts it).
 */
export async function createTestQueue(handle: DatabaseHandle, clock: Clock): Promise<JobQueue> {
  return new EmbeddedQueue({ db: handle.db, clock, pollIntervalMs: 20 })
}
