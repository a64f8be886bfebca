import { eq, isNull, sql } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openTestDatabase } from '../../test/helpers/database.ts'
import type { DatabaseHandle, Queryable } from './client.ts'
import { compiled, compiledByShape } from './compiled.ts'
import { companies } from './schema/index.ts'

let handle: DatabaseHandle
beforeAll(async () => {
  handle = await openTestDatabase()
})
afterAll(() => handle.close())

const address = {
  company_name: 'Alpha SAS',
  line1: '1 Main St',
  line2: null,
  city: 'Lyon',
  postal_code: '69001',
  country: 'FR',
  vat_number: null,
}

describe('compiled statements', () => {
  it('answer what drizzle answers (dates, JSON, nulls), on the database and in a transaction, built once', async () => {
    const db = handle.db
    const [a] = await db.insert(companies).values({ name: 'Alpha', billingAddress: address }).returning()
    const [b] = await db.insert(companies).values({ name: 'Beta', rateLimitPerMinute: 90 }).returning()
    let builds = 0
    const byId = compiled((q: Queryable) => {
      builds++
      return q
        .select()
        .from(companies)
        .where(eq(companies.id, sql.placeholder('id')))
    })
    for (const company of [a!, b!]) {
      const direct = await db.select().from(companies).where(eq(companies.id, company.id))
      expect(await byId(db, { id: company.id })).toEqual(direct)
    }
    const inTx = await db.transaction(async (tx) => {
      await tx.update(companies).set({ name: 'Alpha renamed' }).where(eq(companies.id, a!.id))
      return byId(tx, { id: a!.id })
    })
    expect(inTx).toMatchObject([{ id: a!.id, name: 'Alpha renamed', billingAddress: address }])
    expect(inTx[0]!.createdAt).toBeInstanceOf(Date)
    expect(await byId(db, { id: 0 })).toEqual([])
    expect(builds).toBe(1)
  })

  it('by shape: one statement per set of columns, null written as SQL null, undefined left alone', async () => {
    const db = handle.db
    const [c] = await db
      .insert(companies)
      .values({ name: 'Gamma', rateLimitPerMinute: 60, billingAddress: address })
      .returning()
    const shapes = new Set<string>()
    const update = compiledByShape(
      (change: Partial<typeof companies.$inferInsert>) => {
        const shape = Object.keys(change).sort().join(',')
        shapes.add(shape)
        return shape
      },
      (q: Queryable, change: Partial<typeof companies.$inferInsert>) =>
        q
          .update(companies)
          .set(
            Object.fromEntries(
              Object.entries(change).map(([k, v]) => [k, v === null ? null : sql.placeholder(k)]),
            ),
          )
          .where(eq(companies.id, sql.placeholder('id'))),
    )
    await update(db, { name: 'x' }, { name: 'Gamma 2', id: c!.id })
    await update(db, { name: 'x' }, { name: 'Gamma 3', id: c!.id })
    await update(db, { billingAddress: null, rateLimitPerMinute: 1 }, { rateLimitPerMinute: 30, id: c!.id })
    const [row] = await db.select().from(companies).where(eq(companies.id, c!.id))
    expect(row).toMatchObject({ name: 'Gamma 3', rateLimitPerMinute: 30, billingAddress: null })
    // SQL null, not JSON's null: as drizzle's own set({ billingAddress: null }) writes it.
    const sqlNull = await db
      .select({ id: companies.id })
      .from(companies)
      .where(isNull(companies.billingAddress))
    expect(sqlNull.map((r) => r.id)).toContain(c!.id)
    expect([...shapes].sort()).toEqual(['billingAddress,rateLimitPerMinute', 'name'])
  })
})
