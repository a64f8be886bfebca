import { DomainError } from './errors.ts'

/** Aircall caps every list at 10,000 results, paging included. */
export const RESULT_CAP = 10_000

/** 9999-12-31T23:59:59Z: later from/to values are not dates the database (or Date) can hold. */
export const MAX_UNIX_SECONDS = 253_402_300_799

/** A list request: page (1-based), page size, created_at order and from/to bounds in UNIX seconds. */
export type PaginationQuery = {
  page: number
  per_page: number
  order: 'asc' | 'desc'
  from?: number | undefined
  to?: number | undefined
}

/** Offset/limit of a page; pages past the 10,000-result cap are refused as Aircall does. */
export function pageWindow(q: PaginationQuery) {
  const offset = (q.page - 1) * q.per_page
  if (offset >= RESULT_CAP) {
    throw new DomainError(
      'bad_request',
      `page: results are capped at ${RESULT_CAP}; narrow the query with from/to`,
      { field: 'page' },
    )
  }
  return { offset, limit: Math.min(q.per_page, RESULT_CAP - offset) }
}
