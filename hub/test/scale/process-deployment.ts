import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Redis } from 'ioredis'
import postgres from 'postgres'
import { afterAll, beforeAll } from 'vitest'
import { type HubProcess, killStartedProcesses, startHub } from '../e2e/processes.ts'

/**
 * A deployment of separate hub processes for one test file of the scale run: a database of its
 * own on the run's PostgreSQL, a logical database of its own on its Redis (the hubs use
 * BullMQ's default key prefix), created before the file's tests and dropped after them with
 * the processes and DATA_DIRs they started.
 */
export function processDeployment(options: {
  /** Names the database (`<prefix>_<random>`) and the DATA_DIRs. */
  prefix: string
  /** The Redis logical database, distinct per file. */
  redisDb: number
  env?: Record<string, string>
}) {
  const adminUrl = process.env.SB_TEST_DATABASE_URL
  const sharedRedisUrl = process.env.SB_TEST_REDIS_URL
  if (!adminUrl || !sharedRedisUrl) {
    throw new Error(
      'This file belongs to the scale run (vitest.scale.config.ts): SB_TEST_DATABASE_URL and SB_TEST_REDIS_URL are unset',
    )
  }
  const databaseName = `${options.prefix}_${randomBytes(6).toString('hex')}`
  const databaseUrl = new URL(adminUrl)
  databaseUrl.pathname = `/${databaseName}`
  const redisUrl = new URL(sharedRedisUrl)
  redisUrl.pathname = `/${options.redisDb}`
  const env = { DATABASE_URL: databaseUrl.toString(), REDIS_URL: redisUrl.toString(), ...options.env }
  const dirs: string[] = []

  beforeAll(async () => {
    const admin = postgres(adminUrl, { max: 1, onnotice: () => {} })
    await admin.unsafe(`create database ${databaseName}`)
    await admin.end()
    const redis = new Redis(env.REDIS_URL)
    await redis.flushdb()
    redis.disconnect()
  })

  afterAll(async () => {
    await killStartedProcesses()
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
    const admin = postgres(adminUrl, { max: 1, onnotice: () => {} })
    await admin.unsafe(`drop database if exists ${databaseName} with (force)`)
    await admin.end()
  })

  function dataDir(): string {
    const dir = mkdtempSync(join(tmpdir(), `${options.prefix}-`))
    dirs.push(dir)
    return dir
  }

  /** A hub process of the given role; `direct` so that its pid is the hub's own (kill -9). */
  async function hubOfRole(role: 'web' | 'worker'): Promise<HubProcess> {
    const hub = startHub(dataDir(), 0, { direct: true, env: { ...env, HUB_ROLE: role } })
    await hub.waitHealthy()
    return hub
  }

  return { env, dataDir, hubOfRole }
}

/** A JSON request to a hub process; `body` is null for an empty answer. */
export async function json(hub: HubProcess, method: string, path: string, auth?: string, body?: unknown) {
  const res = await fetch(`${hub.url}${path}`, {
    method,
    headers: {
      ...(auth ? { authorization: auth } : {}),
      ...(body ? { 'content-type': 'application/json' } : {}),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  const text = await res.text()
  // biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary response shapes
  return { status: res.status, body: (text ? JSON.parse(text) : null) as any }
}
