import { and, count, eq, isNull } from 'drizzle-orm'
import { DomainError, notFound } from '../../core/errors.ts'
import { type PaginationQuery, pageWindow } from '../../core/pagination.ts'
import { orderBy, timeRange } from '../../db/list-query.ts'
import { userTokens } from '../../db/schema/index.ts'
import type { ServiceContext } from '../context.ts'
import { issueUserToken } from './user-tokens.ts'

type TokenRow = typeof userTokens.$inferSelect

export const toAgentTokenJson = (t: TokenRow) => ({
  id: t.id,
  name: t.name ?? '',
  created_at: t.createdAt.toISOString(),
  last_used_at: t.lastUsedAt?.toISOString() ?? null,
})

function userOf(ctx: ServiceContext) {
  if (ctx.actor.type !== 'user') throw new DomainError('forbidden', 'This endpoint needs a user token')
  return ctx.actor
}

const ownLive = (ctx: ServiceContext, userId: number) =>
  and(
    eq(userTokens.companyId, ctx.companyId),
    eq(userTokens.userId, userId),
    eq(userTokens.kind, 'agent'),
    isNull(userTokens.revokedAt),
  )

export async function listAgentTokens(ctx: ServiceContext, q: PaginationQuery) {
  const actor = userOf(ctx)
  const { offset, limit } = pageWindow(q)
  const where = and(ownLive(ctx, actor.userId), timeRange(userTokens.createdAt, q))
  const rows = await ctx.db
    .select()
    .from(userTokens)
    .where(where)
    .orderBy(...orderBy(userTokens.createdAt, q, userTokens.id))
    .limit(limit)
    .offset(offset)
  const [total] = await ctx.db.select({ n: count() }).from(userTokens).where(where)
  return { items: rows.map(toAgentTokenJson), total: total?.n ?? 0 }
}

/**
 * A long-lived token for the Chrome extension, shown once. Only a dashboard session may mint
 * one: a leaked agent token must not be able to create successors that outlive its revocation.
 */
export async function createAgentToken(ctx: ServiceContext, name: string) {
  const actor = userOf(ctx)
  if (actor.tokenKind !== 'session') {
    throw new DomainError('forbidden', 'Agent tokens are created from a dashboard session')
  }
  const { row, token } = await issueUserToken(ctx.db, ctx.clock, {
    companyId: ctx.companyId,
    userId: actor.userId,
    kind: 'agent',
    name,
  })
  return { ...toAgentTokenJson(row), token }
}

/** Revokes one of the caller's agent tokens; it answers 403 from the next request on. */
export async function revokeAgentToken(ctx: ServiceContext, id: number) {
  const actor = userOf(ctx)
  const now = ctx.clock.now()
  const [row] = await ctx.db
    .update(userTokens)
    .set({ revokedAt: now, updatedAt: now })
    .where(and(ownLive(ctx, actor.userId), eq(userTokens.id, id)))
    .returning({ id: userTokens.id })
  if (!row) throw notFound('Agent token not found')
}
