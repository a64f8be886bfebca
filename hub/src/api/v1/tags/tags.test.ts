import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestHub, type TestCompany, type TestHub } from '../../../../test/helpers/hub.ts'
import { securityCases } from '../../../../test/helpers/security.ts'

let hub: TestHub
beforeAll(async () => {
  hub = await createTestHub()
})
afterAll(() => hub.close())

type Tag = { id: number; name: string; color: string; description: string | null }
const SYSTEM = ['Conference', 'Callback Request', 'Called Back', 'Follow Up']

async function createTag(company: TestCompany, name = `Tag ${Math.random().toString(36).slice(2, 8)}`) {
  const res = await hub.call('POST', '/v1/tags', { auth: company.basic, body: { name, color: '#0033CC' } })
  expect(res.status).toBe(201)
  return res.body.tag as Tag
}

async function systemTag(company: TestCompany, name = 'Follow Up'): Promise<Tag> {
  const res = await hub.call('GET', '/v1/tags', { auth: company.basic })
  return res.body.tags.find((t: Tag) => t.name === name)
}

describe('POST /v1/tags', () => {
  it('creates a tag in the Aircall shape', async () => {
    const company = await hub.createCompany()
    const res = await hub.call('POST', '/v1/tags', {
      auth: company.adminBearer,
      body: { name: ' Interested ', color: '#00b27a', description: 'Wants a demo' },
    })
    expect(res.status).toBe(201)
    expect(res.body).toEqual({
      tag: {
        id: expect.any(Number),
        direct_link: `http://hub.test/v1/tags/${res.body.tag.id}`,
        name: 'Interested',
        color: '#00b27a',
        description: 'Wants a demo',
      },
    })
    const noDescription = await hub.call('POST', '/v1/tags', {
      auth: company.basic,
      body: { name: 'Lost', color: '#FF0000' },
    })
    expect(noDescription.body.tag.description).toBeNull()
  })

  it('refuses a duplicate name (any case, system tags included) with 400 naming name', async () => {
    const company = await hub.createCompany()
    const other = await hub.createCompany()
    await createTag(company, 'Hot lead')
    for (const name of ['Hot lead', 'HOT LEAD', 'follow up']) {
      const res = await hub.call('POST', '/v1/tags', {
        auth: company.basic,
        body: { name, color: '#000000' },
      })
      expect(res.status, name).toBe(400)
      expect(res.body.field).toBe('name')
    }
    await createTag(other, 'Hot lead')
  })

  it('answers 400 naming the field for each invalid input', async () => {
    const company = await hub.createCompany()
    for (const [body, field] of [
      [{ color: '#000000' }, 'name'],
      [{ name: '  ', color: '#000000' }, 'name'],
      [{ name: 'x'.repeat(65), color: '#000000' }, 'name'],
      [{ name: 'No color' }, 'color'],
      [{ name: 'Bad color', color: 'red' }, 'color'],
      [{ name: 'Short color', color: '#FFF' }, 'color'],
      [{ name: 'Not hex', color: '#GGGGGG' }, 'color'],
      [{ name: 'Long desc', color: '#000000', description: 'x'.repeat(256) }, 'description'],
      [{ name: 'Nul\u0000', color: '#000000' }, 'name'],
    ] as const) {
      const res = await hub.call('POST', '/v1/tags', { auth: company.basic, body })
      expect(res.status, JSON.stringify(body)).toBe(400)
      expect(res.body.field).toBe(field)
    }
  })

  securityCases(() => hub, {
    method: 'POST',
    path: () => '/v1/tags',
    body: { name: 'Sec', color: '#123456' },
    adminOnly: true,
  })
})

describe('GET /v1/tags', () => {
  it('lists the system tags first, then the company tags, to agents too', async () => {
    const company = await hub.createCompany()
    const other = await hub.createCompany()
    await createTag(other, 'Foreign')
    await createTag(company, 'Mine')
    const res = await hub.call('GET', '/v1/tags', { auth: company.agentBearer })
    expect(res.status).toBe(200)
    expect(res.body.tags.map((t: Tag) => t.name)).toEqual([...SYSTEM, 'Mine'])
    expect(res.body.meta).toEqual({
      count: 5,
      total: 5,
      current_page: 1,
      per_page: 20,
      next_page_link: null,
      previous_page_link: null,
    })
  })

  it('pages with Aircall meta and rejects per_page above 50', async () => {
    const company = await hub.createCompany()
    await createTag(company, 'Fifth')
    const res = await hub.call('GET', '/v1/tags?per_page=2&page=2', { auth: company.basic })
    expect(res.body.tags.map((t: Tag) => t.name)).toEqual(['Called Back', 'Follow Up'])
    expect(res.body.meta).toEqual({
      count: 2,
      total: 5,
      current_page: 2,
      per_page: 2,
      next_page_link: 'http://hub.test/v1/tags?per_page=2&page=3',
      previous_page_link: 'http://hub.test/v1/tags?per_page=2&page=1',
    })
    const tooMany = await hub.call('GET', '/v1/tags?per_page=51', { auth: company.basic })
    expect(tooMany.status).toBe(400)
    expect(tooMany.body.field).toBe('per_page')
  })

  securityCases(() => hub, { method: 'GET', path: () => '/v1/tags' })
})

describe('GET /v1/tags/:id', () => {
  it('returns the tag to admins and agents, 404 for unknown ids', async () => {
    const company = await hub.createCompany()
    const tag = await createTag(company, 'Demo')
    for (const auth of [company.basic, company.agentBearer]) {
      const res = await hub.call('GET', `/v1/tags/${tag.id}`, { auth })
      expect(res.status).toBe(200)
      expect(res.body).toEqual({ tag })
    }
    expect((await hub.call('GET', '/v1/tags/999999', { auth: company.basic })).status).toBe(404)
    const bad = await hub.call('GET', '/v1/tags/x1', { auth: company.basic })
    expect(bad.status).toBe(400)
    expect(bad.body.field).toBe('id')
  })

  securityCases(() => hub, {
    method: 'GET',
    path: async (c) => `/v1/tags/${(await createTag(c)).id}`,
    ownedResource: true,
  })
})

describe('PUT /v1/tags/:id', () => {
  it('updates the given fields only', async () => {
    const company = await hub.createCompany()
    const tag = await createTag(company, 'Warm')
    const res = await hub.call('PUT', `/v1/tags/${tag.id}`, {
      auth: company.basic,
      body: { name: 'Hot', description: 'Call today' },
    })
    expect(res.status).toBe(200)
    expect(res.body.tag).toEqual({ ...tag, name: 'Hot', description: 'Call today' })
    const recolored = await hub.call('PUT', `/v1/tags/${tag.id}`, {
      auth: company.adminBearer,
      body: { color: '#ABCDEF', description: null },
    })
    expect(recolored.body.tag).toEqual({ ...tag, name: 'Hot', color: '#ABCDEF', description: null })
    const read = await hub.call('GET', `/v1/tags/${tag.id}`, { auth: company.basic })
    expect(read.body.tag).toEqual(recolored.body.tag)
  })

  it('allows renaming a tag to its own name in another case, not to another tag name', async () => {
    const company = await hub.createCompany()
    const tag = await createTag(company, 'Warm')
    await createTag(company, 'Cold')
    const recased = await hub.call('PUT', `/v1/tags/${tag.id}`, {
      auth: company.basic,
      body: { name: 'WARM' },
    })
    expect(recased.status).toBe(200)
    expect(recased.body.tag.name).toBe('WARM')
    const clash = await hub.call('PUT', `/v1/tags/${tag.id}`, { auth: company.basic, body: { name: 'cold' } })
    expect(clash.status).toBe(400)
    expect(clash.body.field).toBe('name')
  })

  it('refuses to edit a system tag with 405', async () => {
    const company = await hub.createCompany()
    const followUp = await systemTag(company)
    const res = await hub.call('PUT', `/v1/tags/${followUp.id}`, {
      auth: company.basic,
      body: { color: '#000000' },
    })
    expect(res.status).toBe(405)
    expect(res.body.message).toContain('system tag')
    expect(await systemTag(company)).toEqual(followUp)
  })

  it('answers 400 naming the field for invalid values', async () => {
    const company = await hub.createCompany()
    const tag = await createTag(company)
    for (const [body, field] of [
      [{ color: 'blue' }, 'color'],
      [{ name: '' }, 'name'],
    ] as const) {
      const res = await hub.call('PUT', `/v1/tags/${tag.id}`, { auth: company.basic, body })
      expect(res.status).toBe(400)
      expect(res.body.field).toBe(field)
    }
  })

  securityCases(() => hub, {
    method: 'PUT',
    path: async (c) => `/v1/tags/${(await createTag(c)).id}`,
    body: { name: 'Renamed' },
    adminOnly: true,
    ownedResource: true,
  })
})

describe('DELETE /v1/tags/:id', () => {
  it('deletes the tag (204); its name is free again', async () => {
    const company = await hub.createCompany()
    const tag = await createTag(company, 'Temporary')
    const res = await hub.call('DELETE', `/v1/tags/${tag.id}`, { auth: company.basic })
    expect(res.status).toBe(204)
    expect((await hub.call('GET', `/v1/tags/${tag.id}`, { auth: company.basic })).status).toBe(404)
    expect((await hub.call('DELETE', `/v1/tags/${tag.id}`, { auth: company.basic })).status).toBe(404)
    await createTag(company, 'Temporary')
  })

  it('refuses to delete a system tag with 405', async () => {
    const company = await hub.createCompany()
    for (const name of SYSTEM) {
      const tag = await systemTag(company, name)
      const res = await hub.call('DELETE', `/v1/tags/${tag.id}`, { auth: company.basic })
      expect(res.status, name).toBe(405)
    }
    const list = await hub.call('GET', '/v1/tags', { auth: company.basic })
    expect(list.body.tags.map((t: Tag) => t.name)).toEqual(SYSTEM)
  })

  securityCases(() => hub, {
    method: 'DELETE',
    path: async (c) => `/v1/tags/${(await createTag(c)).id}`,
    adminOnly: true,
    ownedResource: true,
  })
})

describe('OpenAPI', () => {
  it('documents the tag routes with their 405 answer', async () => {
    const doc = await hub.call('GET', '/v1/openapi.json')
    expect(Object.keys(doc.body.paths['/v1/tags/{id}'])).toEqual(['get', 'put', 'delete'])
    expect(doc.body.paths['/v1/tags/{id}'].delete.responses).toHaveProperty('405')
    expect(Object.keys(doc.body.components.schemas.Tag.properties)).toEqual([
      'id',
      'direct_link',
      'name',
      'color',
      'description',
    ])
  })
})
