import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestHub, type TestHub } from '../../test/helpers/hub.ts'
import { createAdminApp } from '../admin/admin-app.ts'
import { MAX_JSON_DEPTH } from '../core/json-depth.ts'
import { createLogger } from '../core/logger.ts'
import { createNumber } from './v1/numbers/numbers-fixtures.ts'

// A request body is read whole (1 MB at most) and parsed before any credential is checked on
// /v1/auth/*. A megabyte of brackets nests half a million levels deep: parsing and walking
// that occupied the event loop for most of a second per request, for anyone, unauthenticated.
// Bodies nesting past MAX_JSON_DEPTH are refused before they are parsed.

let hub: TestHub
beforeAll(async () => {
  hub = await createTestHub()
})
afterAll(() => hub.close())

/** `value` wrapped in `levels` arrays. */
const nest = (levels: number, value = '1') => `${'['.repeat(levels)}${value}${']'.repeat(levels)}`

const expectTooDeep = (res: { status: number; body: Record<string, unknown> }) => {
  expect(res.status).toBe(400)
  expect(res.body).toMatchObject({
    code: 'bad_request',
    field: '(body)',
    message: `The JSON body nests deeper than ${MAX_JSON_DEPTH} levels of arrays and objects`,
    request_id: expect.any(String),
  })
}

describe('deeply nested JSON bodies', () => {
  it('are refused with a 400 on the unauthenticated routes (1 MB of brackets, 500k levels)', async () => {
    const bomb = nest(500_000)
    expect(bomb.length).toBeGreaterThan(999_000)
    for (const path of ['/v1/auth/login', '/v1/auth/password/forgot', '/v1/auth/invitations/accept']) {
      expectTooDeep(await hub.call('POST', path, { body: bomb }))
    }
    // Nested inside an ordinary object, and unbalanced (never closed): refused all the same.
    expectTooDeep(
      await hub.call('POST', '/v1/auth/login', { body: `{"email":${nest(1_000)},"password":"x"}` }),
    )
    expectTooDeep(await hub.call('POST', '/v1/auth/login', { body: '{"a":'.repeat(100_000) }))
  })

  it(`are refused past ${MAX_JSON_DEPTH} levels, and accepted up to it`, async () => {
    // The object itself is the first level.
    const atLimit = `{"email":${nest(MAX_JSON_DEPTH - 1)},"password":"x"}`
    const res = await hub.call('POST', '/v1/auth/login', { body: atLimit })
    // It reached validation, which names the field.
    expect(res.status).toBe(400)
    expect(res.body.field).toBe('email')
    expectTooDeep(
      await hub.call('POST', '/v1/auth/login', { body: `{"email":${nest(MAX_JSON_DEPTH)},"password":"x"}` }),
    )
  })

  it('count only brackets outside strings (escaped quotes included)', async () => {
    for (const password of ['['.repeat(150), `\\"${'{'.repeat(150)}`, `"${'['.repeat(150)}\\`]) {
      const res = await hub.call('POST', '/v1/auth/login', {
        body: { email: 'nobody@example.test', password },
      })
      expect(res.status, password.slice(0, 5)).toBe(401)
    }
  })

  it('are refused on authenticated routes too, whatever the content type claims', async () => {
    const company = await hub.createCompany()
    expectTooDeep(await hub.call('POST', '/v1/tags', { auth: company.basic, body: nest(10_000) }))
    // This route scans the raw body for card numbers and walks the parsed JSON to name the field.
    const deepCard = `{"card":${nest(200_000, '"4111 1111 1111 1111"')}}`
    for (const contentType of ['application/json', 'text/plain']) {
      const res = await hub.app.request('http://hub.test/v1/account/payment_method', {
        method: 'PUT',
        headers: { authorization: company.basic, 'content-type': contentType },
        body: deepCard,
      })
      expectTooDeep({ status: res.status, body: (await res.json()) as Record<string, unknown> })
    }
  })

  it('leave routes that read the raw body themselves working (JSON sent to an upload route)', async () => {
    const company = await hub.createCompany()
    const number = await createNumber(hub, company)
    // Each upload route's own answer to a body that is not multipart; too deep is refused first.
    for (const [path, notMultipart] of [
      [`/v1/numbers/${number.id}/verification`, 400],
      [`/v1/numbers/${number.id}/audio`, 415],
    ] as const) {
      const plain = await hub.call('POST', path, { auth: company.basic, body: '{"kind":"company"}' })
      expect({ path, status: plain.status }).toEqual({ path, status: notMultipart })
      expect(plain.body).toMatchObject({ message: expect.any(String), request_id: expect.any(String) })
      expectTooDeep(await hub.call('POST', path, { auth: company.basic, body: nest(MAX_JSON_DEPTH + 1) }))
    }
  })

  it('are refused by the admin socket API', async () => {
    const admin = createAdminApp({
      db: hub.db,
      clock: hub.clock,
      queue: async () => hub.queue,
      mailer: hub.mailer,
      publicUrl: () => 'http://hub.test',
      logger: createLogger('silent'),
    })
    const res = await admin.request('/setup', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: `{"company":${nest(100_000)}}`,
    })
    expect(res.status).toBe(400)
    expect(await res.json()).toMatchObject({
      message: `the request body nests deeper than ${MAX_JSON_DEPTH} levels of arrays and objects`,
    })
  })
})
