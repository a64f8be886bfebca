import postgres from 'postgres'
import { pipelinedBegin } from './pipelined-begin.ts'

/**
 * Named (prepared) statements for drizzle's queries.
 *
 * drizzle runs every statement unnamed (`prepare: false`). postgres-js then asks the server
 * to parse and describe a statement with parameters before it binds their values: two round
 * trips per statement, and the server parses it again every time. A named statement is parsed
 * and described once per connection and then costs one round trip (bind and execute). In the
 * calls benchmark this took the embedded hub from 45–48 to 66–71 calls/s.
 *
 * Bounds, since postgres-js keeps a connection's statements until the connection ends (its
 * max_lifetime, 30 to 60 minutes) and the server keeps each one's parse tree meanwhile:
 * - a statement with more than PREPARE_MAX_PARAMS parameters (bulk writes, long IN lists)
 *   stays unnamed;
 * - only the first PREPARE_MAX_TEXTS distinct texts of the process are named.
 *
 * Plans: PostgreSQL plans a named statement's first five runs with their values, then keeps
 * one generic plan when it is estimated no dearer (plan_cache_mode = auto, its default). That
 * saves the planning of every run: with a plan per run (force_custom_plan, which an earlier
 * version set) the server spent 43 % of its statement time planning in the calls benchmark,
 * 2.3 ms a call, foreign-key checks included. Two kinds of statement read rows whose number
 * the plan cannot know without the values, and a generic plan read them badly there:
 * - queue scans (`for update skip locked`: the job claims, the outbox relay), whose best plan
 *   depends on how long the queue is and on the LIMIT: they stay unnamed, planned per run
 *   (isQueueScan);
 * - the live facts of a routing decision (telephony/engine/live-state.ts), now written so that
 *   either plan reads the same rows.
 * A generic plan is made from the statistics of the moment (on a new database, of empty
 * tables) and replaced when autovacuum analyzes the table (every 10 s on the embedded server:
 * embedded-postgres.ts).
 *
 * `prepare=false` in DATABASE_URL's query string (or PGPREPARE=false) turns the naming off:
 * for a connection pooler that does not keep prepared statements (PgBouncer in transaction
 * mode before 1.21).
 */
export const PREPARE_MAX_PARAMS = 64
export const PREPARE_MAX_TEXTS = 1000

type Target = string | postgres.Options<Record<string, postgres.PostgresType>>

/**
 * A postgres-js pool whose statements run named (see above), unless its options turn that off,
 * and whose transactions send BEGIN with their first statement (pipelined-begin.ts).
 */
export function preparedPool(
  target: Target,
  options: postgres.Options<Record<string, postgres.PostgresType>>,
): postgres.Sql {
  const sql = typeof target === 'string' ? postgres(target, options) : postgres({ ...target, ...options })
  if (!sql.options.prepare) return withBegin(sql, (client) => client)
  const texts = new Set<string>()
  return withBegin(sql, (client) => naming(client, texts))
}

/** The pool with pipelinedBegin as its begin, each client (the pool's, a transaction's) dressed by `dress`. */
function withBegin(sql: postgres.Sql, dress: <T extends object>(client: T) => T): postgres.Sql {
  const begin = pipelinedBegin(sql, dress)
  return dress(
    new Proxy(sql, {
      get: (target, key, receiver) => (key === 'begin' ? begin : Reflect.get(target, key, receiver)),
    }),
  )
}

type Unsafe = (query: string, args?: unknown[], options?: { prepare?: boolean }) => unknown

/** The client drizzle is given: its `unsafe` (drizzle's only way to run a statement) names the statement. */
function naming<T extends object>(sql: T, texts: Set<string>): T {
  return new Proxy(sql, {
    get(target, key, receiver) {
      const value = Reflect.get(target, key, receiver)
      if (key !== 'unsafe') return value
      const unsafe = value as Unsafe
      return (query: string, args?: unknown[], options?: { prepare?: boolean }) =>
        unsafe(
          query,
          args,
          Array.isArray(args) && worthNaming(query, args, texts) ? { ...options, prepare: true } : options,
        )
    },
  })
}

function worthNaming(query: string, args: unknown[], texts: Set<string>): boolean {
  if (args.length === 0 || args.length > PREPARE_MAX_PARAMS || isQueueScan(query)) return false
  if (texts.has(query)) return true
  if (texts.size >= PREPARE_MAX_TEXTS) return false
  texts.add(query)
  return true
}

/** A statement that takes rows off a queue: planned at each run with its values (see above). */
function isQueueScan(query: string): boolean {
  return /\bskip locked\b/i.test(query)
}
