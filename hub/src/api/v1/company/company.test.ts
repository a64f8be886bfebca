import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestHub, type TestHub } from '../../../../test/helpers/hub.ts'
import { securityCases } from '../../../../test/helpers/security.ts'

let hub: TestHub
beforeAll(async () => {
  hub = await createTestHub()
})
afterAll(() => hub.close())

describe('GET /v1/ping', () => {
  it('answers pong to a valid API key', async () => {
    const company = await hub.createCompany()
    const res = await hub.call('GET', '/v1/ping', { auth: company.basic })
    expect(res.status).toBe(200)
    expect(res.body).toEqual({ ping: 'pong' })
  })
  securityCases(() => hub, { method: 'GET', path: () => '/v1/ping' })
})

describe('GET /v1/company', () => {
  it('returns the company of the credentials with its counts', async () => {
    const company = await hub.createCompany('Acme Telecom')
    await hub.createCompany('Someone Else')
    const res = await hub.call('GET', '/v1/company', { auth: company.basic })
    expect(res.status).toBe(200)
    expect(res.body).toEqual({
      company: { id: company.id, name: 'Acme Telecom', users_count: 2, numbers_count: 0 },
    })
  })

  it('is readable with a user token too', async () => {
    const company = await hub.createCompany('Agent View')
    const res = await hub.call('GET', '/v1/company', { auth: company.agentBearer })
    expect(res.status).toBe(200)
    expect(res.body.company.name).toBe('Agent View')
  })

  it('sends the rate-limit headers and answers 429 past the limit', async () => {
    const company = await hub.createCompany()
    const limited = await createTestHub({ env: { RATE_LIMIT_PER_MINUTE: '3' } })
    try {
      const c = await limited.createCompany()
      const statuses: number[] = []
      let last: Awaited<ReturnType<TestHub['call']>> | undefined
      for (let i = 0; i < 4; i++) {
        last = await limited.call('GET', '/v1/company', { auth: c.basic })
        statuses.push(last.status)
      }
      expect(statuses).toEqual([200, 200, 200, 429])
      expect(last!.headers.get('x-aircallapi-limit')).toBe('3')
      expect(last!.headers.get('x-aircallapi-remaining')).toBe('0')
      expect(Number(last!.headers.get('x-aircallapi-reset'))).toBeGreaterThan(
        limited.clock.now().getTime() / 1000,
      )
      limited.clock.advance(60_000)
      expect((await limited.call('GET', '/v1/company', { auth: c.basic })).status).toBe(200)
    } finally {
      await limited.close()
    }
    const ok = await hub.call('GET', '/v1/company', { auth: company.basic })
    expect(ok.headers.get('x-aircallapi-limit')).toBe('120')
  })
  securityCases(() => hub, { method: 'GET', path: () => '/v1/company' })
})

describe('health and docs', () => {
  it('reports liveness and readiness', async () => {
    expect((await hub.call('GET', '/healthz')).body).toEqual({ status: 'ok' })
    const ready = await hub.call('GET', '/readyz')
    expect(ready.status).toBe(200)
    expect(ready.body).toEqual({ status: 'ready', checks: { database: 'ok', queue: 'ok' } })
  })

  it('serves the OpenAPI 3.1 document and the reference page without credentials', async () => {
    const doc = await hub.call('GET', '/v1/openapi.json')
    expect(doc.status).toBe(200)
    expect(doc.body.openapi).toBe('3.1.0')
    expect(Object.keys(doc.body.paths)).toEqual(expect.arrayContaining(['/v1/ping', '/v1/company']))
    const page = await hub.app.request('http://hub.test/docs')
    expect(page.status).toBe(200)
    expect(await page.text()).toContain('/v1/openapi.json')
    const asset = await hub.app.request('http://hub.test/docs/assets/swagger-ui-bundle.js')
    expect(asset.status).toBe(200)
  })

  it('answers unknown paths with a JSON 404 and a request id', async () => {
    const res = await hub.call('GET', '/nope')
    expect(res.status).toBe(404)
    expect(res.body.request_id).toBe(res.headers.get('x-request-id'))
  })
})

describe('input PostgreSQL cannot store', () => {
  it('answers 400, not 500, to a NUL character in a text field', async () => {
    const company = await hub.createCompany()
    const res = await hub.call('POST', '/v1/teams', { auth: company.basic, body: { name: 'Sales\u0000' } })
    expect(res.status).toBe(400)
    const user = await hub.call('PUT', `/v1/users/${company.agentUserId}`, {
      auth: company.basic,
      body: { first_name: 'Al\u0000an' },
    })
    expect(user.status).toBe(400)
  })
})
