import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import postgres from 'postgres'
import { clusterDirOf, passwordFileOf } from '../../src/db/embedded-postgres.ts'

export type DbAddress =
  | string
  | { host: string; port: number; user: string; password: string; database: string }

/**
 * Where the hub's database answers: DATABASE_URL, else the embedded server the hub runs in
 * DATA_DIR (its unix socket in the cluster directory, or the loopback port postmaster.pid names).
 */
export function hubDatabase(dataDir: string, env: Record<string, string>): DbAddress {
  if (env.DATABASE_URL) return env.DATABASE_URL
  const cluster = clusterDirOf(dataDir)
  // postmaster.pid: pid, data directory, start time, port, socket directory, listen address, …
  const lines = readFileSync(join(cluster, 'postmaster.pid'), 'utf8').split('\n')
  const port = Number(lines[3])
  const socketDir = lines[4]?.trim()
  return {
    host: socketDir && existsSync(join(socketDir, `.s.PGSQL.${port}`)) ? socketDir : '127.0.0.1',
    port,
    user: 'switchboard',
    password: readFileSync(passwordFileOf(dataDir), 'utf8').trim(),
    database: 'postgres',
  }
}

/**
 * PostgreSQL's cumulative statistics of the hub's database (pg_stat_database,
 * pg_stat_user_tables), read over a separate connection: the difference between two snapshots
 * says how many transactions and rows a piece of work cost, and on which tables. Backends
 * report their counters at most once a second, so wait a little before the last snapshot.
 */
export type DbStats = {
  commits: number
  rowsInserted: number
  rowsUpdated: number
  /** Rows read by sequential scans and fetched through indexes, per table. */
  tables: Map<string, { seqScans: number; seqRows: number; idxScans: number; idxRows: number }>
}

export async function readDbStats(address: DbAddress): Promise<DbStats> {
  const options = { max: 1, onnotice: () => {} }
  const sql = typeof address === 'string' ? postgres(address, options) : postgres({ ...address, ...options })
  try {
    // A fresh snapshot, not the one this connection may have cached in its transaction.
    await sql`select pg_stat_clear_snapshot()`
    const [db] = await sql<{ commits: string; ins: string; upd: string }[]>`
      select xact_commit as commits, tup_inserted as ins, tup_updated as upd
      from pg_stat_database where datname = current_database()`
    const tables = await sql<
      { name: string; seq: string; seq_rows: string; idx: string | null; idx_rows: string | null }[]
    >`
      select relname as name, seq_scan as seq, seq_tup_read as seq_rows, idx_scan as idx, idx_tup_fetch as idx_rows
      from pg_stat_user_tables`
    return {
      commits: Number(db?.commits ?? 0),
      rowsInserted: Number(db?.ins ?? 0),
      rowsUpdated: Number(db?.upd ?? 0),
      tables: new Map(
        tables.map((t) => [
          t.name,
          {
            seqScans: Number(t.seq),
            seqRows: Number(t.seq_rows),
            idxScans: Number(t.idx ?? 0),
            idxRows: Number(t.idx_rows ?? 0),
          },
        ]),
      ),
    }
  } finally {
    await sql.end({ timeout: 5 })
  }
}

/** What happened between two snapshots, per unit of work (e.g. per call), busiest tables first. */
export function describeDbCost(before: DbStats, after: DbStats, units: number, top = 4): string {
  const per = (n: number) => (n / Math.max(1, units)).toFixed(1)
  const tables = [...after.tables]
    .map(([name, a]) => {
      const b = before.tables.get(name) ?? { seqScans: 0, seqRows: 0, idxScans: 0, idxRows: 0 }
      return {
        name,
        scans: a.seqScans - b.seqScans + a.idxScans - b.idxScans,
        rows: a.seqRows - b.seqRows + a.idxRows - b.idxRows,
      }
    })
    .sort((x, y) => y.rows - x.rows)
  const rows = tables.reduce((n, t) => n + t.rows, 0)
  const scans = tables.reduce((n, t) => n + t.scans, 0)
  return (
    `${per(after.commits - before.commits)} transactions, ${per(scans)} table scans, ${per(rows)} rows read, ` +
    `${per(after.rowsInserted - before.rowsInserted)} inserted, ${per(after.rowsUpdated - before.rowsUpdated)} updated; ` +
    `rows read by table: ${tables
      .slice(0, top)
      .map((t) => `${t.name} ${per(t.rows)} (${per(t.scans)} scans)`)
      .join(', ')}`
  )
}
