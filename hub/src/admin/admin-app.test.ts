import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { createTestHub, type TestHub } from '../../test/helpers/hub.ts'
import { createLogger } from '../logger.ts'
import { createAdminApp } from './admin-app.ts'

// The admin socket's API, in process (the e2e test drives it through the real socket). It
// runs in both test runs, so setup is also checked on PostgreSQL.

let hub: TestHub
let admin: ReturnType<typeof createAdminApp>
beforeAll(async () => {
  hub = await createTestHub()
  admin = createAdminApp({
    db: hub.db,
    clock: hub.clock,
    queue: async () => hub.queue,
    logger: createLogger('silent'),
  })
})
afterAll(() => hub.close())

const post = async (path: string, body: unknown) => {
  const res = await admin.request(path, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  })
  return { status: res.status, body: (await res.json()) as Record<string, unknown> }
}

describe('admin API', () => {
  test('POST /setup creates a company whose API key works on /v1', async () => {
    const res = await post('/setup', {
      company: 'Admin Co',
      email: 'boss@admin-co.test',
      password: 'long enough pw',
    })
    expect(res.status).toBe(201)
    const auth = `Basic ${Buffer.from(`${res.body.api_id}:${res.body.api_token}`).toString('base64')}`
    const company = await hub.call('GET', '/v1/company', { auth })
    expect(company.status).toBe(200)
    expect(company.body.company).toMatchObject({ id: res.body.company_id, name: 'Admin Co' })
    const user = await hub.userById(Number(res.body.user_id))
    expect(user).toMatchObject({ email: 'boss@admin-co.test', role: 'admin', companyId: res.body.company_id })
  })

  test('POST /setup names the bad field with 400, and refuses a taken email with 409', async () => {
    const good = { company: 'Field Co', email: 'x@field.test', password: 'long enough pw' }
    for (const [patch, field] of [
      [{ company: '   ' }, 'company'],
      [{ email: 'nope' }, 'email'],
      [{ password: 'short' }, 'password'],
      [{ password: undefined }, 'password'],
    ] as const) {
      const res = await post('/setup', { ...good, ...patch })
      expect({ patch, status: res.status, field: res.body.field }).toEqual({ patch, status: 400, field })
      expect(res.body.message).toContain(field)
    }
    expect((await post('/setup', '{not json')).status).toBe(400)

    expect((await post('/setup', good)).status).toBe(201)
    const again = await post('/setup', { ...good, company: 'Other', email: 'X@Field.test' })
    expect(again.status).toBe(409)
    expect(again.body).toMatchObject({ field: 'email', message: expect.stringContaining('already exists') })
  })

  test('POST /api-keys adds a working key to an existing company only', async () => {
    const company = await hub.createCompany()
    const res = await post('/api-keys', { company: company.id, name: 'Recovery' })
    expect(res.status).toBe(201)
    expect(res.body).toMatchObject({
      company_id: company.id,
      name: 'Recovery',
      api_id: expect.stringMatching(/^sbk_/),
    })
    const auth = `Basic ${Buffer.from(`${res.body.api_id}:${res.body.api_token}`).toString('base64')}`
    expect((await hub.call('GET', '/v1/company', { auth })).body.company.id).toBe(company.id)

    const missing = await post('/api-keys', { company: 987654 })
    expect(missing.status).toBe(404)
    expect(missing.body.field).toBe('company')
    const bad = await post('/api-keys', { company: 'abc' })
    expect(bad.status).toBe(400)
    expect(bad.body.field).toBe('company')
  })

  test('GET /jobs/failed validates the queue; POST /jobs/retry answers 404 for an unknown job', async () => {
    expect((await admin.request('/jobs/failed?queue=webhooks')).status).toBe(200)
    const bad = await admin.request('/jobs/failed?queue=nope')
    expect(bad.status).toBe(400)
    expect(((await bad.json()) as { field: string }).field).toBe('queue')
    const retry = await post('/jobs/retry', { queue: 'webhooks', id: 'missing' })
    expect(retry.status).toBe(404)
    expect((await admin.request('/nope')).status).toBe(404)
  })
})
