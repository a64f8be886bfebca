/**
 * A company's share of a worker's webhook sends. The delivery queue runs 64 jobs at once and
 * takes them first come, first served, whatever their company: without a share, a company whose
 * receiver answers slowly (or not at all, until WEBHOOK_TIMEOUT_MS) would hold every slot with
 * its backlog, and every other company's webhooks would wait behind it.
 *
 * Each receiver (a webhook) is judged on its own answers; the share is the company's.
 * - A receiver that answers quickly is not held back: its sends end before they crowd anyone
 *   out, and a slow receiver of the same company does not slow it down.
 * - A receiver whose sends are slow — its recent answers took `slowMs` or more, or one of its
 *   sends has been running that long — or not heard from yet counts against its company's
 *   share: the company's sends to such receivers are at most `perCompany` at once in this
 *   process. A delivery past that to a slow receiver gives its queue slot back at once (the
 *   caller defers the job, which keeps its tries); one to a receiver not heard from yet waits
 *   up to `waitMs` for a slot before it steps aside.
 * - A receiver not heard from yet with no send running gets one even when its company's share
 *   is taken (up to `perCompany` more of those): its first answer shows whether it is fast, so a
 *   company's new webhook is not stuck behind its dead one.
 * - A receiver's deferred deliveries come back spaced at the pace it has shown (its recent
 *   answer time over `perCompany`), so a slow receiver's backlog returns as fast as it can take
 *   it, not in a burst that fills the queue again.
 * - A receiver not sent to for FORGET_AFTER_MS is forgotten (it counts as not heard from yet
 *   again): what is kept follows the receivers in use, not every webhook this process has seen.
 */
export type DeliveryShares = {
  /** A send slot for the company's receiver, or null when none came within the wait. */
  acquire(companyId: number, receiverId: number): Promise<Slot | null>
  /** How long a delivery to this receiver that found no slot should wait before it is tried again (ms). */
  deferral(receiverId: number): number
}

export type Slot = { release(): void }

/** How long a receiver's answer time is kept after its last send ended. */
export const FORGET_AFTER_MS = 60 * 60 * 1000

type Waiter = { receiverId: number; handOver(slot: Slot): void }

export function createDeliveryShares(options: {
  perCompany: number
  waitMs: number
  slowMs: number
  /** Assumed answer time of a receiver not heard from yet (ms): the delivery timeout. */
  initialAnswerMs: number
  now?: () => number
}): DeliveryShares {
  const { perCompany, waitMs, slowMs } = options
  const now = options.now ?? Date.now
  /** Start times of each receiver's sends in progress. */
  const running = new Map<number, number[]>()
  /** Each company's receivers with sends in progress. */
  const receiversOf = new Map<number, Set<number>>()
  const waiters = new Map<number, Waiter[]>()
  /** Moving average of each receiver's answer time (ms). */
  const answerMs = new Map<number, number>()
  /** When each receiver's last send ended, in the order they ended (least recent first). */
  const heardAt = new Map<number, number>()
  /** When each receiver's next deferred delivery is due (ms since epoch). */
  const nextDue = new Map<number, number>()

  /** Known slow: its answers lately, or one of its sends running now, took slowMs or more. */
  const slow = (receiverId: number) => {
    const average = answerMs.get(receiverId)
    const list = running.get(receiverId)
    return (
      (average !== undefined && average >= slowMs) ||
      (list !== undefined && Math.min(...list) <= now() - slowMs)
    )
  }
  /** Heard from, and not slow. */
  const fast = (receiverId: number) => answerMs.has(receiverId) && !slow(receiverId)
  /** The company's sends that count against its share: those to receivers not known fast. */
  const held = (companyId: number) => {
    let n = 0
    for (const r of receiversOf.get(companyId) ?? []) if (!fast(r)) n += running.get(r)?.length ?? 0
    return n
  }

  const start = (companyId: number, receiverId: number): Slot => {
    const startedAt = now()
    const list = running.get(receiverId)
    if (list) list.push(startedAt)
    else running.set(receiverId, [startedAt])
    const receivers = receiversOf.get(companyId)
    if (receivers) receivers.add(receiverId)
    else receiversOf.set(companyId, new Set([receiverId]))
    let released = false
    return {
      release() {
        if (released) return
        released = true
        const at = now()
        const took = at - startedAt
        const before = answerMs.get(receiverId)
        answerMs.set(receiverId, before === undefined ? took : before * 0.8 + took * 0.2)
        heardAt.delete(receiverId)
        heardAt.set(receiverId, at)
        forgetIdle(at)
        const list = running.get(receiverId) ?? []
        list.splice(list.indexOf(startedAt), 1)
        if (list.length === 0) {
          running.delete(receiverId)
          receiversOf.get(companyId)?.delete(receiverId)
          if (receiversOf.get(companyId)?.size === 0) receiversOf.delete(companyId)
        }
        pump(companyId)
      },
    }
  }

  /** Forgets the receivers last heard from FORGET_AFTER_MS ago (the oldest come first). */
  const forgetIdle = (at: number) => {
    for (const [receiverId, t] of heardAt) {
      if (t > at - FORGET_AFTER_MS) break
      heardAt.delete(receiverId)
      if (!running.has(receiverId)) answerMs.delete(receiverId)
    }
  }

  /** The company's waiting deliveries, oldest first, that may send now. */
  const pump = (companyId: number) => {
    const queue = waiters.get(companyId)
    if (!queue) return
    for (let i = 0; i < queue.length; ) {
      const w = queue[i]!
      if (fast(w.receiverId) || held(companyId) < perCompany) {
        queue.splice(i, 1)
        w.handOver(start(companyId, w.receiverId))
      } else i++
    }
    if (queue.length === 0) waiters.delete(companyId)
  }

  return {
    async acquire(companyId, receiverId) {
      if (fast(receiverId)) return start(companyId, receiverId)
      const taken = held(companyId)
      if (taken < perCompany) return start(companyId, receiverId)
      // Its first send, to learn its pace.
      if (!answerMs.has(receiverId) && !running.has(receiverId) && taken < 2 * perCompany) {
        return start(companyId, receiverId)
      }
      // Slow: steps aside at once, its sends will not end soon and waiting would hold a queue
      // slot. Not heard from yet: it waits for its first answers or for the company's share.
      if (slow(receiverId)) return null
      return new Promise<Slot | null>((resolve) => {
        const waiter: Waiter = {
          receiverId,
          handOver(slot) {
            clearTimeout(timer)
            resolve(slot)
          },
        }
        const timer = setTimeout(() => {
          const queue = waiters.get(companyId)
          const at = queue?.indexOf(waiter) ?? -1
          if (queue && at >= 0) queue.splice(at, 1)
          if (queue?.length === 0) waiters.delete(companyId)
          resolve(null)
        }, waitMs)
        const queue = waiters.get(companyId)
        if (queue) queue.push(waiter)
        else waiters.set(companyId, [waiter])
      })
    },
    deferral(receiverId) {
      const at = now()
      const answer = answerMs.get(receiverId) ?? options.initialAnswerMs
      const spacing = Math.max(waitMs, answer) / perCompany
      const due = Math.max(at, nextDue.get(receiverId) ?? 0) + spacing
      nextDue.set(receiverId, due)
      // Forget receivers whose deferred deliveries are all due (the map stays small).
      for (const [id, t] of nextDue) if (t < at) nextDue.delete(id)
      return Math.round(due - at)
    },
  }
}
