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

/**
 * Our own budget is a little under the vendor's: the vendor counts requests when they arrive
 * and we count them when they leave, so a full budget would now and then tip over into a 429.
 */
export const BUDGET_SHARE = 0.95

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
 * A sliding-window limiter, the way the vendors count: at most `requests` sent in any window.
 * `acquire(n)` resolves once n more requests fit (callers are served in order, so a big batch
 * is not starved by small ones). Time is real time: it paces what reaches the vendor.
 */
export type WindowLimiter = {
  acquire(cost?: number): Promise<void>
  /** How long acquire(cost) would wait now, in ms. */
  waitMs(cost?: number): number
  /** Requests sent in the current window. */
  used(): number
}

export function createWindowLimiter(limit: RateLimit, now: () => number = Date.now): WindowLimiter {
  const budget = Math.max(1, Math.floor(limit.requests * BUDGET_SHARE))
  // Send times, oldest first; `head` skips the ones that left the window.
  const sent: number[] = []
  let head = 0
  let chain: Promise<void> = Promise.resolve()

  const prune = (t: number) => {
    while (head < sent.length && sent[head]! <= t - limit.windowMs) head++
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
    // The request that must leave the window before n more fit.
    const oldest = sent[head + (inWindow + n - budget) - 1]!
    return Math.max(1, oldest + limit.windowMs - t)
  }
  const take = async (cost: number) => {
    for (;;) {
      const wait = waitMs(cost)
      if (wait === 0) break
      await new Promise((resolve) => setTimeout(resolve, wait))
    }
    const t = now()
    for (let i = 0; i < Math.min(cost, budget); i++) sent.push(t)
  }
  return {
    acquire(cost = 1) {
      const turn = chain.then(() => take(cost))
      chain = turn.catch(() => undefined)
      return turn
    },
    waitMs,
    used() {
      prune(now())
      return sent.length - head
    },
  }
}
