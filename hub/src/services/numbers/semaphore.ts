/**
 * At most `limit` tasks at a time; the others wait their turn, first come first served. A
 * waiting caller is a pending promise (no polling), and a slot is given back however the task
 * ends, so a failing task never leaks one.
 */
export type Semaphore = {
  /** Runs `task` once a slot is free and frees the slot when it settles. */
  run<T>(task: () => Promise<T>): Promise<T>
  /** Tasks running now. */
  readonly active: number
  /** Callers waiting for a slot. */
  readonly waiting: number
}

export function createSemaphore(limit: number): Semaphore {
  if (!Number.isInteger(limit) || limit < 1) throw new RangeError('a semaphore needs a limit of at least 1')
  let active = 0
  const queue: (() => void)[] = []

  const acquire = (): Promise<void> => {
    if (active < limit) {
      active++
      return Promise.resolve()
    }
    // The slot is handed over by release(): `active` stays counted for the next in line.
    return new Promise<void>((resolve) => queue.push(resolve))
  }
  const release = () => {
    const next = queue.shift()
    if (next) next()
    else active--
  }

  return {
    async run<T>(task: () => Promise<T>): Promise<T> {
      await acquire()
      try {
        return await task()
      } finally {
        release()
      }
    },
    get active() {
      return active
    },
    get waiting() {
      return queue.length
    },
  }
}
