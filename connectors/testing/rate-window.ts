/**
 * A vendor's request budget as the fakes enforce it: at most `requests` accepted in any
 * `windowMs` (a sliding window, the way HubSpot, Zendesk and Dataverse count). A refused request
 * is not counted in the window (it did no work), but it is counted in the stats, so a benchmark
 * can report the share of requests the vendor answered with its limit error.
 */
export type RateLimitOption = {
  requests: number
  windowMs: number
  /** The fake's clock (ms): a test or benchmark may run the window faster than real time. */
  now?: () => number
}

export type RateStats = {
  /** Requests counted against the budget (accepted or refused). */
  requests: number
  /** Requests refused with the vendor's limit error. */
  limited: number
}

export type RateWindow = {
  /** Null when the request fits (it is then counted), else how long until one would (ms). */
  take(): number | null
  /** Accepted requests in the current window. */
  used(): number
  readonly limit: { requests: number; windowMs: number }
  readonly stats: RateStats
}

export function createRateWindow(option: RateLimitOption): RateWindow {
  const now = option.now ?? Date.now
  const hits: number[] = []
  let head = 0
  const stats: RateStats = { requests: 0, limited: 0 }
  const prune = (t: number) => {
    while (head < hits.length && hits[head]! <= t - option.windowMs) head++
    if (head > 4096) {
      hits.splice(0, head)
      head = 0
    }
  }
  return {
    limit: { requests: option.requests, windowMs: option.windowMs },
    stats,
    take() {
      const t = now()
      prune(t)
      stats.requests++
      if (hits.length - head >= option.requests) {
        stats.limited++
        return Math.max(1, hits[head]! + option.windowMs - t)
      }
      hits.push(t)
      return null
    },
    used() {
      prune(now())
      return hits.length - head
    },
  }
}
