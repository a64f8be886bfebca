import { eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestHub, type TestHub } from '../../../../test/helpers/hub.ts'
import { securityCases } from '../../../../test/helpers/security.ts'
import { apiKeys } from '../../../db/schema/index.ts'

let hub: TestHub
beforeAll(async () => {
  hub = await createTestHub()
})
afterAll(() => hub.close())

const basic = (apiId: string, token: string) => `Basic ${Buffer.from(`${apiId}:${token}`).toString('base64')}`

describe('API keys', () => {
  it('creates a key whose token is shown once and works for Basic auth', async () => {
    const company = await hub.createCompany()
    const created = await hub.call('POST', '/v1/api_keys', {
      auth: company.adminBearer,
      body: { name: 'CRM sync' },
    })
    expect(created.status).toBe(201)
    const key = created.body.api_key
    expect(key).toEqual({
      id: expect.any(Number),
      api_id: expect.stringMatching(/^sbk_[\w-]{12}$/),
      name: 'CRM sync',
      created_at: hub.clock.now().toISOString(),
      last_used_at: null,
      api_token: expect.stringMatching(/^sbt_[\w-]{32}$/),
    })
    const ping = await hub.call('GET', '/v1/company', { auth: basic(key.api_id, key.api_token) })
    expect(ping.status).toBe(200)
    expect(ping.body.company.id).toBe(company.id)

    const list = await hub.call('GET', '/v1/api_keys', { auth: company.basic })
    expect(list.status).toBe(200)
    expect(list.body.api_keys.map((k: { name: string }) => k.name)).toEqual(['Created at setup', 'CRM sync'])
    expect(list.body.meta).toMatchObject({ count: 2, total: 2 })
    expect(Object.keys(list.body.api_keys[1]).sort()).toEqual([
      'api_id',
      'created_at',
      'id',
      'last_used_at',
      'name',
    ])
    expect(JSON.stringify(list.body)).not.toContain(key.api_token)
    const [row] = await hub.db.select().from(apiKeys).where(eq(apiKeys.id, key.id))
    expect(JSON.stringify(row)).not.toContain(key.api_token)
  })

  it('revokes a key: 204, then the key answers 403 and leaves the list', async () => {
    const company = await hub.createCompany()
    const key = (await hub.call('POST', '/v1/api_keys', { auth: company.basic, body: { name: 'temp' } })).body
      .api_key
    const auth = basic(key.api_id, key.api_token)
    expect((await hub.call('GET', '/v1/ping', { auth })).status).toBe(200)
    const del = await hub.call('DELETE', `/v1/api_keys/${key.id}`, { auth: company.basic })
    expect(del.status).toBe(204)
    expect(del.body).toBeNull()
    const after = await hub.call('GET', '/v1/ping', { auth })
    expect(after.status).toBe(403)
    expect(after.body).toMatchObject({ message: 'Forbidden' })
    const list = await hub.call('GET', '/v1/api_keys', { auth: company.basic })
    expect(list.body.api_keys.map((k: { id: number }) => k.id)).not.toContain(key.id)
    expect((await hub.call('DELETE', `/v1/api_keys/${key.id}`, { auth: company.basic })).status).toBe(404)
  })

  it('records last use at most once a minute', async () => {
    const company = await hub.createCompany()
    const key = (await hub.call('POST', '/v1/api_keys', { auth: company.basic, body: { name: 'usage' } }))
      .body.api_key
    const auth = basic(key.api_id, key.api_token)
    const lastUsed = async () =>
      (await hub.call('GET', '/v1/api_keys', { auth: company.adminBearer })).body.api_keys.find(
        (k: { id: number }) => k.id === key.id,
      ).last_used_at
    const first = hub.clock.now().toISOString()
    await hub.call('GET', '/v1/ping', { auth })
    expect(await lastUsed()).toBe(first)
    hub.clock.advance(30_000)
    await hub.call('GET', '/v1/ping', { auth })
    expect(await lastUsed()).toBe(first)
    hub.clock.advance(30_000)
    await hub.call('GET', '/v1/ping', { auth })
    expect(await lastUsed()).toBe(hub.clock.now().toISOString())
  })

  it('answers 400 naming the field for bad input', async () => {
    const company = await hub.createCompany()
    for (const body of [{}, { name: '' }, { name: '  ' }, { name: 5 }, { name: 'x'.repeat(101) }]) {
      const res = await hub.call('POST', '/v1/api_keys', { auth: company.basic, body })
      expect(res.status, JSON.stringify(body)).toBe(400)
      expect(res.body.field).toBe('name')
    }
    for (const id of ['abc', '-1', '1.5', '99999999999']) {
      const res = await hub.call('DELETE', `/v1/api_keys/${id}`, { auth: company.basic })
      expect(res.status, id).toBe(400)
      expect(res.body.field).toBe('id')
    }
    const paging = await hub.call('GET', '/v1/api_keys?per_page=100', { auth: company.basic })
    expect(paging.status).toBe(400)
    expect(paging.body.field).toBe('per_page')
  })

  securityCases(() => hub, { method: 'GET', path: () => '/v1/api_keys', adminOnly: true })
  securityCases(() => hub, {
    method: 'POST',
    path: () => '/v1/api_keys',
    body: { name: 'x' },
    adminOnly: true,
  })
  securityCases(() => hub, {
    method: 'DELETE',
    path: async (c) => {
      const [row] = await hub.db.select().from(apiKeys).where(eq(apiKeys.companyId, c.id))
      return `/v1/api_keys/${row!.id}`
    },
    adminOnly: true,
    ownedResource: true,
  })
})
