import { z } from '@hono/zod-openapi'
import { and, asc, desc, gte, lte, type SQL } from 'drizzle-orm'
import type { PgColumn } from 'drizzle-orm/pg-core'
import type { Context } from 'hono'
import { ApiError } from '../errors.ts'

/** Aircall caps every list at 10,000 results, paging included. */
export const RESULT_CAP = 10_000

/** 9999-12-31T23:59:59Z: later from/to values are not dates the database (or Date) can hold. */
export const MAX_UNIX_SECONDS = 253_402_300_799

export const paginationQuery = z.object({
  page: z.coerce.number().int().min(1).default(1).openapi({ example: 1 }),
  per_page: z.coerce.number().int().min(1).max(50).default(20).openapi({ example: 20 }),
  order: z.enum(['asc', 'desc']).default('asc'),
  from: z.coerce
    .number()
    .int()
    .min(0)
    .max(MAX_UNIX_SECONDS)
    .optional()
    .openapi({ description: 'UNIX seconds, inclusive' }),
  to: z.coerce
    .number()
    .int()
    .min(0)
    .max(MAX_UNIX_SECONDS)
    .optional()
    .openapi({ description: 'UNIX seconds, inclusive' }),
})
export type PaginationQuery = z.infer<typeof paginationQuery>

export const metaSchema = z
  .object({
    count: z.number().int(),
    total: z.number().int(),
    current_page: z.number().int(),
    per_page: z.number().int(),
    next_page_link: z.string().nullable(),
    previous_page_link: z.string().nullable(),
  })
  .openapi('Meta')

export type Meta = z.infer<typeof metaSchema>

/** Offset/limit of a page; pages past the 10,000-result cap answer 400 as Aircall does. */
export function pageWindow(q: PaginationQuery) {
  const offset = (q.page - 1) * q.per_page
  if (offset >= RESULT_CAP) {
    throw new ApiError(
      'bad_request',
      `page: results are capped at ${RESULT_CAP}; narrow the query with from/to`,
      {
        field: 'page',
      },
    )
  }
  return { offset, limit: Math.min(q.per_page, RESULT_CAP - offset) }
}

/** from/to (UNIX seconds) filters and created_at ordering on the given column. */
export function timeRange(column: PgColumn, q: PaginationQuery): SQL | undefined {
  return and(
    q.from !== undefined ? gte(column, new Date(q.from * 1000)) : undefined,
    q.to !== undefined ? lte(column, new Date(q.to * 1000)) : undefined,
  )
}

export function orderBy(column: PgColumn, q: PaginationQuery, tieBreaker: PgColumn): SQL[] {
  return q.order === 'desc' ? [desc(column), desc(tieBreaker)] : [asc(column), asc(tieBreaker)]
}

/** Absolute base of links the API returns (direct_link, next_page_link). */
export function publicBase(c: Context): string {
  const configured = c.var.deps?.env.PUBLIC_URL
  if (configured) return configured.replace(/\/$/, '')
  const url = new URL(c.req.url)
  return `${url.protocol}//${url.host}`
}

export function buildMeta(c: Context, q: PaginationQuery, count: number, total: number): Meta {
  const cappedTotal = Math.min(total, RESULT_CAP)
  const link = (page: number) => {
    const url = new URL(c.req.url)
    // Appended, not resolved: a PUBLIC_URL with a path (https://host/phone) keeps it, as direct_link does.
    const abs = new URL(`${publicBase(c)}${url.pathname}${url.search}`)
    abs.searchParams.set('page', String(page))
    abs.searchParams.set('per_page', String(q.per_page))
    return abs.toString()
  }
  const hasNext = q.page * q.per_page < cappedTotal
  return {
    count,
    total,
    current_page: q.page,
    per_page: q.per_page,
    next_page_link: hasNext ? link(q.page + 1) : null,
    previous_page_link: q.page > 1 ? link(q.page - 1) : null,
  }
}
