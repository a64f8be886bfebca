import { eq } from 'drizzle-orm'
import { createMiddleware } from 'hono/factory'
import { companies } from '../../db/schema/index.ts'
import { ApiError } from '../../errors.ts'
import type { AppEnv } from '../context.ts'

type Window = { start: number; count: number; limit: number; limitLoadedAt: number }

/**
 * Fixed one-minute window per company, in this process's memory. Headers as Aircall:
 * X-AircallApi-Limit / -Remaining / -Reset (reset = UNIX seconds of the window's end).
 * Several web instances behind a balancer each count their own window; a shared Redis
 * counter is the follow-up when that matters.
 */
export function createRateLimiter() {
  const windows = new Map<number, Window>()
  return createMiddleware<AppEnv>(async (c, next) => {
    const { clock, db, env } = c.var.deps
    const companyId = c.var.actor.companyId
    const now = clock.now().getTime()
    const minute = Math.floor(now / 60_000) * 60_000
    let w = windows.get(companyId)
    if (!w || now - w.limitLoadedAt > 60_000) {
      const [row] = await db
        .select({ limit: companies.rateLimitPerMinute })
        .from(companies)
        .where(eq(companies.id, companyId))
      const limit = row?.limit ?? env.RATE_LIMIT_PER_MINUTE
      w = { start: w?.start ?? minute, count: w?.count ?? 0, limit, limitLoadedAt: now }
      windows.set(companyId, w)
    }
    if (w.start !== minute) {
      w.start = minute
      w.count = 0
    }
    w.count++
    const remaining = Math.max(0, w.limit - w.count)
    const reset = String(Math.ceil((minute + 60_000) / 1000))
    c.header('X-AircallApi-Limit', String(w.limit))
    c.header('X-AircallApi-Remaining', String(remaining))
    c.header('X-AircallApi-Reset', reset)
    if (w.count > w.limit) {
      c.header('Retry-After', String(Math.max(1, Math.ceil((minute + 60_000 - now) / 1000))))
      throw new ApiError('rate_limited')
    }
    await next()
  })
}
