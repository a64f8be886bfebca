import { existsSync } from 'node:fs'
import { adminRequest, adminSocketPath } from '../admin/admin-socket.ts'
import type { AdminDeps } from '../admin/operations.ts'
import { systemClock } from '../core/clock.ts'
import { DomainError, type ErrorCode, errorCodes } from '../core/errors.ts'
import type { Logger } from '../core/logger.ts'
import { type DatabaseHandle, openDatabase } from '../db/client.ts'
import { acquireDataDirLock, type DataDirLock, DataDirLockedError, liveLockHolder } from '../db/lock.ts'
import type { Env } from '../env.ts'
import { createQueue } from '../jobs/create-queue.ts'
import type { JobQueue } from '../jobs/queue.ts'
import { createMailer } from '../mail/create-mailer.ts'
import { createSandboxCarrier } from '../telephony/carrier/sandbox-carrier.ts'

/**
 * Where `sb` runs its command. With the embedded database one process at a time runs DATA_DIR's
 * PostgreSQL server: if a hub holds the directory, the command goes to that hub's admin socket;
 * otherwise sb takes the lock and runs the server itself for the command's duration. With DATABASE_URL, sb connects to PostgreSQL like any hub does.
 */
export type AdminTarget =
  | {
      kind: 'socket'
      pid: number
      socketPath: string
      /** The running hub's API address, when it serves HTTP. */
      hubUrl: string | null
      /** Sends one admin request; non-2xx answers throw the hub's DomainError (code, message, field). */
      call(method: 'GET' | 'POST', path: string, body?: unknown): Promise<unknown>
      close(): Promise<void>
    }
  | {
      kind: 'direct'
      database: DatabaseHandle['kind']
      deps(): Promise<AdminDeps>
      close(): Promise<void>
    }

/** How long sb waits for a hub that holds the lock to open its admin socket (it may be migrating). */
const SOCKET_WAIT_MS = 30_000

export async function openAdminTarget(env: Env, logger: Logger): Promise<AdminTarget> {
  if (!env.DATABASE_URL) {
    const holder = liveLockHolder(env.DATA_DIR)
    if (holder !== null) return socketTarget(env, holder)
  }

  let lock: DataDirLock | null = null
  if (!env.DATABASE_URL) {
    try {
      lock = acquireDataDirLock(env.DATA_DIR)
    } catch (err) {
      // A hub started between our look and our take: talk to it instead.
      if (err instanceof DataDirLockedError) return socketTarget(env, err.pid)
      throw err
    }
    const held = lock
    process.once('exit', () => held.release())
  }

  let handle: DatabaseHandle | null = null
  let queue: Promise<JobQueue> | null = null
  let deps: Promise<AdminDeps> | null = null
  return {
    kind: 'direct',
    database: env.DATABASE_URL ? 'postgres' : 'embedded',
    deps() {
      deps ??= (async () => {
        handle = await openDatabase(
          env.DATABASE_URL
            ? { kind: 'postgres', url: env.DATABASE_URL, max: 2 }
            : {
                kind: 'embedded',
                dataDir: env.DATA_DIR,
                max: 2,
                // Operator-facing lines on stderr: stdout carries the command's output (--json).
                log: { info() {}, warn: (line) => process.stderr.write(`sb: ${line}\n`) },
              },
        )
        const db = handle.db
        const clock = systemClock
        return {
          db,
          clock,
          queue: () => {
            // Not started: sb only reads and re-queues dead letters; the hubs run the jobs.
            queue ??= createQueue({ env, db, clock, logger })
            return queue
          },
          // SMTP_URL, else .eml files in DATA_DIR/outbox, as the hub would send them.
          mailer: createMailer(env, logger),
          publicUrl: () => env.PUBLIC_URL?.replace(/\/$/, '') ?? `http://localhost:${env.PORT}`,
          // The only carrier so far, as in server.ts.
          carrier: createSandboxCarrier(),
          logger,
        }
      })()
      return deps
    },
    async close() {
      try {
        if (queue) await (await queue).close()
        await handle?.close()
      } finally {
        lock?.release()
      }
    },
  }
}

async function socketTarget(env: Env, pid: number): Promise<AdminTarget> {
  const socketPath = adminSocketPath(env.DATA_DIR)
  const deadline = Date.now() + SOCKET_WAIT_MS
  let hubUrl: string | null = null
  for (;;) {
    if (existsSync(socketPath)) {
      try {
        const status = await adminRequest(socketPath, 'GET', '/status', undefined, 5_000)
        hubUrl = stringProp(status.body, 'url') ?? null
        break
      } catch {
        // not listening yet, or a stale socket about to be replaced
      }
    }
    if (Date.now() > deadline || liveLockHolder(env.DATA_DIR) === null) {
      throw new DomainError(
        'unavailable',
        `another Switchboard process (pid ${pid}) uses DATA_DIR ${env.DATA_DIR} but does not answer on ${socketPath}. ` +
          'If it is a hub, wait until it has started; if it is another sb command, wait until it ends.',
      )
    }
    await new Promise((r) => setTimeout(r, 200))
  }
  return {
    kind: 'socket',
    pid,
    socketPath,
    hubUrl,
    async call(method, path, body) {
      const res = await adminRequest(socketPath, method, path, body)
      if (res.status >= 200 && res.status < 300) return res.body
      const code = stringProp(res.body, 'code')
      throw new DomainError(
        errorCodes.includes(code as ErrorCode) ? (code as ErrorCode) : 'internal',
        stringProp(res.body, 'message') ?? `the hub answered HTTP ${res.status}`,
        { field: stringProp(res.body, 'field') },
      )
    },
    async close() {},
  }
}

function stringProp(value: unknown, key: string): string | undefined {
  if (typeof value !== 'object' || value === null || !(key in value)) return undefined
  const prop: unknown = Reflect.get(value, key)
  return typeof prop === 'string' ? prop : undefined
}
