import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestHub, type TestHub } from '../../test/helpers/hub.ts'
import type { JobQueue } from '../jobs/queue.ts'
import { createWorkerApp } from './health.ts'

let hub: TestHub
beforeAll(async () => {
  hub = await createTestHub()
})
afterAll(() => hub.close())

describe('the probes of a worker-only hub (HUB_ROLE=worker)', () => {
  it('answers /healthz and /readyz, and 404 with an explanation for the API', async () => {
    const app = createWorkerApp(hub.deps)
    const live = await app.request('http://worker.test/healthz')
    expect(live.status).toBe(200)
    expect(await live.json()).toEqual({ status: 'ok' })
    const ready = await app.request('http://worker.test/readyz')
    expect(ready.status).toBe(200)
    expect(await ready.json()).toEqual({ status: 'ready', checks: { database: 'ok', queue: 'ok' } })

    const api = await app.request('http://worker.test/v1/company', { headers: { 'x-request-id': 'probe-1' } })
    expect(api.status).toBe(404)
    expect(api.headers.get('x-request-id')).toBe('probe-1')
    expect(await api.json()).toMatchObject({ code: 'not_found', request_id: 'probe-1' })
  })

  it('answers 503 naming the part that is down', async () => {
    const downQueue: JobQueue = {
      ...hub.deps.queue,
      ping: async () => {
        throw new Error('connection refused')
      },
    }
    const app = createWorkerApp({ ...hub.deps, queue: downQueue })
    const ready = await app.request('http://worker.test/readyz')
    expect(ready.status).toBe(503)
    expect(await ready.json()).toEqual({
      status: 'not_ready',
      checks: { database: 'ok', queue: 'unreachable' },
    })
  })
})
