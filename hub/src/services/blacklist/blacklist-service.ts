import { normalizePhone } from '@switchboard/shared'
import { and, count, eq } from 'drizzle-orm'
import { badRequest, notFound } from '../../core/errors.ts'
import type { Links } from '../../core/links.ts'
import { type PaginationQuery, pageWindow } from '../../core/pagination.ts'
import type { Queryable } from '../../db/client.ts'
import { orderBy, timeRange } from '../../db/list-query.ts'
import { blacklistedNumbers } from '../../db/schema/index.ts'
import type { ServiceContext } from '../context.ts'

type BlacklistRow = typeof blacklistedNumbers.$inferSelect

export type BlacklistedNumberResource = {
  id: number
  direct_link: string
  number: string
  raw_digits: string
  note: string | null
  created_at: string
}

export type BlacklistInput = { number: string; country?: string; note?: string | null }

export function toBlacklistedNumberJson(row: BlacklistRow, links: Links): BlacklistedNumberResource {
  return {
    id: row.id,
    direct_link: links.blacklistEntry(row.id),
    number: row.e164,
    raw_digits: row.rawDigits,
    note: row.note,
    created_at: row.createdAt.toISOString(),
  }
}

/**
 * E.164 of a number as typed. A number without an international prefix ("+" or "00") only
 * means something with a country, so it needs `country` (ISO 3166 alpha-2).
 */
export function blacklistKey(raw: string, country?: string, field = 'number'): string {
  const international = /^\s*(\+|00)/.test(raw)
  const parsed = normalizePhone(raw, country)
  if (parsed) return parsed.e164
  if (!international && !country) {
    throw badRequest(field, 'not an international number: start it with + or give its country')
  }
  throw badRequest(
    field,
    country ? `not a valid phone number for country ${country}` : 'not a valid phone number',
  )
}

/**
 * Whether calls from this number are refused. The router asks it first for every inbound
 * call, with the caller's E.164 number.
 */
export async function isBlacklisted(
  ctx: Pick<ServiceContext, 'db' | 'companyId'>,
  e164: string,
): Promise<boolean> {
  const [hit] = await ctx.db
    .select({ id: blacklistedNumbers.id })
    .from(blacklistedNumbers)
    .where(and(eq(blacklistedNumbers.companyId, ctx.companyId), eq(blacklistedNumbers.e164, e164)))
    .limit(1)
  return hit !== undefined
}

async function findEntry(db: Queryable, ctx: ServiceContext, entryId: number): Promise<BlacklistRow> {
  const [row] = await db
    .select()
    .from(blacklistedNumbers)
    .where(and(eq(blacklistedNumbers.companyId, ctx.companyId), eq(blacklistedNumbers.id, entryId)))
    .limit(1)
  if (!row) throw notFound('Blacklisted number not found')
  return row
}

export async function listBlacklist(ctx: ServiceContext, q: PaginationQuery) {
  const { offset, limit } = pageWindow(q)
  const where = and(
    eq(blacklistedNumbers.companyId, ctx.companyId),
    timeRange(blacklistedNumbers.createdAt, q),
  )
  const [totalRow] = await ctx.db.select({ n: count() }).from(blacklistedNumbers).where(where)
  const rows = await ctx.db
    .select()
    .from(blacklistedNumbers)
    .where(where)
    .orderBy(...orderBy(blacklistedNumbers.createdAt, q, blacklistedNumbers.id))
    .offset(offset)
    .limit(limit)
  return { entries: rows.map((r) => toBlacklistedNumberJson(r, ctx.links)), total: totalRow?.n ?? 0 }
}

export async function getBlacklistedNumber(ctx: ServiceContext, entryId: number) {
  return toBlacklistedNumberJson(await findEntry(ctx.db, ctx, entryId), ctx.links)
}

/**
 * Blacklists a number. Blacklisting it again is not an error: the existing entry comes back
 * unchanged with `created: false`, so scripts can replay a list safely.
 */
export async function addToBlacklist(
  ctx: ServiceContext,
  input: BlacklistInput,
): Promise<{ entry: BlacklistedNumberResource; created: boolean }> {
  const e164 = blacklistKey(input.number, input.country)
  const now = ctx.clock.now()
  return ctx.db.transaction(async (tx) => {
    const [inserted] = await tx
      .insert(blacklistedNumbers)
      .values({
        companyId: ctx.companyId,
        e164,
        rawDigits: input.number.trim(),
        note: input.note ?? null,
        createdAt: now,
        updatedAt: now,
      })
      .onConflictDoNothing()
      .returning()
    if (inserted) return { entry: toBlacklistedNumberJson(inserted, ctx.links), created: true }
    const [existing] = await tx
      .select()
      .from(blacklistedNumbers)
      .where(and(eq(blacklistedNumbers.companyId, ctx.companyId), eq(blacklistedNumbers.e164, e164)))
    return { entry: toBlacklistedNumberJson(existing!, ctx.links), created: false }
  })
}

export async function removeFromBlacklist(ctx: ServiceContext, entryId: number): Promise<void> {
  const deleted = await ctx.db
    .delete(blacklistedNumbers)
    .where(and(eq(blacklistedNumbers.companyId, ctx.companyId), eq(blacklistedNumbers.id, entryId)))
    .returning({ id: blacklistedNumbers.id })
  if (deleted.length === 0) throw notFound('Blacklisted number not found')
}
