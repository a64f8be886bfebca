/**
 * A company's share of a worker's webhook sends. The delivery queue runs 64 jobs at once and
 * takes them first come, first served, whatever their company: without a share, a company whose
 * receiver answers slowly (or not at all, until WEBHOOK_TIMEOUT_MS) would hold every slot with
 * its backlog, and every other company's webhooks would wait behind it.
 *
 * - A company whose receivers answer quickly is not held back: its sends end before they crowd
 *   anyone out.
 * - A company whose sends are slow — its recent answers took `slowMs` or more, or one of its
 *   sends has been running that long — sends at most `perCompany` at once in this process; a
 *   delivery past that gives its queue slot back at once: the caller defers the job, which
 *   keeps its tries. A company not heard from yet is held to the same share, but a delivery past
 *   it waits up to `waitMs` for one of the company's first sends to end before it steps aside.
 * - The company's deferred deliveries come back spaced at the pace its receiver has shown (its
 *   recent answer time over `perCompany`), so a slow receiver's backlog returns as fast as it
 *   can take it, not in a burst that fills the queue again.
 */
export type DeliveryShares = {
  /** A send slot for the company, or null when none came within the wait. */
  acquire(companyId: number): Promise<Slot | null>
  /** How long a delivery that found no slot should wait before it is tried again (ms). */
  deferral(companyId: number): number
}

export type Slot = { release(): void }

export function createDeliveryShares(options: {
  perCompany: number
  waitMs: number
  slowMs: number
  /** Assumed answer time of a company not heard from yet (ms): the delivery timeout. */
  initialAnswerMs: number
  now?: () => number
}): DeliveryShares {
  const { perCompany, waitMs, slowMs } = options
  const now = options.now ?? Date.now
  /** Start times of each company's sends in progress. */
  const running = new Map<number, number[]>()
  const waiters = new Map<number, ((slot: Slot) => void)[]>()
  /** Moving average of each company's answer time (ms). */
  const answerMs = new Map<number, number>()
  /** When each company's next deferred delivery is due (ms since epoch). */
  const nextDue = new Map<number, number>()

  const start = (companyId: number): Slot => {
    const startedAt = now()
    const list = running.get(companyId)
    if (list) list.push(startedAt)
    else running.set(companyId, [startedAt])
    let released = false
    return {
      release() {
        if (released) return
        released = true
        const took = now() - startedAt
        const before = answerMs.get(companyId)
        answerMs.set(companyId, before === undefined ? took : before * 0.8 + took * 0.2)
        const list = running.get(companyId) ?? []
        list.splice(list.indexOf(startedAt), 1)
        if (list.length === 0) running.delete(companyId)
        const queue = waiters.get(companyId)
        const next = queue?.shift()
        if (queue?.length === 0) waiters.delete(companyId)
        // The slot passes to the company's oldest waiting delivery.
        if (next) next(start(companyId))
      },
    }
  }

  /** Known slow: its answers lately, or one of its sends running now, took slowMs or more. */
  const knownSlow = (companyId: number, list: readonly number[]) => {
    const average = answerMs.get(companyId)
    return (average !== undefined && average >= slowMs) || Math.min(...list) <= now() - slowMs
  }

  return {
    async acquire(companyId) {
      const list = running.get(companyId) ?? []
      if (list.length < perCompany) return start(companyId)
      // Steps aside at once: its sends will not end soon, and waiting would hold a queue slot.
      if (knownSlow(companyId, list)) return null
      // Fast: past its share it is not held back. Not heard from yet: it waits for its first
      // answers (a fast receiver's hand the slots on within the wait).
      if (answerMs.has(companyId)) return start(companyId)
      return new Promise<Slot | null>((resolve) => {
        const handOver = (slot: Slot) => {
          clearTimeout(timer)
          resolve(slot)
        }
        const timer = setTimeout(() => {
          const queue = waiters.get(companyId)
          const at = queue?.indexOf(handOver) ?? -1
          if (queue && at >= 0) queue.splice(at, 1)
          if (queue?.length === 0) waiters.delete(companyId)
          resolve(null)
        }, waitMs)
        const queue = waiters.get(companyId)
        if (queue) queue.push(handOver)
        else waiters.set(companyId, [handOver])
      })
    },
    deferral(companyId) {
      const at = now()
      const answer = answerMs.get(companyId) ?? options.initialAnswerMs
      const spacing = Math.max(waitMs, answer) / perCompany
      const due = Math.max(at, nextDue.get(companyId) ?? 0) + spacing
      nextDue.set(companyId, due)
      // Forget companies whose deferred deliveries are all due (the map stays small).
      for (const [id, t] of nextDue) if (t < at) nextDue.delete(id)
      return Math.round(due - at)
    },
  }
}
