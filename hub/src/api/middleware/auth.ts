import { and, eq, isNull } from 'drizzle-orm'
import { createMiddleware } from 'hono/factory'
import type { Actor } from '../../core/actor.ts'
import { DomainError } from '../../core/errors.ts'
import { safeEqual, sha256 } from '../../core/hashing.ts'
import { apiKeys, users, userTokens } from '../../db/schema/index.ts'
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
  const [scheme, value = ''] = header.split(/\s+/, 2)
  let actor: Actor | undefined
  if (scheme?.toLowerCase() === 'basic') {
    const decoded = Buffer.from(value, 'base64').toString('utf8')
    const sep = decoded.indexOf(':')
    const apiId = decoded.slice(0, sep)
    // An api_id PostgreSQL cannot even compare (a NUL) is just a wrong one: 403, not a 400.
    if (sep > 0 && !apiId.includes('\u0000')) {
      const token = decoded.slice(sep + 1)
      const [key] = await db
        .select()
        .from(apiKeys)
        .where(and(eq(apiKeys.apiId, apiId), isNull(apiKeys.revokedAt)))
        .limit(1)
      if (key && safeEqual(key.tokenHash, sha256(token))) {
        actor = { type: 'api_key', companyId: key.companyId, apiKeyId: key.id }
        if (isStale(key.lastUsedAt, clock.now())) {
          await db.update(apiKeys).set({ lastUsedAt: clock.now() }).where(eq(apiKeys.id, key.id))
        }
      }
    }
  } else if (scheme?.toLowerCase() === 'bearer' && value) {
    const [row] = await db
      .select({ token: userTokens, role: users.role })
      .from(userTokens)
      .innerJoin(users, eq(users.id, userTokens.userId))
      .where(and(eq(userTokens.tokenHash, sha256(value)), isNull(userTokens.revokedAt)))
      .limit(1)
    if (row && (!row.token.expiresAt || row.token.expiresAt > clock.now())) {
      actor = {
        type: 'user',
        companyId: row.token.companyId,
        userId: row.token.userId,
        role: row.role,
        tokenId: row.token.id,
        tokenKind: row.token.kind,
      }
      if (isStale(row.token.lastUsedAt, clock.now())) {
        await db.update(userTokens).set({ lastUsedAt: clock.now() }).where(eq(userTokens.id, row.token.id))
      }
    }
  }
  if (!actor) throw new DomainError('forbidden')
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
