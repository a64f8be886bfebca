import { randomBytes } from 'node:crypto'
import postgres from 'postgres'
import { type DatabaseHandle, openDatabase } from '../../src/db/client.ts'

/**
 * A fresh, migrated database for one test file: in-memory PGlite by default, or a new
 * database on the PostgreSQL server that test setup started when SB_TEST_DATABASE_URL is set.
 */
export async function openTestDatabase(): Promise<DatabaseHandle> {
  const adminUrl = process.env.SB_TEST_DATABASE_URL
  if (!adminUrl) return openDatabase({ kind: 'pglite' })
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
