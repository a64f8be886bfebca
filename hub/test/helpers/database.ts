import { randomBytes } from 'node:crypto'
import { PGlite } from '@electric-sql/pglite'
import { drizzle } from 'drizzle-orm/pglite'
import { migrate } from 'drizzle-orm/pglite/migrator'
import postgres from 'postgres'
import { type Database, type DatabaseHandle, migrationsFolder, openDatabase } from '../../src/db/client.ts'
import * as schema from '../../src/db/schema/index.ts'

/**
 * A fresh, migrated database for one test file: in-memory PGlite in the embedded run (fast,
 * and the same PostgreSQL dialect; the product's embedded server is exercised by the end-to-end
 * tests in hub/test/e2e/, which start the hub as a user does), or a new database on the
 * PostgreSQL server that test setup started when SB_TEST_DATABASE_URL is set (the scale run).
 */
export async function openTestDatabase(): Promise<DatabaseHandle> {
  const adminUrl = process.env.SB_TEST_DATABASE_URL
  if (!adminUrl) return openMemoryDatabase()
  const name = `sb_test_${randomBytes(6).toString('hex')}`
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} })
  await admin.unsafe(`create database ${name}`)
  await admin.end()
  const url = new URL(adminUrl)
  url.pathname = `/${name}`
  const handle = await openDatabase({ kind: 'postgres', url: url.toString(), max: 5 })
  return {
    ...handle,
    close: async () => {
      await handle.close()
      const drop = postgres(adminUrl, { max: 1, onnotice: () => {} })
      await drop.unsafe(`drop database if exists ${name} with (force)`)
      await drop.end()
    },
  }
}

/**
 * PGlite, migrated: in memory, or in a directory, the way versions before the embedded
 * PostgreSQL server kept DATA_DIR/pglite (for the conversion tests).
 */
export async function openMemoryDatabase(directory?: string): Promise<DatabaseHandle> {
  const client = directory ? new PGlite(directory) : new PGlite()
  await client.waitReady
  const db = drizzle({ client, schema })
  await migrate(db, { migrationsFolder })
  return {
    db: db as unknown as Database, // a PgDatabase too; only the query-result HKT differs
    kind: 'embedded',
    ping: async () => {
      await client.query('select 1')
    },
    close: () => client.close(),
  }
}
