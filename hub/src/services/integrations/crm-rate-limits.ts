import type { IntegrationKind } from '../../db/schema/index.ts'

/**
 * The request budget of one connected CRM account, as each vendor publishes it:
 * - HubSpot: 110 requests per rolling 10 s per installing account for a public OAuth app
 *   (developers.hubspot.com/docs/developer-tooling/platform/usage-guidelines); search has its
 *   own 5/s budget and is not counted here.
 * - Salesforce: a rolling 24 h allocation per org (100,000 + per-licence adders); short
 *   requests have no per-second limit.
 * - Zendesk: 200 requests a minute on Suite Team, up to 700 (Enterprise) and 2500 (add-on):
 *   the lowest plan's unless CRM_RATE_LIMITS says otherwise.
 * - Dynamics 365: 6000 requests per 300 s per user.
 */
export type RateLimit = { requests: number; windowMs: number }

export const DEFAULT_RATE_LIMITS: Record<Exclude<IntegrationKind, 'weather'>, RateLimit> = {
  hubspot: { requests: 110, windowMs: 10_000 },
  salesforce: { requests: 100_000, windowMs: 24 * 3600_000 },
  zendesk: { requests: 200, windowMs: 60_000 },
  dynamics: { requests: 6000, windowMs: 300_000 },
}

const UNIT_MS = { s: 1000, m: 60_000, h: 3600_000 } as const

/** The limits with CRM_RATE_LIMITS ("kind=requests/window", window in s, m or h) applied. */
export function rateLimits(override: string | undefined): Record<string, RateLimit> {
  const out: Record<string, RateLimit> = { ...DEFAULT_RATE_LIMITS }
  for (const part of (override ?? '').split(',')) {
    const m = part.trim().match(/^(\w+)=(\d+)\/(\d+)(s|m|h)$/)
    if (!m) continue
    out[m[1]!] = { requests: Number(m[2]), windowMs: Number(m[3]) * UNIT_MS[m[4] as keyof typeof UNIT_MS] }
  }
  return out
}

/**
 * A sliding-window limiter, the way the vendors count: at most `requests` in any window.
 * `acquire(n)` resolves once n more requests fit (callers are served in order, so a big batch
 * is not starved by small ones). Time is real time: it paces what reaches the vendor.
 *
 * The vendor counts a request when it arrives, which is some time after we let it go (a busy
 * event loop, the network). `send` therefore keeps the request's place in the window until its
 * answer is back: the window never holds more than the budget from the vendor's point of view.
 */
export type WindowLimiter = {
  acquire(cost?: number): Promise<void>
  /** Waits for room for one request, sends it, and counts it until its answer arrived. */
  send<T>(request: () => Promise<T>): Promise<T>
  /** Counts a request sent now without waiting (a caller on the phone cannot wait for a backlog). */
  charge<T>(request: () => Promise<T>): Promise<T>
  /** How long acquire(cost) would wait now, in ms. */
  waitMs(cost?: number): number
  /** Requests sent in the current window. */
  used(): number
}

export function createWindowLimiter(limit: RateLimit, now: () => number = Date.now): WindowLimiter {
  const budget = Math.max(1, limit.requests)
  // Send times, oldest first (a stamp moves later when its answer comes back; the order of
  // sends is kept, so a late stamp only holds back the pruning of the ones after it).
  const sent: { t: number }[] = []
  let head = 0
  let chain: Promise<void> = Promise.resolve()

  const prune = (t: number) => {
    while (head < sent.length && sent[head]!.t <= t - limit.windowMs) head++
    if (head > 4096 && head * 2 > sent.length) {
      sent.splice(0, head)
      head = 0
    }
  }
  const waitMs = (cost = 1) => {
    const t = now()
    prune(t)
    const n = Math.min(cost, budget)
    const inWindow = sent.length - head
    if (inWindow + n <= budget) return 0
    // The latest stamp among the requests that must leave the window before n more fit.
    let until = 0
    for (let i = head; i < head + (inWindow + n - budget); i++) until = Math.max(until, sent[i]!.t)
    return Math.max(1, until + limit.windowMs - t)
  }
  const take = async (cost: number): Promise<{ t: number }[]> => {
    for (;;) {
      const wait = waitMs(cost)
      if (wait === 0) break
      await new Promise((resolve) => setTimeout(resolve, wait))
    }
    const t = now()
    const stamps: { t: number }[] = []
    for (let i = 0; i < Math.min(cost, budget); i++) stamps.push({ t })
    sent.push(...stamps)
    return stamps
  }
  const queued = (cost: number) => {
    const turn = chain.then(() => take(cost))
    chain = turn.then(
      () => undefined,
      () => undefined,
    )
    return turn
  }
  const holdUntilAnswered = async <T>(stamp: { t: number } | undefined, request: () => Promise<T>) => {
    try {
      return await request()
    } finally {
      if (stamp) stamp.t = Math.max(stamp.t, now())
    }
  }
  return {
    async acquire(cost = 1) {
      await queued(cost)
    },
    async send(request) {
      const [stamp] = await queued(1)
      return holdUntilAnswered(stamp, request)
    },
    charge(request) {
      const stamp = { t: now() }
      sent.push(stamp)
      return holdUntilAnswered(stamp, request)
    },
    waitMs,
    used() {
      prune(now())
      return sent.length - head
    },
  }
}

/** HubSpot's search endpoints: 5 requests a second per account, apart from the 10-second budget. */
export const SEARCH_LIMITS: Partial<Record<IntegrationKind, RateLimit>> = {
  hubspot: { requests: 5, windowMs: 1_000 },
}

/** What this process has sent to one connected account, per budget. */
export type AccountBudget = { limit: RateLimit; api: WindowLimiter; search: WindowLimiter | null }

const accounts = new Map<number, AccountBudget>()

/**
 * The request budget of an integration's account in this process, shared by everything that
 * talks to it: the sync waits for room (`acquire`), a caller's lookup or a health check is
 * counted without waiting (`charge`). Each hub process paces itself; several web processes
 * each spend from their own copy (see the README).
 */
export function accountBudget(
  override: string | undefined,
  integrationId: number,
  kind: IntegrationKind,
): AccountBudget {
  let entry = accounts.get(integrationId)
  if (!entry) {
    const limit = rateLimits(override)[kind] ?? { requests: 100, windowMs: 10_000 }
    const search = SEARCH_LIMITS[kind]
    entry = { limit, api: createWindowLimiter(limit), search: search ? createWindowLimiter(search) : null }
    accounts.set(integrationId, entry)
  }
  return entry
}

/** Forgets the budgets this process keeps (tests; one integration when it is deleted). */
export function forgetAccountBudgets(integrationId?: number): void {
  if (integrationId === undefined) accounts.clear()
  else accounts.delete(integrationId)
}

/** The connector's `paceRequest` for an account: wait for room, or only count the request. */
export function requestPacer(budget: AccountBudget, pace: 'wait' | 'count') {
  return <T>(which: 'api' | 'search', request: () => Promise<T>): Promise<T> => {
    const limiter = (which === 'search' && budget.search) || budget.api
    return pace === 'wait' ? limiter.send(request) : limiter.charge(request)
  }
}
