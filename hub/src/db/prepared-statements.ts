import postgres from 'postgres'

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
 * The server plans each execution with its parameters (`plan_cache_mode = force_custom_plan`),
 * as it planned the unnamed statements: a generic plan, which PostgreSQL may otherwise pick
 * after five runs, read four times as many rows per call in that benchmark.
 *
 * `prepare=false` in DATABASE_URL's query string (or PGPREPARE=false) turns all of this off:
 * for a connection pooler that keeps neither prepared statements nor startup parameters
 * (PgBouncer in transaction mode before 1.21).
 */
export const PREPARE_MAX_PARAMS = 64
export const PREPARE_MAX_TEXTS = 1000

type Target = string | postgres.Options<Record<string, postgres.PostgresType>>

/** A postgres-js pool whose statements run named (see above), unless its options turn that off. */
export function preparedPool(
  target: Target,
  options: postgres.Options<Record<string, postgres.PostgresType>>,
) {
  const pool = (extra: typeof options = {}) =>
    typeof target === 'string'
      ? postgres(target, { ...options, ...extra })
      : postgres({ ...target, ...options, ...extra })
  // postgres() does not connect until a query: the first pool only reads the options.
  const probe = pool()
  if (!probe.options.prepare) return probe
  const connection = { ...options.connection, plan_cache_mode: 'force_custom_plan' }
  return naming(pool({ connection }), new Set())
}

type Unsafe = (query: string, args?: unknown[], options?: { prepare?: boolean }) => unknown

/**
 * The client drizzle is given: its `unsafe` (drizzle's only way to run a statement) names the
 * statement, and the transactions and savepoints it opens hand it clients that do the same.
 */
function naming<T extends object>(sql: T, texts: Set<string>): T {
  return new Proxy(sql, {
    get(target, key, receiver) {
      const value = Reflect.get(target, key, receiver)
      if (key === 'unsafe') {
        const unsafe = value as Unsafe
        return (query: string, args?: unknown[], options?: { prepare?: boolean }) =>
          unsafe(
            query,
            args,
            Array.isArray(args) && worthNaming(query, args, texts) ? { ...options, prepare: true } : options,
          )
      }
      if (key === 'begin' || key === 'savepoint') {
        const open = value as (...a: unknown[]) => unknown
        return (...a: unknown[]) => {
          const body = a.pop() as (client: object) => unknown
          return open(...a, (client: object) => body(naming(client, texts)))
        }
      }
      return value
    },
  })
}

function worthNaming(query: string, args: unknown[], texts: Set<string>): boolean {
  if (args.length === 0 || args.length > PREPARE_MAX_PARAMS) return false
  if (texts.has(query)) return true
  if (texts.size >= PREPARE_MAX_TEXTS) return false
  texts.add(query)
  return true
}
