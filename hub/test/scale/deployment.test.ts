import { createServer, type IncomingHttpHeaders } from 'node:http'
import type { AddressInfo } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { verifySignature } from '../../src/webhooks/signature.ts'
import { basicAuth, runSb } from '../e2e/processes.ts'
import { eventually } from '../jobs/eventually.ts'
import { json, processDeployment } from './process-deployment.ts'

// The README's "Running at scale" recipe, as separate processes: `sb migrate` and `sb setup`
// straight on PostgreSQL, a HUB_ROLE=web hub serving the API, a HUB_ROLE=worker hub running
// the jobs on BullMQ/Redis. Scale run only: it needs the PostgreSQL and Redis that
// test/setup/scale-services.ts starts.

type Delivery = {
  headers: IncomingHttpHeaders
  rawBody: string
  body: { event: string; data: { name?: string } }
}

const { env, dataDir, hubOfRole } = processDeployment({
  prefix: 'sb_deploy',
  redisDb: 9,
  env: { WEBHOOKS_ALLOW_PRIVATE: 'true' },
})

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
  await new Promise<void>((done) => receiver.listen(0, '127.0.0.1', done))
})

afterAll(async () => {
  receiver.closeAllConnections()
  await new Promise<void>((done) => receiver.close(() => done()))
})

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
