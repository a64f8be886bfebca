import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { createTestHub, type TestCompany, type TestHub } from '../../test/helpers/hub.ts'
import { createTestNumber } from '../../test/helpers/numbers-factory.ts'
import { createLogger } from '../core/logger.ts'
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
    mailer: hub.mailer,
    publicUrl: () => 'http://hub.test',
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

  test('POST /setup takes the admin name when given', async () => {
    const res = await post('/setup', {
      company: 'Named Co',
      email: 'grace@named-co.test',
      password: 'long enough pw',
      first_name: ' Grace ',
      last_name: 'Hopper',
    })
    expect(res.status).toBe(201)
    const auth = `Basic ${Buffer.from(`${res.body.api_id}:${res.body.api_token}`).toString('base64')}`
    const me = await hub.call('GET', `/v1/users/${res.body.user_id}`, { auth })
    expect(me.body.user.name).toBe('Grace Hopper')
  })

  test('POST /setup names the bad field with 400, and takes an email already used in another company', async () => {
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

    const first = await post('/setup', good)
    expect(first.status).toBe(201)
    // Emails are unique per company: the same owner may set up a second company.
    const again = await post('/setup', { ...good, company: 'Other', email: 'X@Field.test' })
    expect(again.status).toBe(201)
    expect(again.body.company_id).not.toBe(first.body.company_id)
    const login = (company_id: number) =>
      hub.call('POST', '/v1/auth/login', {
        body: { email: 'x@field.test', password: good.password, company_id },
      })
    expect((await login(first.body.company_id as number)).status).toBe(200)
    expect((await login(again.body.company_id as number)).status).toBe(200)
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

const PDF = new Uint8Array([...Buffer.from('%PDF-1.7\n%%EOF\n')])

/** A Belgian number (address document only) with a submission in review, sent through the API. */
async function numberInReview(company: TestCompany) {
  const number = await createTestNumber(hub.db, { companyId: company.id, country: 'BE' })
  const form = new FormData()
  const fields = {
    kind: 'personal',
    first_name: 'Ada',
    last_name: 'Lovelace',
    'address.line1': 'Rue Neuve 1',
    'address.city': 'Bruxelles',
    'address.postal_code': '1000',
    'address.country': 'BE',
  }
  for (const [k, v] of Object.entries(fields)) form.append(k, v)
  form.append('address_document', new File([PDF], 'bill.pdf'))
  const res = await hub.app.request(`http://hub.test/v1/numbers/${number.id}/verification`, {
    method: 'POST',
    headers: { authorization: company.basic },
    body: form,
  })
  expect(res.status).toBe(201)
  return number
}

const pending = async (query = '') => {
  const res = await admin.request(`/numbers/pending${query}`)
  return { status: res.status, body: (await res.json()) as { pending: { number_id: number }[] } }
}

const verificationOf = async (company: TestCompany, numberId: number) =>
  (await hub.call('GET', `/v1/numbers/${numberId}/verification`, { auth: company.basic })).body
    .verification as { state: string; submissions: { state: string; reason: string | null }[] }

describe('admin API: number document verification', () => {
  test('GET /numbers/pending lists the number; POST /numbers/approve makes it live and mails the admin', async () => {
    const company = await hub.createCompany('Review Co')
    const number = await numberInReview(company)
    const listed = await pending('?limit=1000')
    expect(listed.status).toBe(200)
    expect(listed.body.pending).toContainEqual(
      expect.objectContaining({ number_id: number.id, company_name: 'Review Co', e164: number.e164 }),
    )

    const res = await post('/numbers/approve', { number_id: number.id })
    expect(res.status).toBe(200)
    const admin = await hub.userById(company.adminUserId)
    expect(res.body).toMatchObject({
      number_id: number.id,
      company_id: company.id,
      state: 'active',
      notified: [admin!.email],
    })
    // Links in the answer (and the event) use the public URL the hub was given.
    expect(JSON.stringify(res.body.verification)).toContain(
      `"download_link":"http://hub.test/v1/numbers/${number.id}/verification/documents/`,
    )
    expect(hub.mailer.lastTo(admin!.email)?.subject).toContain(number.e164)
    expect((await verificationOf(company, number.id)).state).toBe('active')
    expect((await pending('?limit=1000')).body.pending.map((p) => p.number_id)).not.toContain(number.id)

    const again = await post('/numbers/approve', { number_id: number.id })
    expect(again.status).toBe(409)
    expect(again.body.message).toContain('Nothing to review')
  })

  test('POST /numbers/reject needs a reason, then the company sees it', async () => {
    const company = await hub.createCompany()
    const number = await numberInReview(company)
    const missing = await post('/numbers/reject', { number_id: number.id })
    expect(missing.status).toBe(400)
    expect(missing.body).toMatchObject({ field: 'reason', message: expect.stringContaining('reason') })
    expect((await post('/numbers/reject', { number_id: number.id, reason: '   ' })).body.field).toBe('reason')
    expect((await verificationOf(company, number.id)).state).toBe('in_review')

    const res = await post('/numbers/reject', { number_id: number.id, reason: 'The bill is unreadable' })
    expect(res.status).toBe(200)
    expect(res.body).toMatchObject({
      number_id: number.id,
      state: 'rejected',
      reason: 'The bill is unreadable',
    })
    const seen = await verificationOf(company, number.id)
    expect(seen.state).toBe('rejected')
    expect(seen.submissions[0]).toMatchObject({ state: 'rejected', reason: 'The bill is unreadable' })
  })

  test('bad input is 400, an unknown number 404, a number not in review 409', async () => {
    const company = await hub.createCompany()
    expect((await post('/numbers/approve', { number_id: 'twelve' })).status).toBe(400)
    expect((await post('/numbers/approve', '{not json')).status).toBe(400)
    expect((await post('/numbers/reject', { number_id: 2147483000, reason: 'x' })).status).toBe(404)
    expect((await post('/numbers/approve', { number_id: 2147483000 })).status).toBe(404)
    const waiting = await createTestNumber(hub.db, { companyId: company.id }) // no documents sent yet
    expect((await post('/numbers/approve', { number_id: waiting.id })).status).toBe(409)
    const bad = await pending('?limit=0')
    expect(bad.status).toBe(400)
    expect(bad.body).toMatchObject({ field: 'limit' })
  })
})
