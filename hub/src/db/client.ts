import { mkdirSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { PGlite } from '@electric-sql/pglite'
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core'
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite'
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator'
import { drizzle as drizzlePostgres } from 'drizzle-orm/postgres-js'
import { migrate as migratePostgres } from 'drizzle-orm/postgres-js/migrator'
import postgres from 'postgres'
import * as schema from './schema/index.ts'

export type Schema = typeof schema
/** Common type of the PGlite and postgres-js drizzle instances: services take this. */
export type Database = PgDatabase<PgQueryResultHKT, Schema>
export type Tx = Parameters<Parameters<Database['transaction']>[0]>[0]
/** Anything a query can run on: the database or an open transaction. */
export type Queryable = Database | Tx

export type DatabaseHandle = {
  db: Database
  kind: 'pglite' | 'postgres'
  ping(): Promise<void>
  close(): Promise<void>
  /**
   * LISTEN on a channel (PostgreSQL only: the embedded database has one process, which signals
   * itself); resolves with the function that stops listening.
   */
  listen?(channel: string, onNotify: () => void): Promise<() => Promise<void>>
}

export const migrationsFolder = resolve(dirname(fileURLToPath(import.meta.url)), '../../drizzle')

export type DatabaseOptions =
  | { kind: 'pglite'; dataDir?: string } // undefined dataDir = in memory (tests)
  | { kind: 'postgres'; url: string; max?: number }

/** Opens the database and applies the committed migrations. */
export async function openDatabase(options: DatabaseOptions): Promise<DatabaseHandle> {
  if (options.kind === 'pglite') {
    let client: PGlite
    if (options.dataDir) {
      const dir = join(options.dataDir, 'pglite')
      mkdirSync(dir, { recursive: true })
      client = new PGlite(dir)
    } else {
      client = new PGlite()
    }
    await client.waitReady
    const db = drizzlePglite({ client, schema })
    await migratePglite(db, { migrationsFolder })
    return {
      db: db as unknown as Database, // both drivers extend PgDatabase; only the HKT differs
      kind: 'pglite',
      ping: async () => {
        await client.query('select 1')
      },
      close: () => client.close(),
    }
  }
  const sql = postgres(options.url, { max: options.max ?? 20, onnotice: () => {} })
  const db = drizzlePostgres({ client: sql, schema })
  await migratePostgres(db, { migrationsFolder })
  return {
    db: db as unknown as Database,
    kind: 'postgres',
    ping: async () => {
      await sql`select 1`
    },
    close: () => sql.end({ timeout: 5 }),
    // postgres-js keeps one connection for its listeners and LISTENs again after a reconnect.
    listen: async (channel, onNotify) => {
      const subscription = await sql.listen(channel, () => onNotify())
      return () => subscription.unlisten()
    },
  }
}
