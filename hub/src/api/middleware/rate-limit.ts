import { eq } from 'drizzle-orm'
import { createMiddleware } from 'hono/factory'
import { DomainError } from '../../core/errors.ts'
import { companies } from '../../db/schema/index.ts'
import type { AppEnv } from '../context.ts'
import type { RateCounter } from './rate-counter.ts'

const WINDOW_MS = 60_000

/**
 * Fixed one-minute window per company, counted by `counter`: this process's memory by default,
 * or Redis shared by every web instance (REDIS_URL). Headers as Aircall:
 * X-AircallApi-Limit / -Remaining / -Reset (reset = UNIX seconds of the window's end).
 * When the counter fails (Redis unreachable) the request goes through (fail open) and a
 * warning is logged at most once a minute; Remaining then reports the full limit.
 */
export function createRateLimiter(counter: RateCounter) {
  const limits = new Map<number, { limit: number; loadedAt: number }>()
  let lastWarnedAt = Number.NEGATIVE_INFINITY
  return createMiddleware<AppEnv>(async (c, next) => {
    const { clock, db, env } = c.var.deps
    const companyId = c.var.actor.companyId
    const now = clock.now().getTime()
    const windowStart = Math.floor(now / WINDOW_MS) * WINDOW_MS
    let cached = limits.get(companyId)
    if (!cached || now - cached.loadedAt > WINDOW_MS) {
      const [row] = await db
        .select({ limit: companies.rateLimitPerMinute })
        .from(companies)
        .where(eq(companies.id, companyId))
      cached = { limit: row?.limit ?? env.RATE_LIMIT_PER_MINUTE, loadedAt: now }
      limits.set(companyId, cached)
    }
    const { limit } = cached
    let count = 0
    try {
      count = await counter.hit(companyId, windowStart)
    } catch (err) {
      if (now - lastWarnedAt >= WINDOW_MS) {
        lastWarnedAt = now
        c.var.log.warn({ err }, 'rate-limit counter unavailable: letting API requests through')
      }
    }
    const remaining = Math.max(0, limit - count)
    c.header('X-AircallApi-Limit', String(limit))
    c.header('X-AircallApi-Remaining', String(remaining))
    c.header('X-AircallApi-Reset', String(Math.ceil((windowStart + WINDOW_MS) / 1000)))
    if (count > limit) {
      c.header('Retry-After', String(Math.max(1, Math.ceil((windowStart + WINDOW_MS - now) / 1000))))
      throw new DomainError('rate_limited')
    }
    await next()
  })
}
