import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestHub, type TestCompany, type TestHub } from '../../../../test/helpers/hub.ts'
import { securityCases } from '../../../../test/helpers/security.ts'
import { isBlacklisted } from '../../../services/blacklist/blacklist-service.ts'

let hub: TestHub
beforeAll(async () => {
  hub = await createTestHub()
})
afterAll(() => hub.close())

type Entry = { id: number; number: string; raw_digits: string; note: string | null }
let seq = 0
const nextNumber = () => `+3317611${String(1000 + ++seq).padStart(4, '0')}`

async function blacklist(company: TestCompany, body: Record<string, unknown> = { number: nextNumber() }) {
  const res = await hub.call('POST', '/v1/blacklist', { auth: company.basic, body })
  expect(res.status, JSON.stringify(res.body)).toBe(201)
  return res.body.blacklisted_number as Entry
}

describe('POST /v1/blacklist', () => {
  it('normalises the number to E.164 and keeps it as given in raw_digits', async () => {
    const company = await hub.createCompany()
    const res = await hub.call('POST', '/v1/blacklist', {
      auth: company.adminBearer,
      body: { number: ' +33 1 76 11 11 11 ', note: 'Spam calls' },
    })
    expect(res.status).toBe(201)
    expect(res.body).toEqual({
      blacklisted_number: {
        id: expect.any(Number),
        direct_link: `http://hub.test/v1/blacklist/${res.body.blacklisted_number.id}`,
        number: '+33176111111',
        raw_digits: '+33 1 76 11 11 11',
        note: 'Spam calls',
        created_at: hub.clock.now().toISOString(),
      },
    })
  })

  it('reads national numbers with their country', async () => {
    const company = await hub.createCompany()
    const fr = await blacklist(company, { number: '01 76 11 11 11', country: 'fr' })
    expect(fr).toMatchObject({ number: '+33176111111', raw_digits: '01 76 11 11 11', note: null })
    const us = await blacklist(company, { number: '(415) 555-0100', country: 'US' })
    expect(us.number).toBe('+14155550100')
    const intl = await blacklist(company, { number: '0044 20 7946 0000' })
    expect(intl.number).toBe('+442079460000')
  })

  it('answers 200 with the existing entry when the number is already blacklisted', async () => {
    const company = await hub.createCompany()
    const first = await blacklist(company, { number: '+33176111111', note: 'first' })
    const again = await hub.call('POST', '/v1/blacklist', {
      auth: company.basic,
      body: { number: '01 76 11 11 11', country: 'FR', note: 'second' },
    })
    expect(again.status).toBe(200)
    expect(again.body.blacklisted_number).toEqual(first)
    const list = await hub.call('GET', '/v1/blacklist', { auth: company.basic })
    expect(list.body.meta.total).toBe(1)
  })

  it('answers 400 naming the field for invalid input', async () => {
    const company = await hub.createCompany()
    for (const [body, field] of [
      [{}, 'number'],
      [{ number: '' }, 'number'],
      [{ number: 'not a number' }, 'number'],
      [{ number: '01 76 11 11 11' }, 'number'],
      [{ number: '+33 1' }, 'number'],
      [{ number: '123', country: 'FR' }, 'number'],
      [{ number: '01 76 11 11 11', country: 'France' }, 'country'],
      [{ number: '+33176111111', note: 'x'.repeat(256) }, 'note'],
      [{ number: '+33176111111', note: 'Nul\u0000' }, 'note'],
      [{ number: 33176111111 }, 'number'],
    ] as const) {
      const res = await hub.call('POST', '/v1/blacklist', { auth: company.basic, body })
      expect(res.status, JSON.stringify(body)).toBe(400)
      expect(res.body.field, JSON.stringify(body)).toBe(field)
    }
    const list = await hub.call('GET', '/v1/blacklist', { auth: company.basic })
    expect(list.body.meta.total).toBe(0)
  })

  securityCases(() => hub, {
    method: 'POST',
    path: () => '/v1/blacklist',
    body: { number: '+33176119999' },
    adminOnly: true,
  })
})

describe('GET /v1/blacklist', () => {
  it('pages the company entries in the blacklisted_numbers envelope', async () => {
    const company = await hub.createCompany()
    const other = await hub.createCompany()
    await blacklist(other)
    const entries = [await blacklist(company), await blacklist(company), await blacklist(company)]
    const res = await hub.call('GET', '/v1/blacklist?per_page=2', { auth: company.basic })
    expect(res.status).toBe(200)
    expect(res.body.blacklisted_numbers.map((e: Entry) => e.id)).toEqual([entries[0]!.id, entries[1]!.id])
    expect(res.body.meta).toEqual({
      count: 2,
      total: 3,
      current_page: 1,
      per_page: 2,
      next_page_link: 'http://hub.test/v1/blacklist?per_page=2&page=2',
      previous_page_link: null,
    })
    const desc = await hub.call('GET', '/v1/blacklist?order=desc&per_page=1', { auth: company.basic })
    expect(desc.body.blacklisted_numbers.map((e: Entry) => e.id)).toEqual([entries[2]!.id])
    for (const query of ['per_page=51', 'page=-1']) {
      const bad = await hub.call('GET', `/v1/blacklist?${query}`, { auth: company.basic })
      expect(bad.status, query).toBe(400)
    }
  })

  securityCases(() => hub, { method: 'GET', path: () => '/v1/blacklist', adminOnly: true })
})

describe('GET /v1/blacklist/:id', () => {
  it('returns the entry, 404 for unknown ids', async () => {
    const company = await hub.createCompany()
    const entry = await blacklist(company)
    const res = await hub.call('GET', `/v1/blacklist/${entry.id}`, { auth: company.basic })
    expect(res.status).toBe(200)
    expect(res.body).toEqual({ blacklisted_number: entry })
    expect((await hub.call('GET', '/v1/blacklist/999999', { auth: company.basic })).status).toBe(404)
  })

  securityCases(() => hub, {
    method: 'GET',
    path: async (c) => `/v1/blacklist/${(await blacklist(c)).id}`,
    adminOnly: true,
    ownedResource: true,
  })
})

describe('GET /v1/blacklist/check', () => {
  it('tells agents whether a number is blacklisted, in any format, per company', async () => {
    const company = await hub.createCompany()
    const other = await hub.createCompany()
    await blacklist(company, { number: '+33176111111' })
    const check = async (who: TestCompany, query: string) => {
      const res = await hub.call('GET', `/v1/blacklist/check?${query}`, { auth: who.agentBearer })
      expect(res.status, query).toBe(200)
      return res.body
    }
    expect(await check(company, 'number=%2B33%201%2076%2011%2011%2011')).toEqual({ blacklisted: true })
    expect(await check(company, 'number=0176111111&country=FR')).toEqual({ blacklisted: true })
    expect(await check(company, 'number=%2B14155550100')).toEqual({ blacklisted: false })
    expect(await check(other, 'number=%2B33176111111')).toEqual({ blacklisted: false })
  })

  it('answers 400 naming number or country for unusable input', async () => {
    const company = await hub.createCompany()
    for (const [query, field] of [
      ['', 'number'],
      ['number=abc', 'number'],
      ['number=0176111111', 'number'],
      ['number=0176111111&country=FRA', 'country'],
    ]) {
      const res = await hub.call('GET', `/v1/blacklist/check?${query}`, { auth: company.basic })
      expect(res.status, query).toBe(400)
      expect(res.body.field, query).toBe(field)
    }
  })

  securityCases(() => hub, { method: 'GET', path: () => '/v1/blacklist/check?number=%2B33176111111' })
})

describe('DELETE /v1/blacklist/:id', () => {
  it('removes the entry (204): the number is accepted again', async () => {
    const company = await hub.createCompany()
    const entry = await blacklist(company, { number: '+33176111111' })
    const ctx = { db: hub.db, companyId: company.id }
    expect(await isBlacklisted(ctx, '+33176111111')).toBe(true)
    const res = await hub.call('DELETE', `/v1/blacklist/${entry.id}`, { auth: company.basic })
    expect(res.status).toBe(204)
    expect(await isBlacklisted(ctx, '+33176111111')).toBe(false)
    expect((await hub.call('DELETE', `/v1/blacklist/${entry.id}`, { auth: company.basic })).status).toBe(404)
    await blacklist(company, { number: '+33176111111' })
  })

  securityCases(() => hub, {
    method: 'DELETE',
    path: async (c) => `/v1/blacklist/${(await blacklist(c)).id}`,
    adminOnly: true,
    ownedResource: true,
  })
})

describe('isBlacklisted', () => {
  it('is scoped to the company', async () => {
    const company = await hub.createCompany()
    const other = await hub.createCompany()
    await blacklist(company, { number: '+14155550100' })
    expect(await isBlacklisted({ db: hub.db, companyId: company.id }, '+14155550100')).toBe(true)
    expect(await isBlacklisted({ db: hub.db, companyId: other.id }, '+14155550100')).toBe(false)
  })
})

describe('OpenAPI', () => {
  it('documents the blacklist routes', async () => {
    const doc = await hub.call('GET', '/v1/openapi.json')
    expect(Object.keys(doc.body.paths['/v1/blacklist'])).toEqual(['get', 'post'])
    expect(doc.body.paths['/v1/blacklist/check']).toHaveProperty('get')
    expect(Object.keys(doc.body.paths['/v1/blacklist/{id}'])).toEqual(['get', 'delete'])
    expect(doc.body.components.schemas).toHaveProperty('BlacklistedNumber')
  })
})
