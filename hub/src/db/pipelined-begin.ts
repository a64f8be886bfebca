import type postgres from 'postgres'

/**
 * postgres-js's `sql.begin()`, one round trip shorter.
 *
 * postgres-js sends BEGIN, waits for its answer, and only then runs the transaction's body: a
 * round trip that carries nothing. Here BEGIN is queued on a reserved connection and the body
 * starts at once, so its first statement leaves in the same write as BEGIN (postgres-js
 * gathers the messages queued within one turn of the event loop) and PostgreSQL answers both
 * together. The call engine's transactions are two to four round trips long: this is a
 * quarter to a half of their waits, and of the server's wake-ups.
 *
 * What postgres-js's begin guarantees holds here too:
 * - a statement of the transaction that fails fails the transaction, even when the body caught
 *   its error (PostgreSQL would answer COMMIT with ROLLBACK): the body's promise rejects with
 *   that statement's error, after a ROLLBACK;
 * - a connection lost during the transaction rejects it at once, even while the body awaits
 *   something else, and is not handed back to the pool;
 * - `savepoint(fn)` runs fn in a savepoint (drizzle's nested transactions), rolled back to if
 *   fn throws.
 *
 * And one more round trip is saved where the body allows it: COMMIT follows the statements
 * still in flight when the body returns, in the same connection's order (sendsCommitAfter).
 */

type Connection = { onclose: ((error: Error) => void) | null }
type Body = (client: object) => unknown
/** What a client of the transaction is given per scope (the transaction or one savepoint). */
type Scope = { failure: unknown }

/**
 * A `begin` for `pool`. `wrap` dresses each client the body is given (prepared-statements.ts
 * names their statements).
 */
export function pipelinedBegin(pool: postgres.Sql, wrap: <T extends object>(client: T) => T) {
  return async function begin(...args: unknown[]): Promise<unknown> {
    const body = args.pop() as Body
    const mode = typeof args[0] === 'string' ? args[0].replace(/[^a-z ]/gi, '') : ''
    const reserved = await pool.reserve()
    let connection: Connection | undefined
    let lost: Error | undefined
    let onLost: ((error: Error) => void) | undefined
    const aborted = new Promise<never>((_, reject) => {
      onLost = reject
    })
    aborted.catch(() => {})
    const begun = reserved
      .unsafe(`begin ${mode}`.trim(), [], {
        // Called as postgres-js writes BEGIN on the connection: it returns true to go on
        // pipelining. The connection's onclose is the hook postgres-js's own begin uses.
        onexecute(c: Connection) {
          connection = c
          c.onclose = (error) => {
            lost = error
            onLost?.(error)
          }
          return true
        },
      } as postgres.UnsafeQueryOptions)
      .execute()
    begun.catch(() => {})
    const scope: Scope = { failure: undefined }
    const savepoints = { count: 0 }
    try {
      const result = await Promise.race([
        Promise.resolve(body(wrap(transactionClient(reserved, scope, savepoints, wrap)))),
        aborted,
      ])
      await begun
      if (scope.failure !== undefined) throw scope.failure
      await Promise.race([reserved.unsafe('commit').execute(), aborted])
      // A statement the body did not wait for (sendsCommitAfter) failed: PostgreSQL answered the
      // COMMIT queued after it with ROLLBACK.
      if (scope.failure !== undefined) throw scope.failure
      return result
    } catch (error) {
      if (!lost) await reserved.unsafe('rollback').catch(() => {})
      // postgres-js's rule: the statements after a failed one fail with 25P02 (in failed
      // transaction); the first error is the one worth reporting.
      throw isAbortedTransaction(error) && scope.failure !== undefined ? scope.failure : error
    } finally {
      if (connection) connection.onclose = null
      // A lost connection is the pool's to reconnect; handing it back would list it as open.
      if (!lost) reserved.release()
    }
  }
}

const COMMIT_AFTER = Symbol('commit after the statements in flight')

/**
 * Whether `client` (a postgres-js client drizzle was given) is a transaction's of this file:
 * its COMMIT is queued after the statements sent, so the body may return without waiting for
 * its last one (db/write-batch.ts), whose failure still fails the transaction with its error.
 */
export function sendsCommitAfter(client: unknown): boolean {
  // postgres-js's clients are functions (tagged templates).
  return (
    (typeof client === 'function' || (typeof client === 'object' && client !== null)) &&
    (client as Record<symbol, unknown>)[COMMIT_AFTER] === true
  )
}

/**
 * The client a transaction's body (or a savepoint's) runs its statements on: the reserved
 * connection, each statement's error noted for the scope, and `savepoint`.
 */
function transactionClient(
  reserved: postgres.ReservedSql,
  scope: Scope,
  savepoints: { count: number },
  wrap: <T extends object>(client: T) => T,
): postgres.ReservedSql {
  return new Proxy(reserved, {
    get(target, key, receiver) {
      if (key === 'unsafe') {
        return (...a: Parameters<postgres.ReservedSql['unsafe']>) => {
          const query = target.unsafe(...a)
          // As postgres-js does in its begin. This also starts the query, one microtask later:
          // after the caller's synchronous `.values()` or `.execute()`.
          query.catch((error: unknown) => {
            scope.failure ??= error
          })
          return query
        }
      }
      if (key === 'savepoint') {
        return async (...a: unknown[]) => {
          const fn = a.pop() as Body
          const name = `s${++savepoints.count}`
          const inner: Scope = { failure: undefined }
          await target.unsafe(`savepoint ${name}`)
          try {
            const result = await fn(wrap(transactionClient(reserved, inner, savepoints, wrap)))
            if (inner.failure !== undefined) throw inner.failure
            await target.unsafe(`release savepoint ${name}`)
            return result
          } catch (error) {
            await target.unsafe(`rollback to savepoint ${name}`)
            throw isAbortedTransaction(error) && inner.failure !== undefined ? inner.failure : error
          }
        }
      }
      if (key === COMMIT_AFTER) return true
      if (key === 'begin' || key === 'release') {
        return () => {
          throw new Error(`${String(key)}() inside a transaction`)
        }
      }
      return Reflect.get(target, key, receiver)
    },
  })
}

function isAbortedTransaction(error: unknown): boolean {
  return (error as { code?: string } | null)?.code === '25P02'
}
