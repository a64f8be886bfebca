import { and, eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestHub, type TestCompany, type TestHub } from '../../../../test/helpers/hub.ts'
import { securityCases } from '../../../../test/helpers/security.ts'
import { outbox } from '../../../db/schema/index.ts'

let hub: TestHub
beforeAll(async () => {
  hub = await createTestHub()
})
afterAll(() => hub.close())

type Contact = {
  id: number
  first_name: string | null
  phone_numbers: { id: number; label: string; value: string }[]
  emails: { id: number; label: string; value: string }[]
  created_at: string
  updated_at: string
}

const sample = {
  first_name: 'Nathan',
  last_name: 'Melka',
  company_name: 'Aircall',
  information: 'Best contact ever',
  phone_numbers: [{ label: 'Work', value: '+33 1 76 11 11 11' }],
  emails: [{ label: 'Work', value: 'nathan@example.test' }],
}

async function createContact(company: TestCompany, body: Record<string, unknown> = sample): Promise<Contact> {
  const res = await hub.call('POST', '/v1/contacts', { auth: company.basic, body })
  expect(res.status, JSON.stringify(res.body)).toBe(201)
  return res.body.contact
}

async function eventsOf(companyId: number, event: string) {
  return hub.db
    .select()
    .from(outbox)
    .where(and(eq(outbox.companyId, companyId), eq(outbox.event, event)))
    .orderBy(outbox.id)
}

const names = (body: { contacts: Contact[] }) => body.contacts.map((c) => c.first_name)
const unix = () => Math.floor(hub.clock.now().getTime() / 1000)
const contactTime = () =>
  hub.clock
    .now()
    .toISOString()
    .replace(/\.\d{3}Z$/, 'Z')

describe('POST /v1/contacts', () => {
  it('creates a shared contact in the Aircall shape and records contact.created', async () => {
    const company = await hub.createCompany()
    const res = await hub.call('POST', '/v1/contacts', { auth: company.basic, body: sample })
    expect(res.status).toBe(201)
    const contact = res.body.contact
    expect(contact).toEqual({
      id: expect.any(Number),
      direct_link: `http://hub.test/v1/contacts/${contact.id}`,
      first_name: 'Nathan',
      last_name: 'Melka',
      company_name: 'Aircall',
      description: null,
      information: 'Best contact ever',
      is_shared: true,
      phone_numbers: [{ id: expect.any(Number), label: 'Work', value: '+33 1 76 11 11 11' }],
      emails: [{ id: expect.any(Number), label: 'Work', value: 'nathan@example.test' }],
      created_at: contactTime(),
      updated_at: contactTime(),
    })
    expect(contact.created_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/)
    const events = await eventsOf(company.id, 'contact.created')
    expect(events.map((e) => e.data)).toEqual([contact])
    expect(events[0]!.resource).toBe('contact')
  })

  it('creates duplicates when the same payload is posted twice, as Aircall', async () => {
    const company = await hub.createCompany()
    const a = await createContact(company)
    const b = await createContact(company)
    expect(a.id).not.toBe(b.id)
    const list = await hub.call('GET', '/v1/contacts', { auth: company.basic })
    expect(list.body.meta.total).toBe(2)
  })

  it('strips emojis from text fields and labels', async () => {
    const company = await hub.createCompany()
    const contact = await createContact(company, {
      first_name: 'Jane 🚀',
      last_name: '👩🏽‍💻',
      company_name: 'Acme™ 🇫🇷 Labs',
      information: 'VIP ⭐️\nCall mornings',
      description: '🎉',
      phone_numbers: [{ label: 'Mobile 📱', value: '+33 6 12 34 56 78' }],
      emails: [{ label: '✉️ Perso', value: 'jane@example.test' }],
    })
    expect(contact).toMatchObject({
      first_name: 'Jane',
      last_name: null,
      company_name: 'Acme™ Labs',
      information: 'VIP \nCall mornings',
      description: null,
      phone_numbers: [{ label: 'Mobile' }],
      emails: [{ label: 'Perso' }],
    })
  })

  it('stores phone numbers as given, even when they are not valid numbers', async () => {
    const company = await hub.createCompany()
    const contact = await createContact(company, {
      first_name: 'Odd',
      phone_numbers: [
        { label: 'Ext', value: '1234' },
        { label: 'Work', value: '(555) 010-999' },
      ],
    })
    expect(contact.phone_numbers.map((p) => p.value)).toEqual(['1234', '(555) 010-999'])
    expect(contact.emails).toEqual([])
  })

  it('answers 400 naming the field for each invalid input', async () => {
    const company = await hub.createCompany()
    const phone = { label: 'Work', value: '+33176111111' }
    const cases: [Record<string, unknown>, string][] = [
      [{ first_name: 'No phone' }, 'phone_numbers'],
      [{ phone_numbers: [] }, 'phone_numbers'],
      [{ phone_numbers: Array.from({ length: 21 }, () => phone) }, 'phone_numbers'],
      [{ phone_numbers: [{ value: '+33176111111' }] }, 'phone_numbers.0.label'],
      [{ phone_numbers: [{ label: ' ', value: '+33176111111' }] }, 'phone_numbers.0.label'],
      [{ phone_numbers: [{ label: '📞', value: '+33176111111' }] }, 'phone_numbers.0.label'],
      [{ phone_numbers: [phone, { label: 'Home' }] }, 'phone_numbers.1.value'],
      [{ phone_numbers: [phone, { label: 'Home', value: 'call me' }] }, 'phone_numbers.1.value'],
      [{ phone_numbers: [phone], emails: [{ label: 'Work', value: 'not-an-email' }] }, 'emails.0.value'],
      [{ phone_numbers: [phone], emails: [{ value: 'a@example.test' }] }, 'emails.0.label'],
      [
        {
          phone_numbers: [phone],
          emails: Array.from({ length: 21 }, () => ({ label: 'W', value: 'a@b.co' })),
        },
        'emails',
      ],
      [{ phone_numbers: [phone], first_name: 'x'.repeat(256) }, 'first_name'],
      [{ phone_numbers: [phone], last_name: 12 }, 'last_name'],
      [{ phone_numbers: [phone], information: 'x'.repeat(10_001) }, 'information'],
      [{ phone_numbers: [phone], first_name: 'Nul\u0000' }, 'first_name'],
      [{ phone_numbers: [{ label: 'W\u0000', value: '+33176111111' }] }, 'phone_numbers.0.label'],
    ]
    for (const [body, field] of cases) {
      const res = await hub.call('POST', '/v1/contacts', { auth: company.basic, body })
      expect(res.status, field).toBe(400)
      expect(res.body.field, JSON.stringify(body).slice(0, 80)).toBe(field)
    }
    const list = await hub.call('GET', '/v1/contacts', { auth: company.basic })
    expect(list.body.meta.total).toBe(0)
  })

  it('accepts 20 phone numbers and 20 emails', async () => {
    const company = await hub.createCompany()
    const contact = await createContact(company, {
      phone_numbers: Array.from({ length: 20 }, (_, i) => ({ label: `L${i}`, value: `+3317611110${i}` })),
      emails: Array.from({ length: 20 }, (_, i) => ({ label: `L${i}`, value: `e${i}@example.test` })),
    })
    expect(contact.phone_numbers).toHaveLength(20)
    expect(contact.emails).toHaveLength(20)
  })

  it('lets agents create contacts', async () => {
    const company = await hub.createCompany()
    const res = await hub.call('POST', '/v1/contacts', { auth: company.agentBearer, body: sample })
    expect(res.status).toBe(201)
  })

  securityCases(() => hub, { method: 'POST', path: () => '/v1/contacts', body: sample })
})

describe('GET /v1/contacts', () => {
  it('pages contacts of the company only, with meta and links', async () => {
    const company = await hub.createCompany()
    const other = await hub.createCompany()
    await createContact(other, { ...sample, first_name: 'Foreign' })
    for (let i = 1; i <= 3; i++) await createContact(company, { ...sample, first_name: `C${i}` })
    const res = await hub.call('GET', '/v1/contacts?per_page=2', { auth: company.agentBearer })
    expect(res.status).toBe(200)
    expect(names(res.body)).toEqual(['C1', 'C2'])
    expect(res.body.meta).toEqual({
      count: 2,
      total: 3,
      current_page: 1,
      per_page: 2,
      next_page_link: 'http://hub.test/v1/contacts?per_page=2&page=2',
      previous_page_link: null,
    })
    const second = await hub.call('GET', '/v1/contacts?per_page=2&page=2', { auth: company.basic })
    expect(names(second.body)).toEqual(['C3'])
    const desc = await hub.call('GET', '/v1/contacts?order=desc', { auth: company.basic })
    expect(names(desc.body)).toEqual(['C3', 'C2', 'C1'])
  })

  it('orders by updated_at and filters from/to on that column', async () => {
    const company = await hub.createCompany()
    const a = await createContact(company, { ...sample, first_name: 'A' })
    hub.clock.advance(60_000)
    await createContact(company, { ...sample, first_name: 'B' })
    hub.clock.advance(60_000)
    const since = unix()
    await hub.call('POST', `/v1/contacts/${a.id}`, { auth: company.basic, body: { last_name: 'Updated' } })
    const byCreated = await hub.call('GET', '/v1/contacts', { auth: company.basic })
    expect(names(byCreated.body)).toEqual(['A', 'B'])
    const byUpdated = await hub.call('GET', '/v1/contacts?order_by=updated_at', { auth: company.basic })
    expect(names(byUpdated.body)).toEqual(['B', 'A'])
    const recent = await hub.call('GET', `/v1/contacts?order_by=updated_at&from=${since}`, {
      auth: company.basic,
    })
    expect(names(recent.body)).toEqual(['A'])
    const created = await hub.call('GET', `/v1/contacts?from=${since}`, { auth: company.basic })
    expect(names(created.body)).toEqual([])
  })

  it('answers 400 to bad paging and ordering values', async () => {
    const company = await hub.createCompany()
    for (const query of ['per_page=51', 'page=0', 'order_by=name', 'order=sideways', 'to=yesterday']) {
      const res = await hub.call('GET', `/v1/contacts?${query}`, { auth: company.basic })
      expect(res.status, query).toBe(400)
      expect(res.body.field).toBe(query.split('=')[0])
    }
  })

  securityCases(() => hub, { method: 'GET', path: () => '/v1/contacts' })
})

describe('GET /v1/contacts/search', () => {
  it('finds a contact by phone number whatever its formatting', async () => {
    const company = await hub.createCompany()
    const other = await hub.createCompany()
    const nathan = await createContact(company)
    await createContact(company, {
      ...sample,
      first_name: 'Else',
      phone_numbers: [{ label: 'W', value: '+14155550100' }],
    })
    await createContact(other, sample)
    for (const phone of ['+33 1 76 11 11 11', '+33176111111', '0033176111111', '+33 (0)1 76 11 11 11']) {
      const res = await hub.call('GET', `/v1/contacts/search?phone_number=${encodeURIComponent(phone)}`, {
        auth: company.agentBearer,
      })
      expect(res.status, phone).toBe(200)
      expect(
        res.body.contacts.map((c: Contact) => c.id),
        phone,
      ).toEqual([nathan.id])
      expect(res.body.meta.total).toBe(1)
    }
  })

  it('finds numbers that do not parse by their digits', async () => {
    const company = await hub.createCompany()
    const ext = await createContact(company, {
      first_name: 'Ext',
      phone_numbers: [{ label: 'Ext', value: '12-34' }],
    })
    const res = await hub.call('GET', '/v1/contacts/search?phone_number=1234', { auth: company.basic })
    expect(res.body.contacts.map((c: Contact) => c.id)).toEqual([ext.id])
  })

  it('finds by email case-insensitively, and requires both to match when both are given', async () => {
    const company = await hub.createCompany()
    const nathan = await createContact(company)
    await createContact(company, {
      ...sample,
      first_name: 'Other',
      emails: [{ label: 'W', value: 'other@example.test' }],
    })
    const byEmail = await hub.call('GET', '/v1/contacts/search?email=NATHAN@example.test', {
      auth: company.basic,
    })
    expect(byEmail.body.contacts.map((c: Contact) => c.id)).toEqual([nathan.id])
    const both = await hub.call(
      'GET',
      '/v1/contacts/search?email=other@example.test&phone_number=%2B33176111111',
      {
        auth: company.basic,
      },
    )
    expect(both.body.contacts.map((c: Contact) => c.first_name)).toEqual(['Other'])
    const none = await hub.call('GET', '/v1/contacts/search?email=nobody@example.test', {
      auth: company.basic,
    })
    expect(none.status).toBe(200)
    expect(none.body).toMatchObject({ contacts: [], meta: { count: 0, total: 0 } })
  })

  it('pages its results', async () => {
    const company = await hub.createCompany()
    for (let i = 0; i < 3; i++) await createContact(company)
    const res = await hub.call('GET', '/v1/contacts/search?phone_number=%2B33176111111&per_page=2&page=2', {
      auth: company.basic,
    })
    expect(res.body.meta).toMatchObject({
      count: 1,
      total: 3,
      current_page: 2,
      per_page: 2,
      next_page_link: null,
    })
    expect(res.body.meta.previous_page_link).toBe(
      'http://hub.test/v1/contacts/search?phone_number=%2B33176111111&per_page=2&page=1',
    )
  })

  it('answers 400 without criteria, with a digitless number, or with bad paging', async () => {
    const company = await hub.createCompany()
    for (const [query, field] of [
      ['', 'phone_number'],
      ['phone_number=abc', 'phone_number'],
      ['phone_number=', 'phone_number'],
      ['email=', 'email'],
      ['email=a%00@b.co', 'email'],
      ['phone_number=%2B33%00176111111', 'phone_number'],
      ['email=a@b.co&per_page=51', 'per_page'],
    ]) {
      const res = await hub.call('GET', `/v1/contacts/search?${query}`, { auth: company.basic })
      expect(res.status, query).toBe(400)
      expect(res.body.field, query).toBe(field)
    }
  })

  securityCases(() => hub, { method: 'GET', path: () => '/v1/contacts/search?phone_number=%2B33176111111' })
})

describe('GET /v1/contacts/:id', () => {
  it('returns the contact to admins and agents', async () => {
    const company = await hub.createCompany()
    const contact = await createContact(company)
    for (const auth of [company.basic, company.adminBearer, company.agentBearer]) {
      const res = await hub.call('GET', `/v1/contacts/${contact.id}`, { auth })
      expect(res.status).toBe(200)
      expect(res.body).toEqual({ contact })
    }
  })

  it('answers 404 for unknown ids and 400 for malformed ones', async () => {
    const company = await hub.createCompany()
    expect((await hub.call('GET', '/v1/contacts/424242', { auth: company.basic })).status).toBe(404)
    const bad = await hub.call('GET', '/v1/contacts/99999999999', { auth: company.basic })
    expect(bad.status).toBe(400)
    expect(bad.body.field).toBe('id')
  })

  securityCases(() => hub, {
    method: 'GET',
    path: async (c) => `/v1/contacts/${(await createContact(c)).id}`,
    ownedResource: true,
  })
})

describe('POST /v1/contacts/:id (update)', () => {
  it('updates scalar fields only, bumps updated_at and records contact.updated', async () => {
    const company = await hub.createCompany()
    const contact = await createContact(company)
    hub.clock.advance(90_000)
    const res = await hub.call('POST', `/v1/contacts/${contact.id}`, {
      auth: company.agentBearer,
      body: {
        first_name: 'Nate 😎',
        company_name: null,
        description: 'Met at a fair',
        phone_numbers: [{ label: 'Ignored', value: '+14155550100' }],
      },
    })
    expect(res.status).toBe(200)
    expect(res.body.contact).toMatchObject({
      id: contact.id,
      first_name: 'Nate',
      last_name: 'Melka',
      company_name: null,
      description: 'Met at a fair',
      information: 'Best contact ever',
      phone_numbers: contact.phone_numbers,
      created_at: contact.created_at,
      updated_at: contactTime(),
    })
    expect(res.body.contact.updated_at).not.toBe(contact.updated_at)
    const events = await eventsOf(company.id, 'contact.updated')
    expect(events.map((e) => e.data)).toEqual([res.body.contact])
  })

  it('changes nothing and records nothing for an empty update', async () => {
    const company = await hub.createCompany()
    const contact = await createContact(company)
    hub.clock.advance(1000)
    const res = await hub.call('POST', `/v1/contacts/${contact.id}`, { auth: company.basic, body: {} })
    expect(res.status).toBe(200)
    expect(res.body.contact).toEqual(contact)
    expect(await eventsOf(company.id, 'contact.updated')).toHaveLength(0)
  })

  it('answers 400 naming the field for invalid values', async () => {
    const company = await hub.createCompany()
    const contact = await createContact(company)
    for (const [body, field] of [
      [{ first_name: 'x'.repeat(256) }, 'first_name'],
      [{ information: ['a'] }, 'information'],
    ] as const) {
      const res = await hub.call('POST', `/v1/contacts/${contact.id}`, { auth: company.basic, body })
      expect(res.status).toBe(400)
      expect(res.body.field).toBe(field)
    }
  })

  securityCases(() => hub, {
    method: 'POST',
    path: async (c) => `/v1/contacts/${(await createContact(c)).id}`,
    body: { first_name: 'Intruder' },
    ownedResource: true,
  })
})

describe('DELETE /v1/contacts/:id', () => {
  it('deletes the contact (204) and records contact.deleted with the contact as it was', async () => {
    const company = await hub.createCompany()
    const contact = await createContact(company)
    const res = await hub.call('DELETE', `/v1/contacts/${contact.id}`, { auth: company.adminBearer })
    expect(res.status).toBe(204)
    expect((await hub.call('GET', `/v1/contacts/${contact.id}`, { auth: company.basic })).status).toBe(404)
    const search = await hub.call('GET', '/v1/contacts/search?phone_number=%2B33176111111', {
      auth: company.basic,
    })
    expect(search.body.contacts).toEqual([])
    expect((await eventsOf(company.id, 'contact.deleted')).map((e) => e.data)).toEqual([contact])
    expect((await hub.call('DELETE', `/v1/contacts/${contact.id}`, { auth: company.basic })).status).toBe(404)
  })

  securityCases(() => hub, {
    method: 'DELETE',
    path: async (c) => `/v1/contacts/${(await createContact(c)).id}`,
    adminOnly: true,
    ownedResource: true,
  })
})

describe('phone_details', () => {
  it('adds (201), updates (200) and deletes (200) a phone number, each recording contact.updated', async () => {
    const company = await hub.createCompany()
    const contact = await createContact(company)
    const added = await hub.call('POST', `/v1/contacts/${contact.id}/phone_details`, {
      auth: company.agentBearer,
      body: { label: 'Mobile', value: '+44 20 7946 0000' },
    })
    expect(added.status).toBe(201)
    expect(added.body.contact.phone_numbers).toEqual([
      contact.phone_numbers[0],
      { id: expect.any(Number), label: 'Mobile', value: '+44 20 7946 0000' },
    ])
    const phoneId = added.body.contact.phone_numbers[1].id
    const found = await hub.call('GET', '/v1/contacts/search?phone_number=%2B442079460000', {
      auth: company.basic,
    })
    expect(found.body.contacts.map((c: Contact) => c.id)).toEqual([contact.id])

    const updated = await hub.call('PUT', `/v1/contacts/${contact.id}/phone_details/${phoneId}`, {
      auth: company.agentBearer,
      body: { value: '+1 415 555 0100' },
    })
    expect(updated.status).toBe(200)
    expect(updated.body.contact.phone_numbers[1]).toEqual({
      id: phoneId,
      label: 'Mobile',
      value: '+1 415 555 0100',
    })
    const moved = await hub.call('GET', '/v1/contacts/search?phone_number=%2B442079460000', {
      auth: company.basic,
    })
    expect(moved.body.contacts).toEqual([])
    const relabelled = await hub.call('PUT', `/v1/contacts/${contact.id}/phone_details/${phoneId}`, {
      auth: company.basic,
      body: { label: 'Cell' },
    })
    expect(relabelled.body.contact.phone_numbers[1]).toEqual({
      id: phoneId,
      label: 'Cell',
      value: '+1 415 555 0100',
    })

    const deleted = await hub.call('DELETE', `/v1/contacts/${contact.id}/phone_details/${phoneId}`, {
      auth: company.agentBearer,
    })
    expect(deleted.status).toBe(200)
    expect(deleted.body.contact.phone_numbers).toEqual(contact.phone_numbers)
    const events = await eventsOf(company.id, 'contact.updated')
    expect(events).toHaveLength(4)
    expect(events[3]!.data).toEqual(deleted.body.contact)
  })

  it('refuses to delete the last phone number (400) and a 21st one', async () => {
    const company = await hub.createCompany()
    const contact = await createContact(company)
    const last = await hub.call(
      'DELETE',
      `/v1/contacts/${contact.id}/phone_details/${contact.phone_numbers[0]!.id}`,
      {
        auth: company.basic,
      },
    )
    expect(last.status).toBe(400)
    expect(last.body.field).toBe('phone_numbers')
    const full = await createContact(company, {
      phone_numbers: Array.from({ length: 20 }, (_, i) => ({ label: 'W', value: `+3317611110${i}` })),
    })
    const extra = await hub.call('POST', `/v1/contacts/${full.id}/phone_details`, {
      auth: company.basic,
      body: { label: 'W', value: '+33176111199' },
    })
    expect(extra.status).toBe(400)
    expect(extra.body.field).toBe('phone_numbers')
    expect(await eventsOf(company.id, 'contact.updated')).toHaveLength(0)
  })

  it('answers 400 naming the field for invalid bodies', async () => {
    const company = await hub.createCompany()
    const contact = await createContact(company)
    const phoneId = contact.phone_numbers[0]!.id
    for (const [method, path, body, field] of [
      ['POST', `/v1/contacts/${contact.id}/phone_details`, { label: 'W' }, 'value'],
      ['POST', `/v1/contacts/${contact.id}/phone_details`, { label: 'W', value: 'none' }, 'value'],
      ['POST', `/v1/contacts/${contact.id}/phone_details`, { value: '+33176111111' }, 'label'],
      ['PUT', `/v1/contacts/${contact.id}/phone_details/${phoneId}`, {}, 'value'],
      ['PUT', `/v1/contacts/${contact.id}/phone_details/${phoneId}`, { value: '---' }, 'value'],
      ['PUT', `/v1/contacts/${contact.id}/phone_details/${phoneId}`, { label: '' }, 'label'],
      ['PUT', `/v1/contacts/${contact.id}/phone_details/abc`, { label: 'W' }, 'phone_number_id'],
    ] as const) {
      const res = await hub.call(method, path, { auth: company.basic, body })
      expect(res.status, `${method} ${JSON.stringify(body)}`).toBe(400)
      expect(res.body.field).toBe(field)
    }
  })

  it("answers 404 for a phone number of another contact or another company's contact", async () => {
    const company = await hub.createCompany()
    const other = await hub.createCompany()
    const mine = await createContact(company)
    const second = await createContact(company)
    const theirs = await createContact(other)
    for (const phoneId of [second.phone_numbers[0]!.id, theirs.phone_numbers[0]!.id, 999999]) {
      const put = await hub.call('PUT', `/v1/contacts/${mine.id}/phone_details/${phoneId}`, {
        auth: company.basic,
        body: { label: 'Hijack' },
      })
      expect(put.status).toBe(404)
      const del = await hub.call('DELETE', `/v1/contacts/${mine.id}/phone_details/${phoneId}`, {
        auth: company.basic,
      })
      expect(del.status).toBe(404)
    }
    const intact = await hub.call('GET', `/v1/contacts/${theirs.id}`, { auth: other.basic })
    expect(intact.body.contact).toEqual(theirs)
  })

  securityCases(() => hub, {
    method: 'POST',
    path: async (c) => `/v1/contacts/${(await createContact(c)).id}/phone_details`,
    body: { label: 'W', value: '+33176111112' },
    ownedResource: true,
  })
  securityCases(() => hub, {
    method: 'PUT',
    path: async (c) => {
      const contact = await createContact(c)
      return `/v1/contacts/${contact.id}/phone_details/${contact.phone_numbers[0]!.id}`
    },
    body: { label: 'Other' },
    ownedResource: true,
  })
  securityCases(() => hub, {
    method: 'DELETE',
    path: async (c) => {
      const contact = await createContact(c, {
        phone_numbers: [
          { label: 'A', value: '+33176111111' },
          { label: 'B', value: '+33176111112' },
        ],
      })
      return `/v1/contacts/${contact.id}/phone_details/${contact.phone_numbers[0]!.id}`
    },
    ownedResource: true,
  })
})

describe('email_details', () => {
  it('adds (201), updates (200) and deletes (200) emails, the last one included', async () => {
    const company = await hub.createCompany()
    const contact = await createContact(company)
    const added = await hub.call('POST', `/v1/contacts/${contact.id}/email_details`, {
      auth: company.agentBearer,
      body: { label: 'Home', value: 'nathan@home.test' },
    })
    expect(added.status).toBe(201)
    expect(added.body.contact.emails).toEqual([
      contact.emails[0],
      { id: expect.any(Number), label: 'Home', value: 'nathan@home.test' },
    ])
    const emailId = added.body.contact.emails[1].id
    const updated = await hub.call('PUT', `/v1/contacts/${contact.id}/email_details/${emailId}`, {
      auth: company.basic,
      body: { value: 'nate@home.test', label: 'Perso' },
    })
    expect(updated.status).toBe(200)
    expect(updated.body.contact.emails[1]).toEqual({ id: emailId, label: 'Perso', value: 'nate@home.test' })
    const found = await hub.call('GET', '/v1/contacts/search?email=nate@home.test', { auth: company.basic })
    expect(found.body.contacts.map((c: Contact) => c.id)).toEqual([contact.id])
    for (const id of [emailId, contact.emails[0]!.id]) {
      const del = await hub.call('DELETE', `/v1/contacts/${contact.id}/email_details/${id}`, {
        auth: company.basic,
      })
      expect(del.status).toBe(200)
    }
    const after = await hub.call('GET', `/v1/contacts/${contact.id}`, { auth: company.basic })
    expect(after.body.contact.emails).toEqual([])
    expect(await eventsOf(company.id, 'contact.updated')).toHaveLength(4)
  })

  it('answers 400 for invalid emails and past 20 emails, 404 for unknown ones', async () => {
    const company = await hub.createCompany()
    const contact = await createContact(company)
    const emailId = contact.emails[0]!.id
    const bad = await hub.call('POST', `/v1/contacts/${contact.id}/email_details`, {
      auth: company.basic,
      body: { label: 'W', value: 'nope' },
    })
    expect(bad.status).toBe(400)
    expect(bad.body.field).toBe('value')
    const badPut = await hub.call('PUT', `/v1/contacts/${contact.id}/email_details/${emailId}`, {
      auth: company.basic,
      body: { value: 'still nope' },
    })
    expect(badPut.status).toBe(400)
    expect(badPut.body.field).toBe('value')
    const full = await createContact(company, {
      phone_numbers: [{ label: 'W', value: '+33176111111' }],
      emails: Array.from({ length: 20 }, (_, i) => ({ label: 'W', value: `e${i}@example.test` })),
    })
    const extra = await hub.call('POST', `/v1/contacts/${full.id}/email_details`, {
      auth: company.basic,
      body: { label: 'W', value: 'e20@example.test' },
    })
    expect(extra.status).toBe(400)
    expect(extra.body.field).toBe('emails')
    const missing = await hub.call(
      'DELETE',
      `/v1/contacts/${contact.id}/email_details/${full.emails[0]!.id}`,
      {
        auth: company.basic,
      },
    )
    expect(missing.status).toBe(404)
  })

  securityCases(() => hub, {
    method: 'POST',
    path: async (c) => `/v1/contacts/${(await createContact(c)).id}/email_details`,
    body: { label: 'W', value: 'x@example.test' },
    ownedResource: true,
  })
  securityCases(() => hub, {
    method: 'PUT',
    path: async (c) => {
      const contact = await createContact(c)
      return `/v1/contacts/${contact.id}/email_details/${contact.emails[0]!.id}`
    },
    body: { label: 'Other' },
    ownedResource: true,
  })
  securityCases(() => hub, {
    method: 'DELETE',
    path: async (c) => {
      const contact = await createContact(c)
      return `/v1/contacts/${contact.id}/email_details/${contact.emails[0]!.id}`
    },
    ownedResource: true,
  })
})

describe('OpenAPI', () => {
  it('documents the contact routes, update as POST', async () => {
    const doc = await hub.call('GET', '/v1/openapi.json')
    expect(Object.keys(doc.body.paths['/v1/contacts/{id}'])).toEqual(['get', 'post', 'delete'])
    expect(Object.keys(doc.body.paths['/v1/contacts/{id}/phone_details/{phone_number_id}'])).toEqual([
      'put',
      'delete',
    ])
    expect(doc.body.paths['/v1/contacts/search']).toHaveProperty('get')
    expect(doc.body.components.schemas.Contact.required).toContain('phone_numbers')
  })
})
