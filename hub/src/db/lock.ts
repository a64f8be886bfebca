import { linkSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'

/**
 * The embedded database is a PostgreSQL server that the process owning DATA_DIR starts and
 * stops (db/embedded-postgres.ts). Two owners would stop each other's server, and a server
 * found running must be known to be a dead owner's. So every process that opens DATA_DIR with
 * the embedded database (the hub, or `sb` when no hub runs) first takes this lock: a file
 * holding the owner's pid, created atomically.
 */
export class DataDirLockedError extends Error {
  constructor(
    readonly pid: number,
    readonly dataDir: string,
    readonly lockPath: string,
  ) {
    super(
      `another Switchboard process (pid ${pid}) uses DATA_DIR ${dataDir} (lock file ${lockPath}). ` +
        'Stop it first, or point DATA_DIR at another directory.',
    )
    this.name = 'DataDirLockedError'
  }
}

export type DataDirLock = {
  readonly path: string
  /** Removes the lock file if it is still ours. Idempotent. */
  release(): void
}

export const lockPathOf = (dataDir: string) => join(resolve(dataDir), 'hub.lock')

/** The pid written in the lock file, or null when there is no readable lock. */
export function readLockPid(dataDir: string): number | null {
  try {
    const pid = Number.parseInt(readFileSync(lockPathOf(dataDir), 'utf8').trim(), 10)
    return Number.isInteger(pid) && pid > 0 ? pid : null
  } catch {
    return null
  }
}

/**
 * The pid of the live process holding DATA_DIR's lock, or null when the lock is free or stale.
 * A pid is "live" when the process exists and, where /proc tells, is a Node process: after a
 * crash and a reboot (or a container restart) the old pid may belong to something unrelated.
 */
export function liveLockHolder(dataDir: string): number | null {
  const pid = readLockPid(dataDir)
  if (pid === null || pid === process.pid) return null
  return isLiveNodeProcess(pid) ? pid : null
}

function isLiveNodeProcess(pid: number): boolean {
  try {
    process.kill(pid, 0)
  } catch (err) {
    // EPERM: it exists but belongs to another user, so it is alive.
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false
  }
  try {
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8')
    return /node|tsx|switchboard/i.test(cmdline)
  } catch {
    return true // no /proc (or no access): trust kill(0)
  }
}

/** Takes DATA_DIR's lock or throws DataDirLockedError naming the live owner. */
export function acquireDataDirLock(dataDir: string): DataDirLock {
  const dir = resolve(dataDir)
  mkdirSync(dir, { recursive: true })
  const path = lockPathOf(dir)
  for (let tries = 0; tries < 5; tries++) {
    // Write the pid to a private file first, then link() it into place: link fails with
    // EEXIST when a lock exists, and a reader never sees a lock file without its pid.
    const temp = `${path}.${process.pid}.${tries}`
    writeFileSync(temp, `${process.pid}\n`, { mode: 0o644 })
    try {
      linkSync(temp, path)
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
      const holder = liveLockHolder(dir)
      if (holder !== null) throw new DataDirLockedError(holder, dir, path)
      // Stale (its process died without releasing): take it over. Two processes taking over
      // the same stale lock at the same instant is the one race left; a hub and an `sb` started
      // within the same millisecond after a crash is not a case worth a lock server.
      rmSync(path, { force: true })
      continue
    } finally {
      rmSync(temp, { force: true })
    }
    let released = false
    return {
      path,
      release() {
        if (released) return
        released = true
        if (readLockPid(dir) !== process.pid) return
        rmSync(path, { force: true })
      },
    }
  }
  throw new Error(`could not take the lock ${path}: it keeps changing hands`)
}
