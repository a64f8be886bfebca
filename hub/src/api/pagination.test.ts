import { Hono } from 'hono'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestHub, type TestHub } from '../../test/helpers/hub.ts'
import { DomainError } from '../core/errors.ts'
import { type PaginationQuery, pageWindow, RESULT_CAP } from '../core/pagination.ts'
import { statusOf } from './http-errors.ts'
import { buildMeta, paginationQuery } from './pagination.ts'

/** Aircall: at most 10,000 records per list query, paging included; a page past the cap is a 400. */

const query = (page: number, per_page: number): PaginationQuery =>
  paginationQuery.parse({ page: String(page), per_page: String(per_page) })

function refusal(q: PaginationQuery): DomainError {
  try {
    pageWindow(q)
  } catch (err) {
    if (err instanceof DomainError) return err
    throw err
  }
  throw new Error(`page ${q.page} × ${q.per_page} was not refused`)
}

describe('pageWindow and the 10,000-result cap', () => {
  it('serves every page that starts below result 10,000, the last one cut at the cap', () => {
    expect(RESULT_CAP).toBe(10_000)
    expect(pageWindow(query(1, 20))).toEqual({ offset: 0, limit: 20 })
    expect(pageWindow(query(200, 50))).toEqual({ offset: 9950, limit: 50 })
    expect(pageWindow(query(10_000, 1))).toEqual({ offset: 9999, limit: 1 })
    // 30 × 333 = 9,990: page 334 holds results 9,991 to 10,000 only.
    expect(pageWindow(query(334, 30))).toEqual({ offset: 9990, limit: 10 })
  })

  it('refuses a page starting at result 10,000 or beyond with 400 naming page', () => {
    for (const [page, perPage] of [
      [201, 50],
      [10_001, 1],
      [335, 30],
      [1_000_000, 50],
    ] as const) {
      const err = refusal(query(page, perPage))
      expect(statusOf(err.code)).toBe(400)
      expect(err.extra.field).toBe('page')
      expect(err.message).toContain('10000')
    }
  })
})

describe('buildMeta at the cap', () => {
  const metaOf = async (page: number, perPage: number, count: number, total: number) => {
    const app = new Hono().get('/v1/calls', (c) => c.json(buildMeta(c, query(page, perPage), count, total)))
    const res = await app.request(`http://hub.test/v1/calls?page=${page}&per_page=${perPage}`)
    return res.json()
  }

  it('offers no next page past result 10,000 even when more match, and reports the real total', async () => {
    expect(await metaOf(200, 50, 50, 25_000)).toEqual({
      count: 50,
      total: 25_000,
      current_page: 200,
      per_page: 50,
      next_page_link: null,
      previous_page_link: 'http://hub.test/v1/calls?page=199&per_page=50',
    })
    expect((await metaOf(199, 50, 50, 25_000)).next_page_link).toBe(
      'http://hub.test/v1/calls?page=200&per_page=50',
    )
    expect((await metaOf(333, 30, 30, 25_000)).next_page_link).toBe(
      'http://hub.test/v1/calls?page=334&per_page=30',
    )
    expect((await metaOf(334, 30, 10, 25_000)).next_page_link).toBeNull()
  })
})

describe('the cap through the API', () => {
  let hub: TestHub
  beforeAll(async () => {
    hub = await createTestHub()
  })
  afterAll(() => hub.close())

  it('answers the last page below the cap and 400 naming page past it', async () => {
    const company = await hub.createCompany()
    const last = await hub.call('GET', '/v1/users?page=200&per_page=50', { auth: company.basic })
    expect(last.status).toBe(200)
    expect(last.body.users).toEqual([])
    expect(last.body.meta).toMatchObject({ count: 0, total: 2, current_page: 200, next_page_link: null })
    for (const path of ['/v1/users', '/v1/contacts', '/v1/numbers']) {
      const res = await hub.call('GET', `${path}?page=201&per_page=50`, { auth: company.basic })
      expect(res.status, path).toBe(400)
      expect(res.body.field, path).toBe('page')
      expect(res.body.message, path).toContain('from/to')
    }
  })
})
