/**
 * A limit on work running at once that no tenant can take for itself: at most `total` tasks
 * run in the process, at most `perKey` of them for one key (a company). A caller past either
 * limit waits (a pending promise, no polling). A free slot goes to the waiting key that runs the
 * fewest tasks, ties served round-robin (a served key goes to the back of the line), each time
 * to that key's oldest caller: a company with many queued tasks delays another company's task
 * by at most one turn, never by its whole queue.
 * A slot is given back however the task ends, so a failing task never leaks one.
 */
export type FairSlots = {
  /** Runs `task` once a slot is free for `key`, and frees the slot when it settles. */
  run<T>(key: string | number, task: () => Promise<T>): Promise<T>
  /** Tasks running and waiting, in total and for one key. */
  load(key?: string | number): { active: number; waiting: number }
}

export function createFairSlots(limits: { total: number; perKey: number }): FairSlots {
  const { total, perKey } = limits
  for (const limit of [total, perKey]) {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError('each limit must be at least 1')
  }
  let active = 0
  const activeByKey = new Map<string, number>()
  /** Keys with callers waiting, in the order they are served; a served key moves to the end. */
  const queues = new Map<string, (() => void)[]>()

  const runningFor = (key: string) => activeByKey.get(key) ?? 0
  const take = (key: string) => {
    active++
    activeByKey.set(key, runningFor(key) + 1)
  }

  /** Hands free slots to waiting callers, the least served key first. */
  const dispatch = () => {
    while (active < total) {
      let chosen: string | null = null
      for (const key of queues.keys()) {
        const running = runningFor(key)
        if (running < perKey && (chosen === null || running < runningFor(chosen))) chosen = key
      }
      if (chosen === null) return
      const waiting = queues.get(chosen)!
      const next = waiting.shift()!
      queues.delete(chosen)
      // Back of the line if it still has callers waiting.
      if (waiting.length > 0) queues.set(chosen, waiting)
      take(chosen)
      next()
    }
  }

  const acquire = (key: string): Promise<void> => {
    if (active < total && runningFor(key) < perKey && !queues.has(key)) {
      take(key)
      return Promise.resolve()
    }
    return new Promise<void>((resolve) => {
      const waiting = queues.get(key)
      if (waiting) waiting.push(resolve)
      else queues.set(key, [resolve])
      dispatch()
    })
  }

  const release = (key: string) => {
    active--
    const left = runningFor(key) - 1
    if (left > 0) activeByKey.set(key, left)
    else activeByKey.delete(key)
    dispatch()
  }

  return {
    async run<T>(rawKey: string | number, task: () => Promise<T>): Promise<T> {
      const key = String(rawKey)
      await acquire(key)
      try {
        return await task()
      } finally {
        release(key)
      }
    },
    load(rawKey?: string | number) {
      if (rawKey === undefined) {
        let waiting = 0
        for (const q of queues.values()) waiting += q.length
        return { active, waiting }
      }
      const key = String(rawKey)
      return { active: runningFor(key), waiting: queues.get(key)?.length ?? 0 }
    },
  }
}
