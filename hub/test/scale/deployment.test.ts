import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer, type IncomingHttpHeaders } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { Redis } from 'ioredis'
import postgres from 'postgres'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { verifySignature } from '../../src/webhooks/signature.ts'
import { basicAuth, type HubProcess, killStartedProcesses, runSb, startHub } from '../e2e/processes.ts'
import { eventually } from '../jobs/eventually.ts'

// The README's "Running at scale" recipe, as separate processes: `sb migrate` and `sb setup`
// straight on PostgreSQL, a HUB_ROLE=web hub serving the API, a HUB_ROLE=worker hub running
// the jobs on BullMQ/Redis. Scale run only: it needs the PostgreSQL and Redis that
// test/setup/scale-services.ts starts.

const adminUrl = process.env.SB_TEST_DATABASE_URL
const sharedRedisUrl = process.env.SB_TEST_REDIS_URL
if (!adminUrl || !sharedRedisUrl) {
  throw new Error(
    'This file belongs to the scale run (vitest.scale.config.ts): SB_TEST_DATABASE_URL and SB_TEST_REDIS_URL are unset',
  )
}

type Delivery = {
  headers: IncomingHttpHeaders
  rawBody: string
  body: { event: string; data: { name?: string } }
}

const databaseName = `sb_deploy_${randomBytes(6).toString('hex')}`
const databaseUrl = (() => {
  const url = new URL(adminUrl)
  url.pathname = `/${databaseName}`
  return url.toString()
})()
// A logical database of its own on the shared Redis: the hubs use BullMQ's default key prefix.
const redisUrl = (() => {
  const url = new URL(sharedRedisUrl)
  url.pathname = '/9'
  return url.toString()
})()

const dirs: string[] = []
const received: Delivery[] = []
const receiver = createServer((req, res) => {
  const chunks: Buffer[] = []
  req.on('data', (c: Buffer) => chunks.push(c))
  req.on('end', () => {
    const rawBody = Buffer.concat(chunks).toString('utf8')
    received.push({ headers: req.headers, rawBody, body: JSON.parse(rawBody) })
    res.writeHead(200).end('ok')
  })
})

beforeAll(async () => {
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} })
  await admin.unsafe(`create database ${databaseName}`)
  await admin.end()
  const redis = new Redis(redisUrl)
  await redis.flushdb()
  redis.disconnect()
  await new Promise<void>((done) => receiver.listen(0, '127.0.0.1', done))
})

afterAll(async () => {
  await killStartedProcesses()
  receiver.closeAllConnections()
  await new Promise<void>((done) => receiver.close(() => done()))
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} })
  await admin.unsafe(`drop database if exists ${databaseName} with (force)`)
  await admin.end()
})

const env = { DATABASE_URL: databaseUrl, REDIS_URL: redisUrl, WEBHOOKS_ALLOW_PRIVATE: 'true' }

function dataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'sb-scale-'))
  dirs.push(dir)
  return dir
}

/** A hub process of the given role; `direct` so that its pid is the hub's own (kill -9). */
async function hubOfRole(role: 'web' | 'worker'): Promise<HubProcess> {
  const hub = startHub(dataDir(), 0, { direct: true, env: { ...env, HUB_ROLE: role } })
  await hub.waitHealthy()
  return hub
}

async function json(hub: HubProcess, method: string, path: string, auth?: string, body?: unknown) {
  const res = await fetch(`${hub.url}${path}`, {
    method,
    headers: {
      ...(auth ? { authorization: auth } : {}),
      ...(body ? { 'content-type': 'application/json' } : {}),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  // biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary response shapes
  return { status: res.status, body: (await res.json()) as any }
}

const teamsCreated = () =>
  received.filter((d) => d.body.event === 'team.created').map((d) => d.body.data.name)

describe('the scale deployment: web and worker hubs on PostgreSQL and Redis', () => {
  it('serves the API from the web hub, delivers webhooks from the worker, and loses no event while the worker is down', async () => {
    const migrate = await runSb(dataDir(), ['migrate'], { env })
    expect(migrate.code, migrate.stderr).toBe(0)
    const setup = await runSb(
      dataDir(),
      [
        'setup',
        '--company',
        'Acme Scale',
        '--email',
        'ops@acme.test',
        '--password',
        'a long password',
        '--json',
      ],
      { env },
    )
    expect(setup.code, setup.stderr).toBe(0)
    const { api_id, api_token } = JSON.parse(setup.stdout) as { api_id: string; api_token: string }
    const auth = basicAuth(api_id, api_token)

    const web = await hubOfRole('web')
    let worker = await hubOfRole('worker')

    // Both roles answer the probes; only the web hub serves the API.
    for (const hub of [web, worker]) {
      expect(await json(hub, 'GET', '/readyz')).toEqual({
        status: 200,
        body: { status: 'ready', checks: { database: 'ok', queue: 'ok' } },
      })
    }
    expect((await json(worker, 'GET', '/v1/company', auth)).status).toBe(404)
    const company = await json(web, 'GET', '/v1/company', auth)
    expect(company.status).toBe(200)
    expect(company.body.company.name).toBe('Acme Scale')

    const port = (receiver.address() as AddressInfo).port
    const hook = await json(web, 'POST', '/v1/webhooks', auth, {
      url: `http://127.0.0.1:${port}/hooks`,
      events: ['team.created'],
    })
    expect(hook.status).toBe(201)
    const secret = hook.body.webhook.signing_secret as string

    expect((await json(web, 'POST', '/v1/teams', auth, { name: 'Support' })).status).toBe(201)
    await eventually(() => expect(teamsCreated()).toEqual(['Support']), 30_000)
    const first = received[0]!
    expect(
      verifySignature({
        secret,
        rawBody: first.rawBody,
        timestamp: first.headers['x-switchboard-timestamp'] as string,
        signature: first.headers['x-switchboard-signature'] as string,
        nowSec: Math.floor(Date.now() / 1000),
      }),
    ).toBe(true)

    // The worker dies without warning; the API keeps answering and records the event.
    worker.child.kill('SIGKILL')
    expect((await worker.exited).signal).toBe('SIGKILL')
    expect((await json(web, 'POST', '/v1/teams', auth, { name: 'Sales' })).status).toBe(201)
    // The web hub does no background work: nothing goes out while no worker runs.
    await sleep(1_500)
    expect(teamsCreated()).toEqual(['Support'])

    // The next worker picks the event up, once.
    worker = await hubOfRole('worker')
    await eventually(() => expect(teamsCreated()).toEqual(['Support', 'Sales']), 30_000)
    await sleep(500)
    expect(teamsCreated()).toEqual(['Support', 'Sales'])

    for (const hub of [web, worker]) expect(await hub.stop('SIGTERM')).toEqual({ code: 0, signal: null })
  }, 240_000)
})
