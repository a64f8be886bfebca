import { AsyncLocalStorage } from 'node:async_hooks'
import type { Database } from './client.ts'

type Pending = { hooks: (() => void)[] }

const transactions = new AsyncLocalStorage<Pending>()
const wrapped = new WeakSet<object>()

/**
 * Runs `hook` once the current transaction of this database has committed, and not at all if
 * it rolls back; outside a transaction (an autocommit statement), at once. Needs the database
 * to be wrapped by withAfterCommit (the hub's and the tests' are): on an unwrapped one the
 * hook runs at once, before the commit, and whoever it wakes finds the change a moment later
 * by polling. Hooks must not throw.
 */
export function afterCommit(hook: () => void): void {
  const pending = transactions.getStore()
  if (pending) pending.hooks.push(hook)
  else hook()
}

/**
 * Makes db.transaction() run the afterCommit hooks registered inside it once its COMMIT has
 * returned. Savepoints (tx.transaction) belong to their outer transaction. Idempotent.
 */
export function withAfterCommit(db: Database): Database {
  if (wrapped.has(db)) return db
  wrapped.add(db)
  const transaction = db.transaction.bind(db)
  db.transaction = ((fn, config) => {
    const pending: Pending = { hooks: [] }
    return transactions.run(pending, async () => {
      const result = await transaction(fn, config)
      for (const hook of pending.hooks) hook()
      return result
    })
  }) as Database['transaction']
  return db
}
