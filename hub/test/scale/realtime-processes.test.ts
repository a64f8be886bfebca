import { randomBytes } from 'node:crypto'
import { and, eq } from 'drizzle-orm'
import postgres from 'postgres'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createLogger } from '../../src/core/logger.ts'
import { openDatabase } from '../../src/db/client.ts'
import { outbox } from '../../src/db/schema/index.ts'
import { parseEnv } from '../../src/env.ts'
import { createRedisBus } from '../../src/realtime/bus.ts'
import { createRedisPresenceStore } from '../../src/realtime/presence-store.ts'
import { createRealtimePublisher } from '../../src/realtime/realtime.ts'
import { createTestHub, type TestHub } from '../helpers/hub.ts'
import { connectAgent, tokenOf } from '../helpers/realtime-client.ts'
import { eventually } from '../jobs/eventually.ts'

// Two hub processes of one deployment (each with its own realtime channel, HTTP server and
// database pool) on the same PostgreSQL database and Redis: what an agent connected to one of
// them receives, and who is online, must not depend on which process the message or the
// question went through. Scale run only (vitest.scale.config.ts).

const adminUrl = process.env.SB_TEST_DATABASE_URL
const redisUrl = process.env.SB_TEST_REDIS_URL
if (!adminUrl || !redisUrl) {
  throw new Error(
    'This file belongs to the scale run (vitest.scale.config.ts): SB_TEST_DATABASE_URL and SB_TEST_REDIS_URL are unset',
  )
}

const databaseName = `sb_rt_${randomBytes(6).toString('hex')}`
const databaseUrl = (() => {
  const url = new URL(adminUrl)
  url.pathname = `/${databaseName}`
  return url.toString()
})()
const redisPrefix = `sb-test-rt-${randomBytes(4).toString('hex')}`
const timings = { graceMs: 300, entryTtlMs: 600, refreshMs: 150, reapMs: 50 }

let a: TestHub
let b: TestHub
let baseA: string
let baseB: string

beforeAll(async () => {
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} })
  await admin.unsafe(`create database ${databaseName}`)
  await admin.end()
  const open = () => openDatabase({ kind: 'postgres', url: databaseUrl, max: 5 })
  const options = { env: { REDIS_URL: redisUrl }, realtime: { redisPrefix, timings } }
  a = await createTestHub({ ...options, database: await open() })
  b = await createTestHub({ ...options, database: await open() })
  baseA = await a.listen()
  baseB = await b.listen()
})

afterAll(async () => {
  await a?.close()
  await b?.close()
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} })
  await admin.unsafe(`drop database if exists ${databaseName} with (force)`)
  await admin.end()
})

async function countEvents(companyId: number, event: string) {
  const rows = await a.db
    .select({ id: outbox.id })
    .from(outbox)
    .where(and(eq(outbox.companyId, companyId), eq(outbox.event, event)))
  return rows.length
}

describe('realtime across two hub processes (PostgreSQL + Redis)', () => {
  it('delivers to a client on one process what the engine sends through the other', async () => {
    const company = await a.createCompany()
    const { socket } = await connectAgent(baseA, tokenOf(company.agentBearer))
    // The directory is shared: process B sees the agent connected to A.
    expect(await b.realtime.presence.onlineUsers(company.id)).toEqual(new Set([company.agentUserId]))
    b.realtime.channel.send(company.id, [company.agentUserId], {
      type: 'dial',
      to: '+442079460000',
      number_id: 4,
    })
    expect(await socket.next('dial')).toEqual({ type: 'dial', to: '+442079460000', number_id: 4 })
    await socket.close()
  })

  it('lets a process with no WebSocket (a worker firing call timers) ring an agent connected to a web hub', async () => {
    const company = await a.createCompany()
    const logger = createLogger('silent')
    const worker = createRealtimePublisher({
      env: parseEnv({ REDIS_URL: redisUrl }),
      logger,
      bus: createRedisBus({ url: redisUrl, logger, channel: `${redisPrefix}:rt` }),
      store: createRedisPresenceStore({ url: redisUrl, logger, prefix: `${redisPrefix}:p` }),
    })
    try {
      await worker.ready()
      const { socket } = await connectAgent(baseB, tokenOf(company.agentBearer))
      expect(await worker.presence.onlineUsers(company.id)).toEqual(new Set([company.agentUserId]))
      worker.channel.send(company.id, [company.agentUserId], {
        type: 'call.ring_stopped',
        call_id: 12,
        reason: 'timeout',
      })
      expect(await socket.next('call.ring_stopped')).toEqual({
        type: 'call.ring_stopped',
        call_id: 12,
        reason: 'timeout',
      })
      await socket.close()
    } finally {
      await worker.close()
    }
  })

  it("pushes presence to the user's clients on both processes, and records one disconnection", async () => {
    const company = await a.createCompany()
    const onA = await connectAgent(baseA, tokenOf(company.agentBearer))
    const onB = await connectAgent(baseB, tokenOf(company.agentBearer))
    expect(onB.hello.presence.online).toBe(true)
    onA.socket.send({ type: 'set_status', ref: 'lunch', status: 'unavailable', reason: 'On a break' })
    expect(await onA.socket.next('ack')).toEqual({ type: 'ack', ref: 'lunch' })
    expect((await onB.socket.next('presence')).presence).toMatchObject({
      declared: 'unavailable',
      reason: 'On a break',
      routable: false,
    })
    // Leaving one process while connected to the other: still online, no event.
    await onA.socket.close()
    await new Promise((r) => setTimeout(r, timings.graceMs + 200))
    expect(await a.realtime.presence.onlineUsers(company.id)).toEqual(new Set([company.agentUserId]))
    expect(await countEvents(company.id, 'user.disconnected')).toBe(0)
    // Both processes reap; the user's disconnection is recorded once.
    await onB.socket.close()
    await eventually(async () => expect(await countEvents(company.id, 'user.disconnected')).toBe(1))
    await new Promise((r) => setTimeout(r, 300))
    expect(await countEvents(company.id, 'user.disconnected')).toBe(1)
    expect(await countEvents(company.id, 'user.connected')).toBe(1)
    expect(await b.realtime.presence.onlineUsers(company.id)).toEqual(new Set())
  })

  it("forgets the clients of a process that stopped refreshing them (a killed process), on the other's watch", async () => {
    const company = await a.createCompany()
    const other = await createTestHub({
      env: { REDIS_URL: redisUrl },
      realtime: { redisPrefix, timings },
      database: await openDatabase({ kind: 'postgres', url: databaseUrl, max: 2 }),
    })
    try {
      const base = await other.listen()
      const { socket } = await connectAgent(base, tokenOf(company.agentBearer))
      expect(await b.realtime.presence.onlineUsers(company.id)).toEqual(new Set([company.agentUserId]))
      // Its timers stop and its clients are never detached, as after a kill -9.
      await other.realtime.closeSockets()
      await socket.closed
      const stoppedAt = Date.now()
      await eventually(async () => expect(await countEvents(company.id, 'user.disconnected')).toBe(1))
      expect(Date.now() - stoppedAt).toBeLessThan(timings.entryTtlMs + 2_000)
      expect(await b.realtime.presence.onlineUsers(company.id)).toEqual(new Set())
      const availability = await a.call('GET', `/v1/users/${company.agentUserId}/availability`, {
        auth: company.basic,
      })
      expect(availability.body).toEqual({ availability: 'offline' })
    } finally {
      await other.close()
    }
  })
})
