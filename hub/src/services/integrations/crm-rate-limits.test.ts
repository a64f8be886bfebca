import { createRateWindow } from '@switchboard/connectors/testing/rate-window'
import { describe, expect, it } from 'vitest'
import { createWindowLimiter, rateLimits } from './crm-rate-limits.ts'

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

describe('the per-account request budget', () => {
  it('sends as fast as the vendor allows and never past it, even when answers come back late', async () => {
    const limit = { requests: 5, windowMs: 300 }
    const ours = createWindowLimiter(limit)
    // The vendor's own count (the fakes' sliding window), taken when a request arrives.
    const vendor = createRateWindow(limit)
    const started = Date.now()
    const answered: number[] = []
    // 15 requests; every other one reaches the vendor 40 ms after it left and answers 60 ms later
    // (a busy event loop, a slow network): the vendor must still never see a sixth in a window.
    await Promise.all(
      Array.from({ length: 15 }, (_, i) =>
        ours.send(async () => {
          if (i % 2 === 0) await sleep(40)
          const refused = vendor.take()
          if (i % 2 === 0) await sleep(60)
          answered.push(Date.now() - started)
          return refused
        }),
      ),
    )
    expect(vendor.stats).toEqual({ requests: 15, limited: 0 })
    // Three windows' worth: the first five at once, then five per window (plus answer times).
    expect(Math.max(...answered)).toBeGreaterThanOrEqual(2 * limit.windowMs)
    expect(Math.max(...answered)).toBeLessThan(5 * limit.windowMs)
  })

  it('counts a request that may not wait (a caller on the phone) and makes the queue wait for it', async () => {
    const limit = { requests: 3, windowMs: 200 }
    const ours = createWindowLimiter(limit)
    const vendor = createRateWindow(limit)
    await Promise.all([1, 2, 3].map(() => ours.charge(async () => vendor.take())))
    expect(ours.waitMs()).toBeGreaterThan(100)
    const t = Date.now()
    expect(await ours.send(async () => vendor.take())).toBeNull()
    expect(Date.now() - t).toBeGreaterThanOrEqual(150)
  })

  it('reads CRM_RATE_LIMITS overrides and keeps the documented limits otherwise', () => {
    const limits = rateLimits('zendesk=700/1m, hubspot=190/10s, nonsense, salesforce=abc/1s')
    expect(limits.zendesk).toEqual({ requests: 700, windowMs: 60_000 })
    expect(limits.hubspot).toEqual({ requests: 190, windowMs: 10_000 })
    expect(limits.salesforce).toEqual({ requests: 100_000, windowMs: 24 * 3600_000 })
    expect(limits.dynamics).toEqual({ requests: 6000, windowMs: 300_000 })
  })
})
