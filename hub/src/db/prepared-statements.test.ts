import { eq, sql } from 'drizzle-orm'
import { integer, pgTable } from 'drizzle-orm/pg-core'
import { drizzle } from 'drizzle-orm/postgres-js'
import type postgres from 'postgres'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type ServerTarget, startTestServer } from '../../test/helpers/postgres-server.ts'
import { PREPARE_MAX_PARAMS, PREPARE_MAX_TEXTS, preparedPool } from './prepared-statements.ts'

const probes = pgTable('prepared_statement_probes', { id: integer('id').primaryKey() })

let target: ServerTarget
let stop: () => Promise<void>
const pools: postgres.Sql[] = []

beforeAll(async () => {
  ;({ target, stop } = await startTestServer())
  const db = database()
  await db.execute(sql`create table if not exists prepared_statement_probes (id int primary key)`)
}, 120_000)

afterAll(async () => {
  await Promise.all(pools.map((p) => p.end({ timeout: 5 })))
  await stop()
})

/** A drizzle database on a pool of one connection (so every statement shares its session). */
function database(options: { prepare?: boolean } = {}) {
  const pool = preparedPool(target, { max: 1, onnotice: () => {}, ...options })
  pools.push(pool)
  return drizzle({ client: pool })
}

type Db = ReturnType<typeof database>

/**
 * The session's named statements with parameters: postgres-js names a few of its own without
 * any (its type lookup on connecting, a transaction's `commit`), as it always did.
 */
async function preparedTexts(db: Db): Promise<string[]> {
  const rows = (await db.execute(
    sql`select statement from pg_prepared_statements order by prepare_time`,
  )) as unknown as { statement: string }[]
  return rows.map((r) => r.statement).filter((text) => text.includes('$1'))
}

describe('named statements', () => {
  it('parses a statement with parameters once per connection, then runs it by name', async () => {
    const db = database()
    await db.transaction(async (tx) => {
      for (const n of [1, 2, 3]) {
        const [row] = (await tx.execute(sql`select ${n}::int + 1 as next`)) as unknown as { next: number }[]
        expect(row?.next).toBe(n + 1)
      }
    })
    // A drizzle query builder goes the same way (outside a transaction too).
    await db.select({ id: probes.id }).from(probes).where(eq(probes.id, 1))
    await db.select({ id: probes.id }).from(probes).where(eq(probes.id, 2))
    const texts = await preparedTexts(db)
    expect(texts).toHaveLength(2)
    expect(texts[0]).toBe('select $1::int + 1 as next')
    expect(texts[1]).toMatch(
      /^select "id" from "prepared_statement_probes" where "prepared_statement_probes"."id" = \$1$/,
    )
  })

  it('leaves queue scans unnamed, so each run is planned with its values', async () => {
    const db = database()
    await db.transaction(async (tx) => {
      for (const limit of [1, 2]) {
        await tx.execute(
          sql`select id from prepared_statement_probes order by id limit ${limit} for update skip locked`,
        )
        await tx.execute(sql`select id from prepared_statement_probes where id = ${limit}`)
      }
    })
    expect(await preparedTexts(db)).toEqual(['select id from prepared_statement_probes where id = $1'])
    // The others keep PostgreSQL's default: a generic plan once it is estimated no dearer.
    const [row] = (await db.execute(sql`show plan_cache_mode`)) as unknown as { plan_cache_mode: string }[]
    expect(row?.plan_cache_mode).toBe('auto')
  })

  it('leaves a statement with many parameters unnamed', async () => {
    const db = database()
    const values = Array.from({ length: PREPARE_MAX_PARAMS + 1 }, (_, i) => sql`${i}::int`)
    const [row] = (await db.execute(sql`select array[${sql.join(values, sql`, `)}] as a`)) as unknown as {
      a: number[]
    }[]
    expect(row?.a).toHaveLength(PREPARE_MAX_PARAMS + 1)
    const few = Array.from({ length: PREPARE_MAX_PARAMS }, (_, i) => sql`${i}::int`)
    await db.execute(sql`select array[${sql.join(few, sql`, `)}] as a`)
    const texts = await preparedTexts(db)
    expect(texts).toHaveLength(1)
    expect(texts[0]).toContain(`$${PREPARE_MAX_PARAMS}::int]`)
  })

  it(`names only the first ${PREPARE_MAX_TEXTS} distinct statements of a pool`, async () => {
    const db = database()
    for (let i = 0; i < PREPARE_MAX_TEXTS + 5; i++) {
      await db.execute(sql`select ${i}::int as ${sql.identifier(`c${i}`)}`)
    }
    // The first ones are named and stay so; the later ones run unnamed.
    await db.execute(sql`select ${7}::int as ${sql.identifier(`c${PREPARE_MAX_TEXTS + 2}`)}`)
    const texts = await preparedTexts(db)
    expect(texts).toHaveLength(PREPARE_MAX_TEXTS)
    expect(texts).not.toContain(`select $1::int as "c${PREPARE_MAX_TEXTS + 2}"`)
  })

  it('names nothing when the connection says prepare=false (a pooler in transaction mode)', async () => {
    const db = database({ prepare: false })
    await db.transaction(async (tx) => {
      await tx.execute(sql`select ${1}::int as one`)
      await tx.execute(sql`select ${1}::int as one`)
    })
    expect(await preparedTexts(db)).toEqual([])
  })
})
