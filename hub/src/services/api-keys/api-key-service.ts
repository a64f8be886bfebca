import { and, count, eq, isNull } from 'drizzle-orm'
import { notFound } from '../../core/errors.ts'
import { type PaginationQuery, pageWindow } from '../../core/pagination.ts'
import type { Queryable } from '../../db/client.ts'
import { orderBy, timeRange } from '../../db/list-query.ts'
import { apiKeys } from '../../db/schema/index.ts'
import { newSecret } from '../auth/secrets.ts'
import type { ServiceContext } from '../context.ts'
import { toApiKeyJson } from './api-key-json.ts'

/**
 * Creates a company API key: a public `api_id` and a secret `api_token` (Basic auth
 * `api_id:api_token`, as Aircall). Only the token's SHA-256 is stored; the value is returned
 * once. Also used at company setup, inside its transaction.
 */
export async function insertApiKey(db: Queryable, input: { companyId: number; name: string; now: Date }) {
  const apiId = newSecret('sbk', 9)
  const token = newSecret('sbt', 24)
  const [row] = await db
    .insert(apiKeys)
    .values({
      companyId: input.companyId,
      apiId: apiId.value,
      tokenHash: token.hash,
      name: input.name,
      createdAt: input.now,
      updatedAt: input.now,
    })
    .returning()
  return { row: row!, apiToken: token.value }
}

const live = (ctx: ServiceContext) => and(eq(apiKeys.companyId, ctx.companyId), isNull(apiKeys.revokedAt))

export async function listApiKeys(ctx: ServiceContext, q: PaginationQuery) {
  const { offset, limit } = pageWindow(q)
  const where = and(live(ctx), timeRange(apiKeys.createdAt, q))
  const rows = await ctx.db
    .select()
    .from(apiKeys)
    .where(where)
    .orderBy(...orderBy(apiKeys.createdAt, q, apiKeys.id))
    .limit(limit)
    .offset(offset)
  const [total] = await ctx.db.select({ n: count() }).from(apiKeys).where(where)
  return { items: rows.map(toApiKeyJson), total: total?.n ?? 0 }
}

export async function createApiKey(ctx: ServiceContext, name: string) {
  const { row, apiToken } = await insertApiKey(ctx.db, {
    companyId: ctx.companyId,
    name,
    now: ctx.clock.now(),
  })
  return { ...toApiKeyJson(row), api_token: apiToken }
}

/** Revokes a key for good: from the next request on it answers 403. */
export async function revokeApiKey(ctx: ServiceContext, id: number) {
  const now = ctx.clock.now()
  const [row] = await ctx.db
    .update(apiKeys)
    .set({ revokedAt: now, updatedAt: now })
    .where(and(live(ctx), eq(apiKeys.id, id)))
    .returning({ id: apiKeys.id })
  if (!row) throw notFound('API key not found')
}
