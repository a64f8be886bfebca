import { fillPlaceholders, type Query } from 'drizzle-orm'
import type { Queryable } from './client.ts'
import { sendsCommitAfter } from './pipelined-begin.ts'

/**
 * Writes of one change that go to the database as one statement.
 *
 * `batch.db` is the transaction as a recorder: a statement run on it (a drizzle builder or a
 * compiled statement, db/compiled.ts) is noted with its values and answers no rows at once.
 * `batch.run()` then sends the noted statements as one, each a data-modifying CTE of
 * `with w0 as (…), w1 as (…) select 1`. PostgreSQL runs them all, on one snapshot and in one
 * round trip, as the one statement they are: they succeed or fail together, and none sees the
 * others' rows. So only writes whose results nobody reads belong here (an update, inserts
 * without RETURNING), on different rows: never a read, never two changes of one row.
 *
 * A call's event was four to six statements (its row, its timeline row, its events, its jobs);
 * each costs the hub's one thread a message to build and an answer to read, and the server
 * an execution of its own.
 */
export type WriteBatch = {
  /** The transaction, recording instead of running. */
  db: Queryable
  /** Sends what was recorded (nothing when nothing was) on the transaction. */
  run(): Promise<void>
  /**
   * run(), for the transaction's last statement: on the hub's pool (pipelined-begin.ts) it
   * resolves once the statement is sent, and the transaction's COMMIT goes right behind it
   * instead of a round trip later; if it fails, the transaction fails with its error. On any
   * other transaction, run().
   */
  runLast(): Promise<void>
}

type Recorded = { sql: string; params: unknown[] }

type Session = {
  prepareQuery(query: Query, fields: unknown, name: unknown, arrayMode: boolean, ...rest: unknown[]): Prepared
}
type Prepared = { execute(values?: Record<string, unknown>): Promise<unknown> }

export function writeBatch(tx: Queryable): WriteBatch {
  const recorded: Recorded[] = []
  const session = tx._.session as unknown as Session
  const recorder = new Proxy(session, {
    get(target, key, receiver) {
      if (key !== 'prepareQuery') return Reflect.get(target, key, receiver)
      return (
        query: Query,
        fields: unknown,
        _name: unknown,
        arrayMode: boolean,
        mapper: unknown,
        metadata: unknown,
      ) => {
        // What compiled() and drizzle's builders read of a prepared query.
        const prepared = {
          fields,
          customResultMapper: mapper,
          queryMetadata: metadata,
          joinsNotNullableMap: undefined as unknown,
          getQuery: () => query,
          isResponseInArrayMode: () => arrayMode,
          setToken: () => prepared,
          execute: (values?: Record<string, unknown>) => {
            recorded.push({ sql: query.sql, params: fillPlaceholders(query.params, values ?? {}) })
            return Promise.resolve([])
          },
        }
        return prepared
      }
    },
  })
  const db = new Proxy(tx, {
    get(target, key, receiver) {
      if (key === 'session') return recorder
      if (key === '_') return { ...target._, session: recorder }
      return Reflect.get(target, key, receiver)
    },
  })
  const send = () => {
    if (recorded.length === 0) return Promise.resolve(undefined)
    const statement = recorded.length === 1 ? recorded[0]! : together(recorded)
    recorded.length = 0
    // drizzle hands the statement to postgres-js before its first await: it is queued on the
    // transaction's connection when this returns.
    return session.prepareQuery(statement, undefined, undefined, false).execute()
  }
  return {
    db,
    async run() {
      await send()
    },
    async runLast() {
      if (!sendsCommitAfter((session as { client?: unknown }).client)) return await this.run()
      // The transaction reports its failure (pipelined-begin.ts); this promise's is a copy.
      send().catch(() => {})
    },
  }
}

/**
 * The statements as CTEs of one, their parameters renumbered after those before them. drizzle
 * writes parameters `$n` and no literal holding a `$` in the statements given here.
 */
function together(list: readonly Recorded[]): Recorded {
  const params: unknown[] = []
  const parts = list.map((statement, i) => {
    const offset = params.length
    params.push(...statement.params)
    return `w${i} as (${statement.sql.replace(/\$(\d+)/g, (_, n: string) => `$${Number(n) + offset}`)})`
  })
  return { sql: `with ${parts.join(', ')} select 1`, params }
}
