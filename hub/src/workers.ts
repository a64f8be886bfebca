import type { AppDeps } from './api/context.ts'

/**
 * Registers every job handler on deps.queue and starts the outbox relay. Call before
 * deps.queue.start(). The returned stop() halts the relay (the queue is closed separately).
 */
export function registerWorkers(_deps: AppDeps): { stop(): Promise<void> } {
  return { stop: async () => {} }
}
