import type { Logger } from '../core/logger.ts'
import { type DatabaseHandle, openDatabase } from './client.ts'
import { acquireDataDirLock, type DataDirLock } from './lock.ts'

/** A hub's database: DATABASE_URL's PostgreSQL, or the embedded server under DATA_DIR's lock. */
export type HubDatabase = {
  handle: DatabaseHandle
  /** True when this process holds DATA_DIR's lock (embedded): it then serves the admin socket. */
  ownsDataDir: boolean
  /** Closes the pool, stops the embedded server, then releases the lock. Idempotent. */
  close(): Promise<void>
}

/**
 * Takes DATA_DIR's lock (embedded only: a second hub on the same directory fails here with
 * DataDirLockedError), then opens the database. main.ts calls this before it loads the rest of
 * the hub, so the embedded server starts while the HTTP app's modules load.
 */
export async function openHubDatabase(
  env: { DATABASE_URL?: string; DATA_DIR: string },
  logger: Logger,
): Promise<HubDatabase> {
  let lock: DataDirLock | null = null
  let onExit: (() => void) | undefined
  const release = () => {
    if (onExit) process.off('exit', onExit)
    lock?.release()
  }
  if (!env.DATABASE_URL) {
    const held = acquireDataDirLock(env.DATA_DIR)
    lock = held
    // Also on process.exit() paths that skip close(): a crash leaves a stale lock, never a live-looking one.
    onExit = () => held.release()
    process.once('exit', onExit)
  }
  let handle: DatabaseHandle
  try {
    handle = await openDatabase(
      env.DATABASE_URL
        ? { kind: 'postgres', url: env.DATABASE_URL }
        : { kind: 'embedded', dataDir: env.DATA_DIR, log: logger.child({ component: 'database' }) },
    )
  } catch (err) {
    release()
    throw err
  }
  let closing: Promise<void> | undefined
  return {
    handle,
    ownsDataDir: lock !== null,
    close() {
      closing ??= handle.close().finally(release)
      return closing
    },
  }
}
