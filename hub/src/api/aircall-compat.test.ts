import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestHub, type TestHub } from '../../test/helpers/hub.ts'

/** Cross-cutting wire behaviours of Aircall's API v1 (list bounds, pagination links, error bodies) on every route family. */

let hub: TestHub
beforeAll(async () => {
  hub = await createTestHub()
})
afterAll(() => hub.close())

const LISTS = [
  '/v1/users',
  '/v1/users/availabilities',
  '/v1/teams',
  '/v1/contacts',
  '/v1/tags',
  '/v1/blacklist',
  '/v1/webhooks',
  '/v1/api_keys',
  '/v1/numbers',
  '/v1/invoices',
]

describe('from / to (UNIX seconds)', () => {
  it('answers 400 naming from or to past year 9999 on every list, never a 500', async () => {
    const company = await hub.createCompany()
    for (const path of LISTS) {
      for (const q of ['from=9007199254740991', 'to=253402300800', 'from=99999999999999']) {
        const res = await hub.call('GET', `${path}?${q}`, { auth: company.basic })
        expect(res.status, `${path}?${q}`).toBe(400)
        expect(res.body.field, `${path}?${q}`).toBe(q.split('=')[0])
      }
      const last = await hub.call('GET', `${path}?from=0&to=253402300799`, { auth: company.basic })
      expect(last.status, path).toBe(200)
    }
  })
})

describe('pagination links', () => {
  it('keep the path of PUBLIC_URL, as direct_link does', async () => {
    const proxied = await createTestHub({ env: { PUBLIC_URL: 'https://phone.example.com/switchboard/' } })
    try {
      const company = await proxied.createCompany()
      const res = await proxied.call('GET', '/v1/users?per_page=1&order=desc', { auth: company.basic })
      expect(res.status).toBe(200)
      expect(res.body.users[0].direct_link).toMatch(
        /^https:\/\/phone\.example\.com\/switchboard\/v1\/users\/\d+$/,
      )
      expect(res.body.meta.next_page_link).toBe(
        'https://phone.example.com/switchboard/v1/users?per_page=1&order=desc&page=2',
      )
      const page2 = await proxied.call('GET', '/v1/users?per_page=1&order=desc&page=2', {
        auth: company.basic,
      })
      expect(page2.body.meta.previous_page_link).toBe(
        'https://phone.example.com/switchboard/v1/users?per_page=1&order=desc&page=1',
      )
    } finally {
      await proxied.close()
    }
  })
})

describe('malformed bodies', () => {
  it('answer 400 with a message naming the body, on every route family', async () => {
    const company = await hub.createCompany()
    const routes: [string, string][] = [
      ['POST', '/v1/users'],
      ['POST', '/v1/teams'],
      ['POST', '/v1/contacts'],
      ['POST', '/v1/tags'],
      ['POST', '/v1/webhooks'],
      ['POST', '/v1/numbers'],
    ]
    for (const [method, path] of routes) {
      for (const body of ['{', '{"name":', '']) {
        const res = await hub.call(method, path, {
          auth: company.basic,
          body,
          headers: { 'content-type': 'application/json' },
        })
        expect(res.status, `${path} ${JSON.stringify(body)}`).toBe(400)
        expect(res.body).toMatchObject({ message: expect.any(String), field: '(body)' })
      }
    }
  })
})

describe('bad credentials', () => {
  it('answer 403 Forbidden even when the Basic api_id holds a NUL character', async () => {
    const company = await hub.createCompany()
    for (const pair of ['\u0000:x', `${company.apiId}\u0000:${company.apiToken}`]) {
      const res = await hub.call('GET', '/v1/company', {
        auth: `Basic ${Buffer.from(pair).toString('base64')}`,
      })
      expect(res.status, JSON.stringify(pair)).toBe(403)
      expect(res.body).toMatchObject({ message: 'Forbidden' })
    }
  })
})
