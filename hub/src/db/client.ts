import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core'
import { drizzle } from 'drizzle-orm/postgres-js'
import { migrate } from 'drizzle-orm/postgres-js/migrator'
import type postgres from 'postgres'
import {
  type EmbeddedPostgres,
  type EmbeddedPostgresLog,
  startEmbeddedPostgres,
} from './embedded-postgres.ts'
import { migrationsFolder } from './migrations-folder.ts'
import { convertPgliteDataDir, hasPgliteData } from './pglite-conversion.ts'
import { preparedPool } from './prepared-statements.ts'
import * as schema from './schema/index.ts'

export type Schema = typeof schema
/** The drizzle database services take (postgres-js in the product; the tests' in-memory engine too). */
export type Database = PgDatabase<PgQueryResultHKT, Schema>
export type Tx = Parameters<Parameters<Database['transaction']>[0]>[0]
/** Anything a query can run on: the database or an open transaction. */
export type Queryable = Database | Tx

export type DatabaseHandle = {
  db: Database
  /** `embedded`: the PostgreSQL server this process runs in DATA_DIR; `postgres`: DATABASE_URL. */
  kind: 'embedded' | 'postgres'
  ping(): Promise<void>
  close(): Promise<void>
  /** LISTEN on a channel; resolves with the function that stops listening. */
  listen?(channel: string, onNotify: () => void): Promise<() => Promise<void>>
}

export { migrationsFolder }

export type DatabaseOptions =
  | { kind: 'embedded'; dataDir: string; max?: number; log?: EmbeddedPostgresLog }
  | { kind: 'postgres'; url: string; max?: number }

/**
 * Opens the database and applies the committed migrations. Embedded: starts PostgreSQL on
 * DATA_DIR/postgres first (the caller holds DATA_DIR's lock), converting a DATA_DIR left by the
 * PGlite versions; close() stops that server. Either way the hub talks to it through postgres-js.
 */
export async function openDatabase(options: DatabaseOptions): Promise<DatabaseHandle> {
  if (options.kind === 'postgres') {
    const sql = preparedPool(options.url, { max: options.max ?? 20, onnotice: () => {} })
    return await connected(sql, 'postgres', async () => {})
  }
  if (hasPgliteData(options.dataDir)) await convertPgliteDataDir(options.dataDir, { log: options.log })
  const server: EmbeddedPostgres = await startEmbeddedPostgres(options.dataDir, { log: options.log })
  try {
    const sql = preparedPool(server.connection, { max: options.max ?? 10, onnotice: () => {} })
    return await connected(sql, 'embedded', () => server.stop())
  } catch (err) {
    await server.stop()
    throw err
  }
}

/** A drizzle database on a postgres-js pool, migrated; close() ends the pool, then runs `after`. */
async function connected(
  sql: postgres.Sql,
  kind: DatabaseHandle['kind'],
  after: () => Promise<void>,
): Promise<DatabaseHandle> {
  const db = drizzle({ client: sql, schema })
  try {
    await migrate(db, { migrationsFolder })
  } catch (err) {
    await sql.end({ timeout: 5 })
    throw err
  }
  return {
    db: db as unknown as Database, // PgDatabase of the postgres-js HKT; services need no more than PgDatabase
    kind,
    ping: async () => {
      await sql`select 1`
    },
    // postgres-js keeps one connection for its listeners and LISTENs again after a reconnect.
    listen: async (channel, onNotify) => {
      const subscription = await sql.listen(channel, () => onNotify())
      return () => subscription.unlisten()
    },
    close: async () => {
      try {
        await sql.end({ timeout: 5 })
      } finally {
        await after()
      }
    },
  }
}

/** Rows of a raw `execute`, whichever driver ran it (node-postgres and PGlite give `rows`, postgres-js an array). */
export function rowsOf<T>(result: unknown): T[] {
  return ((result as { rows?: T[] }).rows ?? (result as T[])) as T[]
}
