import { z } from '@hono/zod-openapi'
import type { Context } from 'hono'
import { MAX_UNIX_SECONDS, type PaginationQuery, RESULT_CAP } from '../core/pagination.ts'

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
