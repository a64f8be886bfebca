import { and, count, eq, ne, type SQL, sql } from 'drizzle-orm'
import { badRequest, DomainError, notFound } from '../../core/errors.ts'
import { type PaginationQuery, pageWindow } from '../../core/pagination.ts'
import { uniqueViolation } from '../../core/postgres-errors.ts'
import type { Queryable } from '../../db/client.ts'
import { orderBy, timeRange } from '../../db/list-query.ts'
import { tags } from '../../db/schema/index.ts'
import type { ServiceContext } from '../context.ts'
import { type TagResource, type TagRow, toTagJson } from './tag-json.ts'

export type TagInput = { name: string; color: string; description?: string | null }

const ofCompany = (ctx: ServiceContext, tagId: number) =>
  and(eq(tags.companyId, ctx.companyId), eq(tags.id, tagId))

async function findTag(db: Queryable, ctx: ServiceContext, tagId: number): Promise<TagRow> {
  const [tag] = await db.select().from(tags).where(ofCompany(ctx, tagId)).limit(1)
  if (!tag) throw notFound('Tag not found')
  return tag
}

/**
 * Conference, Callback Request, Called Back and Follow Up are set by the call engine itself;
 * renaming or deleting them would break that, so they answer 405 (Aircall's "not allowed in
 * the current state"), never 403, which clients read as bad credentials.
 */
function assertEditable(tag: TagRow) {
  if (tag.isSystem)
    throw new DomainError('not_allowed', `"${tag.name}" is a system tag: it cannot be edited or deleted`)
}

/**
 * Names are unique per company, compared case-insensitively ("Sales" and "sales" would be
 * indistinguishable in reports). The unique index on (company_id, name) backs the exact case.
 */
async function assertNameFree(db: Queryable, ctx: ServiceContext, name: string, exceptId?: number) {
  const conditions: SQL[] = [eq(tags.companyId, ctx.companyId), sql`lower(${tags.name}) = lower(${name})`]
  if (exceptId !== undefined) conditions.push(ne(tags.id, exceptId))
  const [taken] = await db
    .select({ id: tags.id })
    .from(tags)
    .where(and(...conditions))
    .limit(1)
  if (taken) throw duplicateName()
}
const duplicateName = () => badRequest('name', 'a tag with this name already exists')

/** Postgres unique violation, through drizzle's error wrapper (a concurrent rename or create). */

export async function listTags(ctx: ServiceContext, q: PaginationQuery) {
  const { offset, limit } = pageWindow(q)
  const where = and(eq(tags.companyId, ctx.companyId), timeRange(tags.createdAt, q))
  const [totalRow] = await ctx.db.select({ n: count() }).from(tags).where(where)
  const rows = await ctx.db
    .select()
    .from(tags)
    .where(where)
    .orderBy(...orderBy(tags.createdAt, q, tags.id))
    .offset(offset)
    .limit(limit)
  return { tags: rows.map((t) => toTagJson(t, ctx.links)), total: totalRow?.n ?? 0 }
}

export async function getTag(ctx: ServiceContext, tagId: number) {
  return toTagJson(await findTag(ctx.db, ctx, tagId), ctx.links)
}

export async function createTag(ctx: ServiceContext, input: TagInput): Promise<TagResource> {
  return ctx.db.transaction(async (tx) => {
    await assertNameFree(tx, ctx, input.name)
    const now = ctx.clock.now()
    const [tag] = await tx
      .insert(tags)
      .values({
        companyId: ctx.companyId,
        name: input.name,
        color: input.color,
        description: input.description ?? null,
        createdAt: now,
        updatedAt: now,
      })
      .onConflictDoNothing()
      .returning()
    if (!tag) throw duplicateName()
    return toTagJson(tag, ctx.links)
  })
}

export async function updateTag(
  ctx: ServiceContext,
  tagId: number,
  input: Partial<TagInput>,
): Promise<TagResource> {
  try {
    return await ctx.db.transaction(async (tx) => {
      assertEditable(await findTag(tx, ctx, tagId))
      if (input.name !== undefined) await assertNameFree(tx, ctx, input.name, tagId)
      const [tag] = await tx
        .update(tags)
        .set({
          ...(input.name !== undefined && { name: input.name }),
          ...(input.color !== undefined && { color: input.color }),
          ...(input.description !== undefined && { description: input.description }),
          updatedAt: ctx.clock.now(),
        })
        .where(ofCompany(ctx, tagId))
        .returning()
      return toTagJson(tag!, ctx.links)
    })
  } catch (err) {
    if (uniqueViolation(err) !== undefined) throw duplicateName()
    throw err
  }
}

export async function deleteTag(ctx: ServiceContext, tagId: number): Promise<void> {
  await ctx.db.transaction(async (tx) => {
    assertEditable(await findTag(tx, ctx, tagId))
    // Aircall also removes a deleted tag from every call that had it. Calls are not built yet:
    // when the call_tags table lands, delete its rows for this tag here, in this transaction.
    await tx.delete(tags).where(ofCompany(ctx, tagId))
  })
}
