import { type AddressInfo, createServer } from 'node:net'
import { Writable } from 'node:stream'
import pino from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestHub, type TestHub } from '../../../test/helpers/hub.ts'
import { startTestRedis, type TestRedis } from '../../../test/helpers/redis.ts'
import { createApp } from '../../app.ts'
import type { AppDeps } from '../context.ts'
import { createRedisRateCounter, type RateCounter } from './rate-counter.ts'

let hub: TestHub
let redis: TestRedis
const toClose: { close(): Promise<void> }[] = []
let seq = 0

beforeAll(async () => {
  redis = await startTestRedis('Rate-limit tests')
  hub = await createTestHub({ env: { RATE_LIMIT_PER_MINUTE: '3' } })
})

afterAll(async () => {
  await Promise.all(toClose.splice(0).map((c) => c.close()))
  await hub?.close()
  await redis?.stop()
})

/** A Redis counter under a key prefix of its own (the scale run shares one Redis between files). */
function redisCounter(url = redis.url) {
  const counter = createRedisRateCounter({ url, prefix: `sbtest:rl:${process.pid}:${Date.now()}:${++seq}` })
  toClose.push(counter)
  return counter
}

/**
 * The URL of a Redis that cannot be reached: a loopback port held open for the test, where
 * every connection is reset at once. (A port merely found free could be taken meanwhile by a
 * server another test file starts, a real Redis among them, and then counts would go through.)
 */
async function unreachableRedisUrl() {
  const server = createServer((socket) => socket.resetAndDestroy())
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done))
  toClose.push({ close: () => new Promise<void>((done) => server.close(() => done())) })
  const { port } = server.address() as AddressInfo // listening on a TCP port: an AddressInfo
  return `redis://127.0.0.1:${port}`
}

/** Another web instance: its own app (own limiter state) on the same database, clock and counter. */
function instance(rateCounter: RateCounter, overrides: Partial<AppDeps> = {}) {
  const app = createApp({ ...hub.deps, rateCounter, ...overrides })
  return (auth: string) => app.request('http://hub.test/v1/company', { headers: { authorization: auth } })
}

describe('rate limit shared through Redis', () => {
  it('counts one window across web instances', async () => {
    const company = await hub.createCompany()
    const counter = redisCounter()
    const a = instance(counter)
    const b = instance(counter)
    const statuses = [
      (await a(company.basic)).status,
      (await a(company.basic)).status,
      (await b(company.basic)).status,
    ]
    expect(statuses).toEqual([200, 200, 200])
    const limited = await b(company.basic)
    expect(limited.status).toBe(429)
    expect(limited.headers.get('x-aircallapi-limit')).toBe('3')
    expect(limited.headers.get('x-aircallapi-remaining')).toBe('0')
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1)
    expect((await limited.json()).code).toBe('rate_limited')
    expect((await a(company.basic)).status).toBe(429)

    // Another company keeps its own window.
    const other = await hub.createCompany()
    expect((await b(other.basic)).headers.get('x-aircallapi-remaining')).toBe('2')
  })

  it('starts a new window when the clock passes the minute', async () => {
    const company = await hub.createCompany()
    const counter = redisCounter()
    const a = instance(counter)
    const b = instance(counter)
    for (let i = 0; i < 3; i++) expect((await a(company.basic)).status).toBe(200)
    expect((await b(company.basic)).status).toBe(429)
    hub.clock.advance(60_000)
    const fresh = await b(company.basic)
    expect(fresh.status).toBe(200)
    expect(fresh.headers.get('x-aircallapi-remaining')).toBe('2')
    expect(Number(fresh.headers.get('x-aircallapi-reset'))).toBeGreaterThan(hub.clock.now().getTime() / 1000)
  })

  it('lets requests through and warns once a minute when Redis is unreachable', async () => {
    const company = await hub.createCompany()
    const lines: string[] = []
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(chunk.toString('utf8'))
        done()
      },
    })
    const logger = pino({ level: 'warn' }, sink)
    const down = instance(redisCounter(await unreachableRedisUrl()), { logger })
    const warnings = () => lines.filter((l) => l.includes('rate-limit counter unavailable')).length

    for (let i = 0; i < 5; i++) {
      const res = await down(company.basic)
      expect(res.status).toBe(200)
      expect(res.headers.get('x-aircallapi-limit')).toBe('3')
      expect(res.headers.get('x-aircallapi-remaining')).toBe('3')
    }
    expect(warnings()).toBe(1)
    hub.clock.advance(60_000)
    expect((await down(company.basic)).status).toBe(200)
    expect(warnings()).toBe(2)
  })
})
