import { and, asc, desc, gte, lte, type SQL } from 'drizzle-orm'
import type { PgColumn } from 'drizzle-orm/pg-core'
import type { PaginationQuery } from '../core/pagination.ts'

/** from/to (UNIX seconds, inclusive) filter on the given column. */
export function timeRange(column: PgColumn, q: PaginationQuery): SQL | undefined {
  return and(
    q.from !== undefined ? gte(column, new Date(q.from * 1000)) : undefined,
    q.to !== undefined ? lte(column, new Date(q.to * 1000)) : undefined,
  )
}

/** The list's order on `column`, with a unique tie-breaker so pages never overlap. */
export function orderBy(column: PgColumn, q: PaginationQuery, tieBreaker: PgColumn): SQL[] {
  return q.order === 'desc' ? [desc(column), desc(tieBreaker)] : [asc(column), asc(tieBreaker)]
}
