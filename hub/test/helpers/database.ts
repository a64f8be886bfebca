import { createHash, randomBytes } from 'node:crypto'
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
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
  try {
    await admin.unsafe(`create database ${name} template ${await serverTemplate(admin, adminUrl)}`)
  } finally {
    await admin.end()
  }
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
  const client = directory ? new PGlite(directory) : new PGlite({ loadDataDir: await migratedTemplate() })
  await client.waitReady
  const db = drizzle({ client, schema })
  // A no-op on the template's copy, which has every migration; the whole run in a directory.
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

/**
 * The name of a migrated database on the scale run's server that each test database is copied
 * from (CREATE DATABASE … TEMPLATE): the migrations run once per server instead of once per
 * test file. The first process to need it makes it under another name and renames it when it
 * is complete, holding an advisory lock that the others wait on.
 */
async function serverTemplate(admin: postgres.Sql, adminUrl: string): Promise<string> {
  const template = `sb_template_${migrationsHash()}`
  const exists = async () => (await admin`select 1 from pg_database where datname = ${template}`).length > 0
  if (await exists()) return template
  await admin`select pg_advisory_lock(hashtext(${template}))`
  try {
    if (await exists()) return template
    const building = `${template}_building`
    await admin.unsafe(`drop database if exists ${building} with (force)`)
    await admin.unsafe(`create database ${building}`)
    const url = new URL(adminUrl)
    url.pathname = `/${building}`
    const handle = await openDatabase({ kind: 'postgres', url: url.toString(), max: 1 })
    await handle.close()
    // Its connection is closed, but the server may take a moment to end its backend (the
    // rename refuses a database someone is connected to).
    for (let attempt = 1; ; attempt++) {
      try {
        await admin.unsafe(`alter database ${building} rename to ${template}`)
        return template
      } catch (err) {
        if (attempt >= 20) throw err
        await new Promise((resolve) => setTimeout(resolve, 250))
      }
    }
  } finally {
    await admin`select pg_advisory_unlock(hashtext(${template}))`
  }
}

/** A short hash of the migrations and of PGlite's version: the templates' names. */
let migrationsDigest: string | undefined
function migrationsHash(): string {
  if (migrationsDigest) return migrationsDigest
  // PGlite's version is in the path of its installed files (node_modules/.pnpm/…@<version>/).
  const hash = createHash('sha256').update(createRequire(import.meta.url).resolve('@electric-sql/pglite'))
  for (const file of readdirSync(migrationsFolder, { recursive: true, withFileTypes: true })
    .filter((f) => f.isFile())
    .map((f) => join(f.parentPath, f.name))
    .sort()) {
    hash.update(file.slice(migrationsFolder.length)).update(readFileSync(file))
  }
  migrationsDigest = hash.digest('hex').slice(0, 16)
  return migrationsDigest
}

/**
 * A migrated PGlite's files, as the tarball PGlite loads a database from. A new PGlite runs
 * initdb in WebAssembly (about 2.5 s on the CI machine, twice that while the other test worker
 * is busy), so each in-memory test database starts from a copy of one database made and
 * migrated once (about 1 s). Kept in the system's temp directory under the hash of the
 * migrations and of PGlite's version, so every test process of a run shares it and a change
 * to either makes a new one; written to a temporary name and renamed, so a process never
 * reads another's half-written file.
 */
let template: Promise<Blob> | undefined
function migratedTemplate(): Promise<Blob> {
  template ??= (async () => {
    const dir = join(tmpdir(), 'switchboard-test-pglite')
    const path = join(dir, `${migrationsHash()}.tar`)
    try {
      return new Blob([readFileSync(path)])
    } catch {
      // Not made yet: made here (another process may make it at the same time; either copy is good).
    }
    const client = new PGlite()
    await client.waitReady
    await migrate(drizzle({ client, schema }), { migrationsFolder })
    const dump = await client.dumpDataDir('none')
    await client.close()
    const partial = `${path}.${process.pid}.${randomBytes(4).toString('hex')}`
    try {
      mkdirSync(dir, { recursive: true })
      // Those of other migrations (an older checkout) go: one file of 40 MB is kept, not one per change.
      for (const old of readdirSync(dir))
        if (!old.startsWith(migrationsHash())) rmSync(join(dir, old), { force: true })
      writeFileSync(partial, Buffer.from(await dump.arrayBuffer()))
      renameSync(partial, path)
    } catch {
      rmSync(partial, { force: true }) // a read-only temp directory: each process makes its own
    }
    return dump
  })()
  return template
}
