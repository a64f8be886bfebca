import { eq } from 'drizzle-orm'
import { createMiddleware } from 'hono/factory'
import { DomainError } from '../../core/errors.ts'
import { apiKeys, userTokens } from '../../db/schema/index.ts'
import { resolveCredential } from '../../services/auth/verify-credential.ts'
import type { AppEnv } from '../context.ts'

/** last_used_at is written at most once a minute per key or token: one UPDATE, not one per request. */
const isStale = (lastUsedAt: Date | null, now: Date) =>
  !lastUsedAt || now.getTime() - lastUsedAt.getTime() >= 60_000

/**
 * Basic `api_id:api_token` (company API key, admin rights) or `Bearer <token>` (a user's
 * dashboard session or agent token). No header → 401, anything wrong with it → 403, as
 * Aircall answers.
 */
export const authenticate = createMiddleware<AppEnv>(async (c, next) => {
  const header = c.req.header('authorization')
  if (!header) throw new DomainError('unauthorized')
  const { db, clock } = c.var.deps
  const now = clock.now()
  const verified = await resolveCredential(db, header, now)
  if (!verified) throw new DomainError('forbidden')
  const actor = verified.actor
  if (isStale(verified.lastUsedAt, now)) {
    // Marked first, so the requests running alongside this one do not write it too.
    verified.lastUsedAt = now
    if (actor.type === 'api_key') {
      await db.update(apiKeys).set({ lastUsedAt: now }).where(eq(apiKeys.id, actor.apiKeyId))
    } else {
      await db.update(userTokens).set({ lastUsedAt: now }).where(eq(userTokens.id, actor.tokenId))
    }
  }
  c.set('actor', actor)
  await next()
})

/** Admin endpoints: API keys and admin users only; agents get 403. */
export const requireAdmin = createMiddleware<AppEnv>(async (c, next) => {
  const actor = c.var.actor
  if (actor.type === 'user' && actor.role !== 'admin') {
    throw new DomainError('forbidden', 'This endpoint needs an admin')
  }
  await next()
})

/** Endpoints that act as a user (their status, their calls): a user token is needed. */
export const requireUser = createMiddleware<AppEnv>(async (c, next) => {
  if (c.var.actor.type !== 'user') throw new DomainError('forbidden', 'This endpoint needs a user token')
  await next()
})
