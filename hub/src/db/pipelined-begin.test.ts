import { setTimeout as sleep } from 'node:timers/promises'
import { sql } from 'drizzle-orm'
import { drizzle } from 'drizzle-orm/postgres-js'
import type postgres from 'postgres'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { countingPool, type ServerTarget, startTestServer } from '../../test/helpers/postgres-server.ts'

// The pools' transactions (preparedPool's begin, pipelined-begin.ts) on a real server.

let target: ServerTarget
let stop: () => Promise<void>
const pools: postgres.Sql[] = []

beforeAll(async () => {
  ;({ target, stop } = await startTestServer())
  await database().db.execute(sql`create table if not exists pipelined_probes (id int primary key)`)
}, 120_000)

afterAll(async () => {
  await Promise.all(pools.map((p) => p.end({ timeout: 5 })))
  await stop()
})

/** A drizzle database on a pool of one connection, and its socket's writes (countingPool). */
function database(options: { prepare?: boolean } = {}) {
  const { pool, writes } = countingPool(target, { max: 1, ...options })
  pools.push(pool)
  return { db: drizzle({ client: pool }), writes }
}

const ids = async (db: ReturnType<typeof database>['db'], from: number, to: number) =>
  (
    (await db.execute(
      sql`select id from pipelined_probes where id between ${from} and ${to} order by id`,
    )) as unknown as { id: number }[]
  ).map((r) => r.id)

describe('transactions', () => {
  it('send BEGIN with their first statement: two writes for a one-statement transaction', async () => {
    for (const prepare of [true, false]) {
      const { db, writes } = database({ prepare })
      await db.execute(sql`select 1`)
      const before = writes.count
      const rows = await db.transaction(async (tx) => tx.execute(sql`select 41 + 1 as answer`))
      expect(rows).toEqual([{ answer: 42 }])
      // BEGIN and the select in one write, COMMIT in the other (postgres-js's own begin: three).
      expect(writes.count - before).toBe(2)
    }
  })

  it('commit what they wrote, and roll it all back when the body throws', async () => {
    const { db } = database()
    await db.transaction(async (tx) => {
      await tx.execute(sql`insert into pipelined_probes (id) values (1), (2)`)
      // The transaction sees its own writes.
      expect(await ids(tx as never, 1, 2)).toEqual([1, 2])
    })
    await expect(
      db.transaction(async (tx) => {
        await tx.execute(sql`insert into pipelined_probes (id) values (3)`)
        throw new Error('changed my mind')
      }),
    ).rejects.toThrow('changed my mind')
    expect(await ids(db, 1, 3)).toEqual([1, 2])
  })

  it('fail with the failed statement’s error even when the body caught it, and write nothing', async () => {
    const { db } = database()
    const attempt = db.transaction(async (tx) => {
      await tx.execute(sql`insert into pipelined_probes (id) values (10)`)
      // A duplicate key: PostgreSQL aborts the transaction; the body carries on regardless.
      await tx.execute(sql`insert into pipelined_probes (id) values (10)`).catch(() => {})
      return 'done'
    })
    await expect(attempt).rejects.toMatchObject({ code: '23505' })
    expect(await ids(db, 10, 10)).toEqual([])
    // The connection is clean for the next transaction.
    await db.transaction((tx) => tx.execute(sql`insert into pipelined_probes (id) values (11)`))
    expect(await ids(db, 10, 11)).toEqual([11])
  })

  it('run nested transactions in savepoints: a failed one is undone, the outer one commits', async () => {
    const { db } = database()
    await db.transaction(async (tx) => {
      await tx.execute(sql`insert into pipelined_probes (id) values (20)`)
      await expect(
        tx.transaction(async (inner) => {
          await inner.execute(sql`insert into pipelined_probes (id) values (21)`)
          await inner.execute(sql`insert into pipelined_probes (id) values (20)`)
        }),
        // drizzle's error, around PostgreSQL's.
      ).rejects.toMatchObject({ cause: { code: '23505' } })
      await tx.transaction((inner) => inner.execute(sql`insert into pipelined_probes (id) values (22)`))
    })
    expect(await ids(db, 20, 29)).toEqual([20, 22])
  })

  it('fail at once when their connection is lost, and the pool connects again for the next', async () => {
    const { db } = database()
    const victim = database().db
    let pid = 0
    const attempt = db.transaction(async (tx) => {
      const [row] = (await tx.execute(
        sql`insert into pipelined_probes (id) values (30) returning pg_backend_pid() as pid`,
      )) as unknown as { pid: number }[]
      pid = row!.pid
      // Waiting on something else than the database when the server ends the session.
      await sleep(60_000)
    })
    attempt.catch(() => {})
    while (pid === 0) await sleep(10)
    await victim.execute(sql`select pg_terminate_backend(${pid})`)
    await expect(attempt).rejects.toThrow()
    expect(await ids(db, 30, 30)).toEqual([])
    await db.transaction((tx) => tx.execute(sql`insert into pipelined_probes (id) values (31)`))
    expect(await ids(db, 30, 31)).toEqual([31])
  })
})
