import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { drizzle as drizzlePostgres } from 'drizzle-orm/postgres-js'
import { migrate as migratePostgres } from 'drizzle-orm/postgres-js/migrator'
import postgres from 'postgres'
import {
  clusterDirOf,
  type EmbeddedPostgresLog,
  passwordFileOf,
  prepareDataDir,
  startEmbeddedPostgres,
} from './embedded-postgres.ts'
import { migrationsFolder } from './migrations-folder.ts'

/**
 * Versions before the embedded PostgreSQL server kept their data in DATA_DIR/pglite (PGlite,
 * PostgreSQL compiled to WASM, here at PostgreSQL 18: its files cannot be opened by the
 * PostgreSQL 17 server). On the first start of this version such a directory is converted by a
 * logical copy: PGlite, brought to the current schema by the same migrations, copies each table
 * out (COPY … TO) into a new cluster migrated to the same schema (COPY … FROM), sequences
 * follow, and row counts are compared before anything is switched.
 *
 * The new cluster is built in DATA_DIR/pglite-conversion/ and moved into place only when
 * complete; the PGlite files are then kept, renamed DATA_DIR/pglite-converted/, for the operator
 * to delete. A conversion cut short starts over from the untouched PGlite files.
 */

export const pgliteDirOf = (dataDir: string) => join(resolve(dataDir), 'pglite')
const stagingDirOf = (dataDir: string) => join(resolve(dataDir), 'pglite-conversion')
export const convertedPgliteDirOf = (dataDir: string) => join(resolve(dataDir), 'pglite-converted')

/** True when DATA_DIR still holds a PGlite database to convert. */
export function hasPgliteData(dataDir: string): boolean {
  return existsSync(join(pgliteDirOf(dataDir), 'PG_VERSION'))
}

export async function convertPgliteDataDir(
  dataDir: string,
  options: { log?: EmbeddedPostgresLog } = {},
): Promise<{ tables: number; rows: number }> {
  const log = options.log ?? { info() {}, warn() {} }
  const source = pgliteDirOf(dataDir)
  const backup = convertedPgliteDirOf(dataDir)
  if (existsSync(clusterDirOf(dataDir))) {
    // Moved into place by a conversion that stopped before it set the PGlite files aside.
    keepAside(source, backup)
    return { tables: 0, rows: 0 }
  }
  log.info(`converting the PGlite database in ${source} to the embedded PostgreSQL server…`)
  // DATA_DIR first: the staging directory below inherits its reachability by the server's user.
  prepareDataDir(dataDir, log)
  const staging = stagingDirOf(dataDir)
  rmSync(staging, { recursive: true, force: true })
  mkdirSync(staging, { recursive: true, mode: 0o700 })

  // Imported here only: PGlite is loaded for this one-time conversion and never otherwise.
  const [{ PGlite }, { drizzle }, { migrate }] = await Promise.all([
    import('@electric-sql/pglite'),
    import('drizzle-orm/pglite'),
    import('drizzle-orm/pglite/migrator'),
  ])
  const pglite = new PGlite(source)
  let copied: { tables: number; rows: number }
  try {
    await pglite.waitReady
    await migrate(drizzle({ client: pglite }), { migrationsFolder })
    const server = await startEmbeddedPostgres(staging, { log })
    try {
      const sql = postgres({ ...server.connection, max: 1, onnotice: () => {} })
      try {
        await migratePostgres(drizzlePostgres({ client: sql }), { migrationsFolder })
        copied = await copyData(pglite, sql)
      } finally {
        await sql.end({ timeout: 5 })
      }
    } finally {
      await server.stop()
    }
  } finally {
    await pglite.close()
  }
  // The switch: the cluster's password first, then the cluster (its presence means "converted").
  renameSync(passwordFileOf(staging), passwordFileOf(dataDir))
  renameSync(clusterDirOf(staging), clusterDirOf(dataDir))
  keepAside(source, backup)
  rmSync(staging, { recursive: true, force: true })
  // A warning, so that it shows at every log level but silent: it asks the operator to act.
  log.warn(
    `converted ${copied.rows} rows in ${copied.tables} tables; the PGlite files are kept in ${backup}: delete them once you have checked your data`,
  )
  return copied
}

function keepAside(source: string, backup: string): void {
  if (!existsSync(source)) return
  let target = backup
  for (let n = 2; existsSync(target); n++) target = `${backup}-${n}`
  renameSync(source, target)
}

type PgliteClient = InstanceType<typeof import('@electric-sql/pglite').PGlite>

const quote = (name: string) => `"${name.replaceAll('"', '""')}"`

/** Copies every table of the public schema, then the sequences; checks the row counts. */
async function copyData(pglite: PgliteClient, sql: postgres.Sql): Promise<{ tables: number; rows: number }> {
  const tables = (
    await pglite.query<{ name: string }>(
      `select c.relname as name from pg_class c join pg_namespace n on n.oid = c.relnamespace
       where n.nspname = 'public' and c.relkind in ('r', 'p') order by c.relname`,
    )
  ).rows.map((r) => r.name)
  let rows = 0
  await sql.begin(async (tx) => {
    // Rows arrive table by table, not in foreign-key order: the constraints and triggers wait
    // (replica mode); the data already satisfied them in the source database.
    await tx.unsafe('set local session_replication_role = replica')
    for (const table of tables) {
      const columns = (
        await pglite.query<{ name: string }>(
          `select attname as name from pg_attribute
           where attrelid = $1::regclass and attnum > 0 and not attisdropped and attgenerated = ''
           order by attnum`,
          [`public.${quote(table)}`],
        )
      ).rows.map((r) => quote(r.name))
      const target = `public.${quote(table)} (${columns.join(', ')})`
      const out = await pglite.query(`copy ${target} to '/dev/blob'`)
      const count = out.affectedRows ?? 0
      if (count > 0 && out.blob) {
        const writable = await tx.unsafe(`copy ${target} from stdin`).writable()
        await pipeline(Readable.from(Buffer.from(await out.blob.arrayBuffer())), writable)
      }
      const [copied] = await tx.unsafe<{ n: string }[]>(
        `select count(*)::text as n from public.${quote(table)}`,
      )
      if (Number(copied?.n) !== count) {
        throw new Error(`converting the PGlite data: ${table} has ${count} rows, ${copied?.n} were copied`)
      }
      rows += count
    }
    const sequences = (
      await pglite.query<{ name: string }>(
        `select c.relname as name from pg_class c join pg_namespace n on n.oid = c.relnamespace
         where n.nspname = 'public' and c.relkind = 'S'`,
      )
    ).rows.map((r) => r.name)
    for (const sequence of sequences) {
      const [state] = (
        await pglite.query<{ last_value: string; is_called: boolean }>(
          `select last_value::text, is_called from public.${quote(sequence)}`,
        )
      ).rows
      if (state) {
        await tx.unsafe('select setval($1::regclass, $2::bigint, $3)', [
          `public.${quote(sequence)}`,
          state.last_value,
          state.is_called,
        ])
      }
    }
  })
  return { tables: tables.length, rows }
}
