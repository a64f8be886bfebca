export type GateLimits = {
  /** Tasks running at once. */
  concurrency: number
  /** Tasks one client may have admitted (running or waiting); past it, it is refused at once. */
  perClient: number
  /** Tasks waiting for a slot, all clients together; past it, everyone is refused at once. */
  maxWaiting: number
  /**
   * The share (0–1) of the waiting room a client may fill of what the other clients leave of
   * it (one place at least): with 0.5, a client alone may take half the room, a second one half
   * of the rest, …, so it takes many clients flooding it to fill it, and a newcomer with one
   * task still finds a place. Absent: only perClient.
   */
  roomShare?: number
}

export class GateFullError extends Error {
  constructor(readonly scope: 'client' | 'total') {
    super(scope === 'client' ? 'this client has its share of the gate' : 'the gate is full')
  }
}

/**
 * Bounded, fair admission to scarce work. At most `concurrency` tasks run; the others wait in
 * one queue per client, served round-robin, so a client with many tasks waiting delays another
 * client's single task by at most one task per busy client, never by its whole backlog. A
 * client past its share, or anyone while the waiting room is full, is refused at once
 * (GateFullError) instead of queueing work the hub cannot do in time.
 */
export function createFairGate(initial: GateLimits) {
  const limits = { ...initial }
  let active = 0
  let waitingCount = 0
  const admitted = new Map<string, number>()
  // Clients with waiters, in the order they are served next (Map keeps insertion order).
  const waiting = new Map<string, (() => void)[]>()

  /** The next waiting task, its client's turn taken (to the back of the line if it has more). */
  const nextWaiting = (): (() => void) | undefined => {
    const next = waiting.entries().next()
    if (next.done) return undefined
    const [client, queue] = next.value
    const resume = queue.shift()!
    waitingCount--
    waiting.delete(client)
    if (queue.length > 0) waiting.set(client, queue)
    return resume
  }

  const release = () => {
    // A gate resized smaller lets its slots go as they free, down to the new size.
    const resume = active > limits.concurrency ? undefined : nextWaiting()
    if (resume)
      resume() // the slot passes to the resumed task: `active` is unchanged
    else active--
  }

  return {
    async run<T>(client: string, task: () => Promise<T>): Promise<T> {
      const mine = admitted.get(client) ?? 0
      if (mine >= limits.perClient) throw new GateFullError('client')
      if (active >= limits.concurrency) {
        if (waitingCount >= limits.maxWaiting) throw new GateFullError('total')
        const myWaiting = waiting.get(client)?.length ?? 0
        const leftByOthers = limits.maxWaiting - (waitingCount - myWaiting)
        if (limits.roomShare !== undefined && myWaiting + 1 > Math.max(1, limits.roomShare * leftByOthers))
          throw new GateFullError('client')
      }
      admitted.set(client, mine + 1)
      try {
        if (active < limits.concurrency) active++
        else {
          await new Promise<void>((resolve) => {
            const queue = waiting.get(client)
            if (queue) queue.push(resolve)
            else waiting.set(client, [resolve])
            waitingCount++
          })
        }
        try {
          return await task()
        } finally {
          release()
        }
      } finally {
        const left = (admitted.get(client) ?? 1) - 1
        if (left > 0) admitted.set(client, left)
        else admitted.delete(client)
      }
    },
    /**
     * New sizes, e.g. from a controller that follows how fast the work goes. A larger
     * `concurrency` starts waiting tasks at once; a smaller one lets running tasks finish and
     * starts no other until fewer run. A smaller `maxWaiting` refuses newcomers only: no task
     * already waiting is dropped.
     */
    resize(sizes: Partial<Pick<GateLimits, 'concurrency' | 'maxWaiting'>>) {
      // A size that is not a number (NaN from a bad computation) is ignored, not taken as a limit
      // no task could ever meet or pass.
      if (sizes.concurrency !== undefined && Number.isFinite(sizes.concurrency))
        limits.concurrency = Math.max(1, Math.floor(sizes.concurrency))
      if (sizes.maxWaiting !== undefined && Number.isFinite(sizes.maxWaiting))
        limits.maxWaiting = Math.max(0, Math.floor(sizes.maxWaiting))
      while (active < limits.concurrency) {
        const resume = nextWaiting()
        if (!resume) break
        active++
        resume()
      }
    },
    get concurrency() {
      return limits.concurrency
    },
    get maxWaiting() {
      return limits.maxWaiting
    },
    get active() {
      return active
    },
    get waiting() {
      return waitingCount
    },
  }
}

export type FairGate = ReturnType<typeof createFairGate>
