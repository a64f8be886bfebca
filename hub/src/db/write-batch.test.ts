import { eq, sql } from 'drizzle-orm'
import { integer, jsonb, pgTable, text, timestamp } from 'drizzle-orm/pg-core'
import { drizzle } from 'drizzle-orm/postgres-js'
import type postgres from 'postgres'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { countingPool, type ServerTarget, startTestServer } from '../../test/helpers/postgres-server.ts'
import type { Queryable } from './client.ts'
import { compiled } from './compiled.ts'
import { writeBatch } from './write-batch.ts'

// writeBatch on a real server, through the hub's pool (named statements, pipelined BEGIN).

const probes = pgTable('batch_probes', { id: integer('id').primaryKey(), note: text('note').notNull() })
const log = pgTable('batch_log', {
  id: integer('id').primaryKey(),
  data: jsonb('data').notNull(),
  at: timestamp('at', { withTimezone: true }).notNull(),
})

const insertLog = compiled((db: Queryable) =>
  db
    .insert(log)
    .values({ id: sql.placeholder('id'), data: sql.placeholder('data'), at: sql.placeholder('at') }),
)

let target: ServerTarget
let stop: () => Promise<void>
let pool: postgres.Sql
let writes: { count: number }
/** The statements the server was sent that name the test's tables. */
const sent: string[] = []
let db: Queryable

beforeAll(async () => {
  ;({ target, stop } = await startTestServer())
  ;({ pool, writes } = countingPool(target, {
    max: 1,
    debug: (_connection: number, query: string) => {
      if (/batch_(probes|log)|^commit/.test(query)) sent.push(query)
    },
  } as postgres.Options<Record<string, postgres.PostgresType>>))
  db = drizzle({ client: pool }) as unknown as Queryable
  await db.execute(sql`drop table if exists batch_probes, batch_log`)
  await db.execute(sql`create table batch_probes (id int primary key, note text not null)`)
  await db.execute(
    sql`create table batch_log (id int primary key, data jsonb not null, at timestamptz not null)`,
  )
}, 120_000)

afterAll(async () => {
  await pool?.end({ timeout: 5 })
  await stop()
})

const notes = async () => (await db.select().from(probes).orderBy(probes.id)).map((r) => `${r.id}:${r.note}`)

describe('writeBatch', () => {
  it('sends the writes recorded on it as one statement when run, builders and compiled statements alike', async () => {
    await db.insert(probes).values({ id: 1, note: 'old' })
    const at = new Date('2026-12-07T05:00:00.000Z')
    sent.length = 0
    await db.transaction(async (tx) => {
      const batch = writeBatch(tx)
      await Promise.all([
        batch.db.insert(probes).values({ id: 2, note: 'two' }),
        batch.db.update(probes).set({ note: 'one' }).where(eq(probes.id, 1)),
        insertLog(batch.db, { id: 7, data: { call: 7, tags: ['a', 'b'] }, at }),
        insertLog(batch.db, { id: 8, data: { call: 8 }, at }),
      ])
      // Recorded, not sent: the transaction does not see them yet.
      expect(sent).toEqual([])
      expect((await tx.select().from(probes)).length).toBe(1)
      await batch.run()
      expect(await tx.select({ id: probes.id }).from(probes).orderBy(probes.id)).toEqual([
        { id: 1 },
        { id: 2 },
      ])
    })
    const statements = sent.filter((q) => !/^(select|commit)/.test(q))
    expect(statements).toHaveLength(1)
    // Four CTEs, in the order the writes reached the database (they run on one snapshot).
    expect(statements[0]).toMatch(/^with w0 as \(.*, w3 as \((insert|update).*\) select 1$/)
    expect(statements[0]).not.toMatch(/w4 as/)
    expect(await notes()).toEqual(['1:one', '2:two'])
    // The values went through their columns' encoders: JSON as JSON, a date as that instant.
    expect(await db.select().from(log).orderBy(log.id)).toEqual([
      { id: 7, data: { call: 7, tags: ['a', 'b'] }, at },
      { id: 8, data: { call: 8 }, at },
    ])
  })

  it('sends a lone write as itself, and nothing when nothing was recorded', async () => {
    sent.length = 0
    await db.transaction(async (tx) => {
      const empty = writeBatch(tx)
      await empty.run()
      const batch = writeBatch(tx)
      await batch.db.insert(probes).values({ id: 3, note: 'three' })
      await batch.run()
    })
    expect(sent).toEqual([expect.stringMatching(/^insert into "batch_probes"/), 'commit'])
    expect(await notes()).toContain('3:three')
  })

  it('fails as a whole with the failing write’s error, and the transaction with it', async () => {
    await expect(
      db.transaction(async (tx) => {
        const batch = writeBatch(tx)
        await Promise.all([
          batch.db.insert(probes).values({ id: 4, note: 'four' }),
          batch.db.insert(probes).values({ id: 1, note: 'taken' }),
        ])
        await batch.run()
      }),
    ).rejects.toMatchObject({ cause: { code: '23505' } })
    expect(await notes()).not.toContain('4:four')
    expect(await notes()).toContain('1:one')
  })

  describe('runLast, as a transaction’s last statement', () => {
    it('has COMMIT follow it in the same write, with no wait for its answer', async () => {
      const writesOf = async (last: boolean, id: number) => {
        await db.execute(sql`select 1`)
        const before = writes.count
        await db.transaction(async (tx) => {
          // A first statement answered: BEGIN went with it.
          await tx.select().from(probes).where(eq(probes.id, 0))
          const batch = writeBatch(tx)
          await batch.db.insert(probes).values({ id, note: 'last' })
          await (last ? batch.runLast() : batch.run())
        })
        return writes.count - before
      }
      // Once each, so that the server knows the statements (a named statement's first run
      // describes it first: one more round trip).
      await writesOf(true, 40)
      await writesOf(false, 41)
      // BEGIN and the select; the insert and COMMIT (three writes when COMMIT waits).
      expect(await writesOf(true, 42)).toBe(2)
      expect(await writesOf(false, 43)).toBe(3)
      expect(await notes()).toEqual(expect.arrayContaining(['40:last', '41:last', '42:last', '43:last']))
    })

    it('fails the transaction with its error when it fails, and nothing is written', async () => {
      const attempt = db.transaction(async (tx) => {
        const batch = writeBatch(tx)
        await Promise.all([
          batch.db.insert(probes).values({ id: 50, note: 'fifty' }),
          batch.db.insert(probes).values({ id: 1, note: 'taken' }),
        ])
        await batch.runLast()
        return 'returned before the answer'
      })
      await expect(attempt).rejects.toMatchObject({ code: '23505' })
      expect(await notes()).not.toContain('50:fifty')
      // The connection is clean for the next transaction.
      await db.transaction(async (tx) => {
        const batch = writeBatch(tx)
        await batch.db.insert(probes).values({ id: 51, note: 'fifty-one' })
        await batch.runLast()
      })
      expect(await notes()).toContain('51:fifty-one')
    })

    it('keeps the order of the statements the transaction runs after it', async () => {
      await db.transaction(async (tx) => {
        const batch = writeBatch(tx)
        await batch.db.insert(probes).values({ id: 60, note: 'first' })
        await batch.runLast()
        await tx.update(probes).set({ note: 'then updated' }).where(eq(probes.id, 60))
      })
      expect(await notes()).toContain('60:then updated')
    })
  })
})
