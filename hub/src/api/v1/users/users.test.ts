import { and, eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestHub, type TestCompany, type TestHub } from '../../../../test/helpers/hub.ts'
import { createTestNumber } from '../../../../test/helpers/numbers-factory.ts'
import { securityCases } from '../../../../test/helpers/security.ts'
import { outbox, users } from '../../../db/schema/index.ts'
import { createNumber } from '../numbers/numbers-fixtures.ts'

let hub: TestHub
beforeAll(async () => {
  hub = await createTestHub()
})
afterAll(() => hub.close())

let seq = 0
const email = (tag = 'user') => `${tag}-${++seq}-${Date.now().toString(36)}@example.test`

async function createUser(company: TestCompany, body: Record<string, unknown> = {}) {
  const res = await hub.call('POST', '/v1/users', { auth: company.basic, body: { email: email(), ...body } })
  expect(res.status, JSON.stringify(res.body)).toBe(201)
  return res.body.user
}

async function events(companyId: number, event: string) {
  const rows = await hub.db
    .select()
    .from(outbox)
    .where(and(eq(outbox.companyId, companyId), eq(outbox.event, event)))
  return rows.map((r) => r.data)
}

describe('POST /v1/users', () => {
  it('creates the user, answers 201 with the Aircall user object and mails an invitation', async () => {
    const company = await hub.createCompany('Acme')
    const now = hub.clock.now().toISOString()
    const address = email('jane')
    const res = await hub.call('POST', '/v1/users', {
      auth: company.adminBearer,
      body: { email: `  ${address.toUpperCase()} `, first_name: 'Jane', last_name: 'Doe' },
    })
    expect(res.status).toBe(201)
    const user = res.body.user
    expect(user).toEqual({
      id: expect.any(Number),
      direct_link: `http://hub.test/v1/users/${user.id}`,
      name: 'Jane Doe',
      email: address,
      created_at: now,
      available: true,
      availability_status: 'available',
      substatus: 'always_opened',
      numbers: [],
      time_zone: 'Etc/UTC',
      language: 'en-US',
      wrap_up_time: 0,
      first_name: 'Jane',
      last_name: 'Doe',
      is_admin: false,
      extension: '101', // 100 is the first admin's
      working_hours: {
        monday: [{ from: '09:00', to: '18:00' }],
        tuesday: [{ from: '09:00', to: '18:00' }],
        wednesday: [{ from: '09:00', to: '18:00' }],
        thursday: [{ from: '09:00', to: '18:00' }],
        friday: [{ from: '09:00', to: '18:00' }],
        saturday: [],
        sunday: [],
      },
      forwarding_numbers: [],
      caller_id_number_id: null,
      default_number_id: null,
      default_country_prefix: null,
      ringtone: 'classic',
      notification_prefs: { voicemail_email: true, assigned_call_email: false, daily_summary: false },
      invitation_status: 'pending',
    })

    const mail = hub.mailer.lastTo(address)
    expect(mail?.subject).toBe("You're invited to join Acme on Switchboard")
    expect(mail?.text).toContain('Ada Admin invited you')
    expect(mail?.text).toMatch(/http:\/\/hub\.test\/invitations\/accept\?token=sbi_[\w-]+/)
    expect(mail?.text).toContain('expires in 72 hours')

    expect(await events(company.id, 'user.created')).toEqual([user])
    const got = await hub.call('GET', `/v1/users/${user.id}`, { auth: company.basic })
    expect(got.body.user).toEqual(user)
  })

  it('stores every profile field, normalised', async () => {
    const company = await hub.createCompany()
    const user = await createUser(company, {
      first_name: 'Zoé',
      last_name: 'Martin',
      is_admin: true,
      availability_status: 'custom',
      time_zone: 'Europe/Paris',
      language: 'fr-fr',
      wrap_up_time: 30,
      extension: '495',
      working_hours: {
        monday: [
          { from: '14:00', to: '18:00' },
          { from: '09:00', to: '12:30' },
        ],
        friday: [{ from: '09:00', to: '24:00' }],
      },
      forwarding_numbers: ['01 76 11 11 11', '+33 1 76 11 11 11', '0044 20 7946 0958'],
      caller_id_number_id: null,
      default_number_id: null,
      default_country_prefix: 'FR',
      ringtone: 'soft-bell',
      notification_prefs: { daily_summary: true },
    })
    expect(user).toMatchObject({
      name: 'Zoé Martin',
      is_admin: true,
      availability_status: 'custom',
      substatus: null,
      time_zone: 'Europe/Paris',
      language: 'fr-FR',
      wrap_up_time: 30,
      extension: '495',
      forwarding_numbers: ['+33176111111', '+442079460958'],
      default_country_prefix: 'FR',
      ringtone: 'soft-bell',
      notification_prefs: { voicemail_email: true, assigned_call_email: false, daily_summary: true },
    })
    expect(user.working_hours.monday).toEqual([
      { from: '09:00', to: '12:30' },
      { from: '14:00', to: '18:00' },
    ])
    expect(user.working_hours.tuesday).toEqual([])
    const name = await companyName(company)
    expect(hub.mailer.lastTo(user.email)?.subject).toBe(`Invitation à rejoindre ${name} sur Switchboard`)
  })

  it("assigns the lowest free extension after the first admin's 100, and none when asked for null", async () => {
    const company = await hub.createCompany()
    const admin = await hub.call('GET', `/v1/users/${company.adminUserId}`, { auth: company.basic })
    expect(admin.body.user.extension).toBe('100')
    const taken = await hub.call('POST', '/v1/users', {
      auth: company.basic,
      body: { email: email(), extension: '100' },
    })
    expect(taken.status).toBe(400)
    expect(taken.body.field).toBe('extension')
    const a = await createUser(company, { extension: '102' })
    const b = await createUser(company)
    const c = await createUser(company, { extension: null })
    const d = await createUser(company)
    expect([a.extension, b.extension, c.extension, d.extension]).toEqual(['102', '101', null, '103'])
  })

  it('gives every user of a burst of concurrent creations their own extension', async () => {
    // 100 users created 10 at a time: each creation picks the lowest free extension, so
    // concurrent ones would read the same one and all but one fail without serialisation.
    const company = await hub.createCompany()
    const extensions: string[] = []
    for (let wave = 0; wave < 10; wave++) {
      const results = await Promise.all(
        Array.from({ length: 10 }, () =>
          hub.call('POST', '/v1/users', { auth: company.basic, body: { email: email('burst') } }),
        ),
      )
      for (const res of results) {
        expect(res.status, JSON.stringify(res.body)).toBe(201)
        extensions.push(res.body.user.extension)
      }
    }
    expect(new Set(extensions).size).toBe(100)
    expect(extensions.map(Number).sort((a, b) => a - b)).toEqual(
      Array.from({ length: 100 }, (_, i) => 101 + i),
    )
  })

  it.each([
    [{ email: undefined }, 'email'],
    [{ email: 'not-an-email' }, 'email'],
    [{ first_name: 42 }, 'first_name'],
    [{ is_admin: 'yes' }, 'is_admin'],
    [{ availability_status: 'sometimes' }, 'availability_status'],
    [{ time_zone: 'Mars/Olympus_Mons' }, 'time_zone'],
    [{ time_zone: '+01:00' }, 'time_zone'],
    [{ language: 'not a language' }, 'language'],
    [{ wrap_up_time: 301 }, 'wrap_up_time'],
    [{ wrap_up_time: -1 }, 'wrap_up_time'],
    [{ extension: '12' }, 'extension'],
    [{ extension: '12a' }, 'extension'],
    [{ extension: 123 }, 'extension'],
    [{ working_hours: { mon: [] } }, 'working_hours'],
    [{ working_hours: { monday: [{ from: '9:00', to: '12:00' }] } }, 'working_hours.monday.0.from'],
    [{ working_hours: { monday: [{ from: '12:00', to: '09:00' }] } }, 'working_hours.monday.0.to'],
    [{ working_hours: { monday: [{ from: '08:00', to: '24:01' }] } }, 'working_hours.monday.0.to'],
    [
      {
        working_hours: {
          tuesday: [
            { from: '09:00', to: '12:00' },
            { from: '11:30', to: '13:00' },
          ],
        },
      },
      'working_hours.tuesday.1',
    ],
    [{ forwarding_numbers: ['+33176111111', 'call me maybe'] }, 'forwarding_numbers.1'],
    [{ forwarding_numbers: ['01 76 11 11 11'] }, 'forwarding_numbers.0'],
    [{ forwarding_numbers: '+33176111111' }, 'forwarding_numbers'],
    [{ caller_id_number_id: 5 }, 'caller_id_number_id'], // the new company has no number
    [{ caller_id_number_id: '5' }, 'caller_id_number_id'],
    [{ caller_id_number_id: 0 }, 'caller_id_number_id'],
    [{ caller_id_number_id: 99999999999 }, 'caller_id_number_id'],
    [{ default_number_id: 5 }, 'default_number_id'],
    [{ default_number_id: 1.5 }, 'default_number_id'],
    [{ default_country_prefix: 'XX' }, 'default_country_prefix'],
    [{ default_country_prefix: 'fr' }, 'default_country_prefix'],
    // Codes Intl knows that are no ISO 3166-1 country: unknown region, EU, the UK's reserved code.
    [{ default_country_prefix: 'ZZ' }, 'default_country_prefix'],
    [{ default_country_prefix: 'EU' }, 'default_country_prefix'],
    [{ default_country_prefix: 'UK' }, 'default_country_prefix'],
    [{ team_ids: [0] }, 'team_ids.0'],
    [{ team_ids: 'sales' }, 'team_ids'],
    [{ ringtone: 'Loud Bell!' }, 'ringtone'],
    [{ notification_prefs: { sms: true } }, 'notification_prefs'],
    [{ notification_prefs: { daily_summary: 'yes' } }, 'notification_prefs.daily_summary'],
  ])('answers 400 naming the field for %j', async (patch, field) => {
    const company = await hub.createCompany()
    const body = { email: email(), ...patch }
    const res = await hub.call('POST', '/v1/users', { auth: company.basic, body })
    expect(res.status).toBe(400)
    expect(res.body.field).toBe(field)
    expect(res.body.message).toContain(field)
    const [row] = await hub.db
      .select()
      .from(users)
      .where(eq(users.email, body.email ?? ''))
    expect(row).toBeUndefined()
  })

  it('answers 400 to a body that is not JSON', async () => {
    const company = await hub.createCompany()
    const res = await hub.call('POST', '/v1/users', { auth: company.basic, body: '{"email":' })
    expect(res.status).toBe(400)
  })

  it('refuses an email already used, whatever its case (409 naming email)', async () => {
    const company = await hub.createCompany()
    const user = await createUser(company)
    const res = await hub.call('POST', '/v1/users', {
      auth: company.basic,
      body: { email: user.email.toUpperCase() },
    })
    expect(res.status).toBe(409)
    expect(res.body).toMatchObject({ field: 'email', code: 'conflict' })
  })

  it('puts the invited user in the teams of team_ids', async () => {
    const company = await hub.createCompany()
    const team = async (name: string) =>
      (await hub.call('POST', '/v1/teams', { auth: company.basic, body: { name } })).body.team.id as number
    const sales = await team('Sales')
    const support = await team('Support')
    const other = await team('Other')
    const user = await createUser(company, { team_ids: [sales, support, sales] })
    for (const [id, member] of [
      [sales, true],
      [support, true],
      [other, false],
    ] as const) {
      const res = await hub.call('GET', `/v1/teams/${id}`, { auth: company.basic })
      expect(
        res.body.team.users.some((u: { id: number }) => u.id === user.id),
        String(id),
      ).toBe(member)
    }
  })

  it('answers 400 naming the entry of team_ids that is no team of the company, and creates nobody', async () => {
    const company = await hub.createCompany()
    const other = await hub.createCompany()
    const mine = (await hub.call('POST', '/v1/teams', { auth: company.basic, body: { name: 'Mine' } })).body
      .team
    const theirs = (await hub.call('POST', '/v1/teams', { auth: other.basic, body: { name: 'Theirs' } })).body
      .team
    const address = email()
    const res = await hub.call('POST', '/v1/users', {
      auth: company.basic,
      body: { email: address, team_ids: [mine.id, theirs.id] },
    })
    expect(res.status).toBe(400)
    expect(res.body).toMatchObject({
      field: 'team_ids.1',
      message: `team_ids.1: team ${theirs.id} does not exist`,
    })
    expect(JSON.stringify(res.body)).not.toContain('Theirs')
    const [row] = await hub.db.select().from(users).where(eq(users.email, address))
    expect(row).toBeUndefined()
    expect(hub.mailer.lastTo(address)).toBeUndefined()
    const team = await hub.call('GET', `/v1/teams/${mine.id}`, { auth: company.basic })
    expect(team.body.team.users).toEqual([])
  })

  it('refuses an extension used in the same company, not in another one', async () => {
    const company = await hub.createCompany()
    const other = await hub.createCompany()
    await createUser(company, { extension: '321' })
    const res = await hub.call('POST', '/v1/users', {
      auth: company.basic,
      body: { email: email(), extension: '321' },
    })
    expect(res.status).toBe(400)
    expect(res.body.field).toBe('extension')
    await createUser(other, { extension: '321' })
  })

  securityCases(() => hub, {
    method: 'POST',
    path: () => '/v1/users',
    body: { email: 'x@example.test' },
    adminOnly: true,
  })
})

async function companyName(company: TestCompany) {
  const res = await hub.call('GET', '/v1/company', { auth: company.basic })
  return res.body.company.name as string
}

describe('GET /v1/users', () => {
  it('pages users by creation time with absolute links, from/to and order', async () => {
    const company = await hub.createCompany()
    await hub.createCompany() // another company's users never show up
    const start = hub.clock.now()
    const created = []
    for (let i = 0; i < 3; i++) {
      hub.clock.advance(60_000)
      created.push(await createUser(company))
    }
    const page1 = await hub.call('GET', '/v1/users?per_page=2', { auth: company.basic })
    expect(page1.status).toBe(200)
    expect(page1.body.meta).toEqual({
      count: 2,
      total: 5,
      current_page: 1,
      per_page: 2,
      next_page_link: 'http://hub.test/v1/users?per_page=2&page=2',
      previous_page_link: null,
    })
    // Ascending: the admin, the three new users, then the helper's agent (created on the wall clock).
    const page2 = await hub.call('GET', '/v1/users?per_page=2&page=2', { auth: company.basic })
    expect(page2.body.users.map((u: { id: number }) => u.id)).toEqual([created[1].id, created[2].id])
    expect(page2.body.meta.previous_page_link).toBe('http://hub.test/v1/users?per_page=2&page=1')
    const page3 = await hub.call('GET', '/v1/users?per_page=2&page=3', { auth: company.basic })
    expect(page3.body.users.map((u: { id: number }) => u.id)).toEqual([company.agentUserId])
    expect(page3.body.meta.next_page_link).toBeNull()

    const from = Math.floor(start.getTime() / 1000) + 61
    const to = from + 3600
    const windowed = await hub.call('GET', `/v1/users?from=${from}&to=${to}&order=desc`, {
      auth: company.basic,
    })
    expect(windowed.body.users.map((u: { id: number }) => u.id)).toEqual([created[2].id, created[1].id])
    expect(windowed.body.meta.total).toBe(2)
  })

  it('filters by search over names and email, ignoring case and accents', async () => {
    const company = await hub.createCompany()
    const other = await hub.createCompany()
    const jose = await createUser(company, { first_name: 'José', last_name: 'Example' })
    const jane = await createUser(company, { first_name: 'Jane', last_name: 'Doe', email: email('jdoe') })
    const helene = await createUser(company, { first_name: 'HÉLÈNE', last_name: 'Martin' })
    const percent = await createUser(company, { first_name: '100%', last_name: 'Sales' })
    await createUser(other, { first_name: 'José', last_name: 'Elsewhere' })
    const search = async (q: string) => {
      const res = await hub.call('GET', `/v1/users?search=${encodeURIComponent(q)}`, { auth: company.basic })
      expect(res.status, q).toBe(200)
      expect(res.body.meta.total, q).toBe(res.body.users.length)
      return res.body.users.map((u: { id: number }) => u.id)
    }
    expect(await search('jose')).toEqual([jose.id])
    expect(await search('JOSÉ ex')).toEqual([jose.id])
    expect(await search('doe jane')).toEqual([jane.id])
    expect(await search('jdoe-')).toEqual([jane.id])
    expect(await search('helene')).toEqual([helene.id])
    expect(await search('hélène mart')).toEqual([helene.id])
    expect(await search('%')).toEqual([percent.id])
    expect(await search('_')).toEqual([])
    expect(await search('elsewhere')).toEqual([])
    expect(await search('   ')).toHaveLength(6)
    const paged = await hub.call('GET', '/v1/users?search=a&per_page=1', { auth: company.basic })
    expect(paged.body.meta.next_page_link).toBe('http://hub.test/v1/users?search=a&per_page=1&page=2')
  })

  it('answers 400 to bad paging', async () => {
    const company = await hub.createCompany()
    for (const q of [
      'per_page=51',
      'page=0',
      'order=sideways',
      'from=yesterday',
      `search=${'x'.repeat(101)}`,
    ]) {
      const res = await hub.call('GET', `/v1/users?${q}`, { auth: company.basic })
      expect(res.status, q).toBe(400)
      expect(res.body.field).toBe(q.split('=')[0])
    }
  })

  securityCases(() => hub, { method: 'GET', path: () => '/v1/users', adminOnly: true })
})

describe('GET /v1/users/:id', () => {
  it('finds a user by id or by email address', async () => {
    const company = await hub.createCompany()
    const user = await createUser(company)
    const byId = await hub.call('GET', `/v1/users/${user.id}`, { auth: company.basic })
    const byEmail = await hub.call('GET', `/v1/users/${encodeURIComponent(user.email.toUpperCase())}`, {
      auth: company.adminBearer,
    })
    expect(byId.status).toBe(200)
    expect(byEmail.status).toBe(200)
    expect(byEmail.body).toEqual(byId.body)
  })

  it('lets an agent read themselves but not a teammate', async () => {
    const company = await hub.createCompany()
    const self = await hub.call('GET', `/v1/users/${company.agentUserId}`, { auth: company.agentBearer })
    expect(self.status).toBe(200)
    expect(self.body.user.id).toBe(company.agentUserId)
    const other = await hub.call('GET', `/v1/users/${company.adminUserId}`, { auth: company.agentBearer })
    expect(other.status).toBe(403)
  })

  it('answers 404 to unknown ids and emails', async () => {
    const company = await hub.createCompany()
    for (const id of ['999999', 'nobody@example.test', 'abc', '99999999999']) {
      const res = await hub.call('GET', `/v1/users/${id}`, { auth: company.basic })
      expect(res.status, id).toBe(404)
    }
  })

  it('computes `available` from the setting and the working hours in the user time zone', async () => {
    const company = await hub.createCompany()
    const restore = hub.clock.now()
    // Monday 2026-03-02 09:00 UTC = 10:00 in Paris, 18:00 in Tokyo.
    hub.clock.set(new Date('2026-03-02T09:00:00Z'))
    const paris = await createUser(company, {
      availability_status: 'custom',
      time_zone: 'Europe/Paris',
      working_hours: { monday: [{ from: '09:00', to: '12:00' }] },
    })
    const tokyo = await createUser(company, {
      availability_status: 'custom',
      time_zone: 'Asia/Tokyo',
      working_hours: { monday: [{ from: '09:00', to: '18:00' }] },
    })
    const never = await createUser(company, { availability_status: 'unavailable' })
    const read = async (id: number) =>
      (await hub.call('GET', `/v1/users/${id}`, { auth: company.basic })).body.user
    expect((await read(paris.id)).available).toBe(true)
    expect((await read(tokyo.id)).available).toBe(false) // 18:00 is the end of the slot
    expect(await read(never.id)).toMatchObject({ available: false, substatus: 'always_closed' })
    hub.clock.advance(3 * 3_600_000) // 13:00 in Paris
    try {
      expect((await read(paris.id)).available).toBe(false)
      hub.clock.set(new Date('2026-03-07T09:00:00Z')) // Saturday
      expect((await read(tokyo.id)).available).toBe(false)
      hub.clock.set(new Date('2026-03-02T00:30:00Z')) // Monday 09:30 in Tokyo
      expect((await read(tokyo.id)).available).toBe(true)
    } finally {
      hub.clock.set(restore)
    }
  })

  securityCases(() => hub, {
    method: 'GET',
    path: (c) => `/v1/users/${c.agentUserId}`,
    ownedResource: true,
  })
})

describe('PUT /v1/users/:id', () => {
  it('updates the given fields and keeps the others', async () => {
    const company = await hub.createCompany()
    const user = await createUser(company, {
      first_name: 'Old',
      last_name: 'Name',
      default_country_prefix: 'FR',
    })
    const newEmail = email('renamed')
    const res = await hub.call('PUT', `/v1/users/${user.id}`, {
      auth: company.adminBearer,
      body: {
        email: newEmail,
        first_name: 'New',
        availability_status: 'unavailable',
        wrap_up_time: 120,
        extension: '777',
        forwarding_numbers: ['06 12 34 56 78'],
        notification_prefs: { voicemail_email: false },
        is_admin: true,
      },
    })
    expect(res.status).toBe(200)
    expect(res.body.user).toMatchObject({
      id: user.id,
      email: newEmail,
      name: 'New Name',
      availability_status: 'unavailable',
      available: false,
      wrap_up_time: 120,
      extension: '777',
      forwarding_numbers: ['+33612345678'],
      notification_prefs: { voicemail_email: false, assigned_call_email: false, daily_summary: false },
      is_admin: true,
      time_zone: user.time_zone,
      created_at: user.created_at,
    })
    const again = await hub.call('GET', `/v1/users/${encodeURIComponent(newEmail)}`, { auth: company.basic })
    expect(again.body.user).toEqual(res.body.user)
  })

  it('answers 400 naming the field, and changes nothing', async () => {
    const company = await hub.createCompany()
    const user = await createUser(company)
    for (const [body, field] of [
      [{ time_zone: 'Nowhere/Land' }, 'time_zone'],
      [{ extension: '1234' }, 'extension'],
      [{ email: 'nope' }, 'email'],
      [{ forwarding_numbers: ['12'] }, 'forwarding_numbers.0'],
      [{ working_hours: { sunday: [{ from: '10:00', to: '10:00' }] } }, 'working_hours.sunday.0.to'],
    ] as const) {
      const res = await hub.call('PUT', `/v1/users/${user.id}`, { auth: company.basic, body })
      expect(res.status, field).toBe(400)
      expect(res.body.field).toBe(field)
    }
    const after = await hub.call('GET', `/v1/users/${user.id}`, { auth: company.basic })
    expect(after.body.user).toEqual(user)
  })

  it('refuses a taken email (409) or extension (400)', async () => {
    const company = await hub.createCompany()
    const a = await createUser(company, { extension: '201' })
    const b = await createUser(company, { extension: '202' })
    const mail = await hub.call('PUT', `/v1/users/${b.id}`, { auth: company.basic, body: { email: a.email } })
    expect(mail.status).toBe(409)
    expect(mail.body.field).toBe('email')
    const ext = await hub.call('PUT', `/v1/users/${b.id}`, {
      auth: company.basic,
      body: { extension: '201' },
    })
    expect(ext.status).toBe(400)
    expect(ext.body.field).toBe('extension')
    const same = await hub.call('PUT', `/v1/users/${b.id}`, {
      auth: company.basic,
      body: { extension: '202', email: b.email },
    })
    expect(same.status).toBe(200)
  })

  it('refuses to demote the last admin (405), allows it when another admin exists', async () => {
    const company = await hub.createCompany()
    const demote = () =>
      hub.call('PUT', `/v1/users/${company.adminUserId}`, { auth: company.basic, body: { is_admin: false } })
    const refused = await demote()
    expect(refused.status).toBe(405)
    expect(refused.body.field).toBe('is_admin')
    expect(refused.body.message).toContain('last admin')
    await createUser(company, { is_admin: true })
    const ok = await demote()
    expect(ok.status).toBe(200)
    expect(ok.body.user.is_admin).toBe(false)
    // The demoted admin's session now gets the agent treatment.
    expect((await hub.call('GET', '/v1/users', { auth: company.adminBearer })).status).toBe(403)
  })

  securityCases(() => hub, {
    method: 'PUT',
    path: (c) => `/v1/users/${c.agentUserId}`,
    body: { first_name: 'Mallory' },
    adminOnly: true,
    ownedResource: true,
  })
})

describe('DELETE /v1/users/:id', () => {
  it('deletes the user and their tokens, records user.deleted', async () => {
    const company = await hub.createCompany()
    const before = await hub.call('GET', `/v1/users/${company.agentUserId}`, { auth: company.basic })
    const res = await hub.call('DELETE', `/v1/users/${company.agentUserId}`, { auth: company.adminBearer })
    expect(res.status).toBe(204)
    expect(res.body).toBeNull()
    expect((await hub.call('GET', `/v1/users/${company.agentUserId}`, { auth: company.basic })).status).toBe(
      404,
    )
    expect((await hub.call('GET', '/v1/me', { auth: company.agentBearer })).status).toBe(403)
    expect(await events(company.id, 'user.deleted')).toEqual([before.body.user])
    expect(
      (await hub.call('DELETE', `/v1/users/${company.agentUserId}`, { auth: company.basic })).status,
    ).toBe(404)
  })

  it('refuses to delete the last admin with 405', async () => {
    const company = await hub.createCompany()
    const res = await hub.call('DELETE', `/v1/users/${company.adminUserId}`, { auth: company.basic })
    expect(res.status).toBe(405)
    expect(res.body.message).toContain('last admin')
    expect((await hub.call('GET', '/v1/users', { auth: company.adminBearer })).status).toBe(200)
    const second = await createUser(company, { is_admin: true })
    expect(
      (await hub.call('DELETE', `/v1/users/${company.adminUserId}`, { auth: company.basic })).status,
    ).toBe(204)
    expect((await hub.call('DELETE', `/v1/users/${second.id}`, { auth: company.basic })).status).toBe(405)
  })

  securityCases(() => hub, {
    method: 'DELETE',
    path: (c) => `/v1/users/${c.agentUserId}`,
    adminOnly: true,
    ownedResource: true,
  })
})

describe('availability', () => {
  it('lists every user with their live availability', async () => {
    const company = await hub.createCompany()
    const dnd = await createUser(company, { availability_status: 'unavailable' })
    await hub.call('PUT', '/v1/me/availability', {
      auth: company.agentBearer,
      body: { availability: 'available' },
    })
    const res = await hub.call('GET', '/v1/users/availabilities', { auth: company.agentBearer })
    expect(res.status).toBe(200)
    expect(res.body.users).toHaveLength(3)
    expect(res.body.users).toEqual(
      expect.arrayContaining([
        { id: company.adminUserId, availability: 'offline' },
        { id: company.agentUserId, availability: 'available' },
        { id: dnd.id, availability: 'offline' },
      ]),
    )
    expect(res.body.meta).toMatchObject({ count: 3, total: 3, current_page: 1 })
  })

  it('reports one user, do_not_disturb while their setting makes them unavailable', async () => {
    const company = await hub.createCompany()
    const path = `/v1/users/${company.agentUserId}/availability`
    expect((await hub.call('GET', path, { auth: company.basic })).body).toEqual({ availability: 'offline' })
    await hub.call('PUT', '/v1/me/availability', {
      auth: company.agentBearer,
      body: { availability: 'available' },
    })
    expect((await hub.call('GET', path, { auth: company.basic })).body).toEqual({ availability: 'available' })
    await hub.call('PUT', `/v1/users/${company.agentUserId}`, {
      auth: company.basic,
      body: { availability_status: 'unavailable' },
    })
    expect((await hub.call('GET', path, { auth: company.basic })).body).toEqual({
      availability: 'do_not_disturb',
    })
    await hub.db.update(users).set({ presence: 'in_call' }).where(eq(users.id, company.agentUserId))
    expect((await hub.call('GET', path, { auth: company.basic })).body).toEqual({ availability: 'in_call' })
  })

  it('answers 400 to bad paging and 404 to unknown users', async () => {
    const company = await hub.createCompany()
    const bad = await hub.call('GET', '/v1/users/availabilities?per_page=0', { auth: company.basic })
    expect(bad.status).toBe(400)
    expect(bad.body.field).toBe('per_page')
    expect((await hub.call('GET', '/v1/users/0/availability', { auth: company.basic })).status).toBe(404)
  })

  securityCases(() => hub, { method: 'GET', path: () => '/v1/users/availabilities' })
  securityCases(() => hub, {
    method: 'GET',
    path: (c) => `/v1/users/${c.agentUserId}/availability`,
    ownedResource: true,
  })
})

describe('POST /v1/users/:id/invitation', () => {
  it('sends a new link; the previous one stops working', async () => {
    const company = await hub.createCompany()
    const user = await createUser(company)
    const firstLink = hub.mailer.lastTo(user.email)!.text
    hub.clock.advance(1000)
    const res = await hub.call('POST', `/v1/users/${user.id}/invitation`, { auth: company.basic })
    expect(res.status).toBe(204)
    const secondLink = hub.mailer.lastTo(user.email)!.text
    const token = (text: string) => /token=([\w-]+)/.exec(text)![1]
    expect(token(secondLink)).not.toBe(token(firstLink))
    const old = await hub.call('POST', '/v1/auth/invitations/accept', {
      body: { token: token(firstLink), password: 'a long enough password' },
    })
    expect(old.status).toBe(400)
    expect(old.body.field).toBe('token')
    const fresh = await hub.call('POST', '/v1/auth/invitations/accept', {
      body: { token: token(secondLink), password: 'a long enough password' },
    })
    expect(fresh.status).toBe(200)
    const again = await hub.call('POST', `/v1/users/${user.id}/invitation`, { auth: company.basic })
    expect(again.status).toBe(405)
  })

  securityCases(() => hub, {
    method: 'POST',
    path: (c) => `/v1/users/${c.agentUserId}/invitation`,
    adminOnly: true,
    ownedResource: true,
  })
})

describe('User.numbers', () => {
  it('lists the numbers the user is assigned to, directly or through a team, in Aircall number shape', async () => {
    const company = await hub.createCompany()
    const other = await hub.createCompany()
    await createNumber(hub, other, { users: [other.agentUserId] })
    const team = await hub.call('POST', '/v1/teams', { auth: company.basic, body: { name: 'Support' } })
    const teamId = team.body.team.id
    await hub.call('POST', `/v1/teams/${teamId}/users/${company.agentUserId}`, { auth: company.basic })
    const direct = await createNumber(hub, company, { users: [company.adminUserId] })
    const viaTeam = await createNumber(hub, company)
    const routed = await hub.call('PUT', `/v1/numbers/${viaTeam.id}/settings/distribution`, {
      auth: company.basic,
      body: { steps: [{ type: 'team', team_id: teamId }] },
    })
    expect(routed.status).toBe(200)

    const agent = await hub.call('GET', `/v1/users/${company.agentUserId}`, { auth: company.basic })
    expect(agent.body.user.numbers).toEqual([
      {
        id: viaTeam.id,
        direct_link: `http://hub.test/v1/numbers/${viaTeam.id}`,
        name: viaTeam.name,
        digits: viaTeam.digits,
        created_at: viaTeam.created_at,
        country: 'GB',
        time_zone: viaTeam.time_zone,
        open: true,
        availability_status: 'open',
        is_ivr: false,
        live_recording_activated: viaTeam.live_recording_activated,
        priority: null,
        messages: viaTeam.messages,
      },
    ])
    const list = await hub.call('GET', '/v1/users', { auth: company.basic })
    const numberIds = new Map(
      list.body.users.map((u: { id: number; numbers: { id: number }[] }) => [
        u.id,
        u.numbers.map((n) => n.id),
      ]),
    )
    expect(numberIds.get(company.adminUserId)).toEqual([direct.id])
    expect(numberIds.get(company.agentUserId)).toEqual([viaTeam.id])

    await hub.call('DELETE', `/v1/teams/${teamId}/users/${company.agentUserId}`, { auth: company.basic })
    const me = await hub.call('GET', '/v1/me', { auth: company.agentBearer })
    expect(me.body.user.numbers).toEqual([])
  })
})

describe('caller ID and default number', () => {
  const prefs = (u: { caller_id_number_id: number | null; default_number_id: number | null }) => [
    u.caller_id_number_id,
    u.default_number_id,
  ]
  const read = async (company: TestCompany, id: number) =>
    (await hub.call('GET', `/v1/users/${id}`, { auth: company.basic })).body.user

  it('takes any number of the company as caller ID, and a number the user is assigned to as default', async () => {
    const company = await hub.createCompany()
    const assigned = await createNumber(hub, company, { users: [company.agentUserId] })
    const unassigned = await createNumber(hub, company)
    const path = `/v1/users/${company.agentUserId}`
    const res = await hub.call('PUT', path, {
      auth: company.adminBearer,
      body: { caller_id_number_id: unassigned.id, default_number_id: assigned.id },
    })
    expect(res.status, JSON.stringify(res.body)).toBe(200)
    expect(prefs(res.body.user)).toEqual([unassigned.id, assigned.id])
    expect(prefs(await read(company, company.agentUserId))).toEqual([unassigned.id, assigned.id])

    // A PUT without them keeps them; null clears one and keeps the other.
    await hub.call('PUT', path, { auth: company.basic, body: { first_name: 'Alan' } })
    expect(prefs(await read(company, company.agentUserId))).toEqual([unassigned.id, assigned.id])
    const cleared = await hub.call('PUT', path, { auth: company.basic, body: { caller_id_number_id: null } })
    expect(cleared.status).toBe(200)
    expect(prefs(cleared.body.user)).toEqual([null, assigned.id])

    // A new user may get a caller ID, not a default number: they are assigned to none yet.
    const created = await createUser(company, { caller_id_number_id: assigned.id, default_number_id: null })
    expect(prefs(created)).toEqual([assigned.id, null])
  })

  it('counts assignment through a team step and as outbound-only user or team', async () => {
    const company = await hub.createCompany()
    const team = await hub.call('POST', '/v1/teams', { auth: company.basic, body: { name: 'Sales' } })
    const teamId = team.body.team.id
    await hub.call('POST', `/v1/teams/${teamId}/users/${company.agentUserId}`, { auth: company.basic })
    const viaTeam = await createNumber(hub, company, { teams: [teamId] })
    const outboundUser = await createNumber(hub, company, { type: 'ivr', users: [company.agentUserId] })
    const outboundTeam = await createNumber(hub, company, { type: 'ivr', teams: [teamId] })
    for (const n of [viaTeam, outboundUser, outboundTeam]) {
      const res = await hub.call('PUT', `/v1/users/${company.agentUserId}`, {
        auth: company.basic,
        body: { default_number_id: n.id },
      })
      expect(res.status, JSON.stringify(res.body)).toBe(200)
      expect(res.body.user.default_number_id).toBe(n.id)
    }
  })

  it('falls back to a number the user still has once they are taken off their default number', async () => {
    const company = await hub.createCompany()
    const agent = company.agentUserId
    const team = await hub.call('POST', '/v1/teams', { auth: company.basic, body: { name: 'Sales' } })
    const teamId = team.body.team.id
    const join = () => hub.call('POST', `/v1/teams/${teamId}/users/${agent}`, { auth: company.basic })
    expect((await join()).status).toBe(201)
    const direct = await createNumber(hub, company, { users: [agent] })
    const viaTeam = await createNumber(hub, company, { teams: [teamId] })
    const set = await hub.call('PUT', `/v1/users/${agent}`, {
      auth: company.basic,
      body: { default_number_id: viaTeam.id },
    })
    expect(set.body.user.default_number_id).toBe(viaTeam.id)

    // Out of the team, off that number: the agent calls out with the one they still have.
    const leave = await hub.call('DELETE', `/v1/teams/${teamId}/users/${agent}`, { auth: company.basic })
    expect(leave.status).toBe(200)
    expect((await read(company, agent)).default_number_id).toBe(direct.id)
    const me = await hub.call('GET', '/v1/me', { auth: company.agentBearer })
    expect(me.body.user.default_number_id).toBe(direct.id)
    // Their choice is kept: back in the team, back on it.
    expect((await join()).status).toBe(201)
    expect((await read(company, agent)).default_number_id).toBe(viaTeam.id)
  })

  it('refuses a number that is not live: documents rejected or not approved yet', async () => {
    const company = await hub.createCompany()
    const before = await read(company, company.agentUserId)
    for (const verificationState of ['rejected', 'pending_documents', 'in_review'] as const) {
      const number = await createTestNumber(hub.db, {
        companyId: company.id,
        country: 'FR',
        verificationState,
      })
      for (const field of ['caller_id_number_id', 'default_number_id']) {
        const res = await hub.call('PUT', `/v1/users/${company.agentUserId}`, {
          auth: company.basic,
          body: { [field]: number.id },
        })
        expect(res.status, `${verificationState} ${field}`).toBe(400)
        expect(res.body.field).toBe(field)
        expect(res.body.message).toContain(`number ${number.id} is not live`)
        expect(res.body.message).toContain(verificationState === 'rejected' ? 'rejected' : 'not approved yet')
      }
      const created = await hub.call('POST', '/v1/users', {
        auth: company.basic,
        body: { email: email(), caller_id_number_id: number.id },
      })
      expect(created.status).toBe(400)
      expect(created.body.field).toBe('caller_id_number_id')
    }
    expect(await read(company, company.agentUserId)).toEqual(before)
    // Once approved, the same kind of number is taken.
    const approved = await createTestNumber(hub.db, {
      companyId: company.id,
      country: 'FR',
      verificationState: 'active',
    })
    const ok = await hub.call('PUT', `/v1/users/${company.agentUserId}`, {
      auth: company.basic,
      body: { caller_id_number_id: approved.id },
    })
    expect(ok.status).toBe(200)
    expect(ok.body.user.caller_id_number_id).toBe(approved.id)
  })

  it('answers 400 naming the field for a number of another company, a deleted one or one not assigned', async () => {
    const company = await hub.createCompany()
    const other = await hub.createCompany()
    const theirs = await createNumber(hub, other, { users: [other.agentUserId] })
    const unassigned = await createNumber(hub, company)
    const deleted = await createNumber(hub, company, { users: [company.agentUserId] })
    expect((await hub.call('DELETE', `/v1/numbers/${deleted.id}`, { auth: company.basic })).status).toBe(204)
    const before = await read(company, company.agentUserId)
    for (const [body, field] of [
      [{ caller_id_number_id: theirs.id }, 'caller_id_number_id'],
      [{ default_number_id: theirs.id }, 'default_number_id'],
      [{ caller_id_number_id: deleted.id }, 'caller_id_number_id'],
      [{ default_number_id: deleted.id }, 'default_number_id'],
      [{ default_number_id: unassigned.id }, 'default_number_id'],
      [{ caller_id_number_id: unassigned.id, default_number_id: unassigned.id }, 'default_number_id'],
      [{ default_number_id: -1 }, 'default_number_id'],
    ] as const) {
      const res = await hub.call('PUT', `/v1/users/${company.agentUserId}`, { auth: company.basic, body })
      expect(res.status, JSON.stringify(body)).toBe(400)
      expect(res.body.field).toBe(field)
      expect(res.body.message).toContain(field)
    }
    expect(await read(company, company.agentUserId)).toEqual(before)

    const create = await hub.call('POST', '/v1/users', {
      auth: company.basic,
      body: { email: email(), default_number_id: unassigned.id },
    })
    expect(create.status).toBe(400)
    expect(create.body.field).toBe('default_number_id')
    expect(create.body.message).toContain('not assigned')
  })

  it('clears them on every user when the number is deleted, and only that number', async () => {
    const company = await hub.createCompany()
    const doomed = await createNumber(hub, company, { users: [company.agentUserId, company.adminUserId] })
    const kept = await createNumber(hub, company, { users: [company.agentUserId] })
    const set = (id: number, body: Record<string, unknown>) =>
      hub.call('PUT', `/v1/users/${id}`, { auth: company.basic, body })
    expect(
      (await set(company.agentUserId, { caller_id_number_id: doomed.id, default_number_id: doomed.id }))
        .status,
    ).toBe(200)
    expect(
      (await set(company.adminUserId, { caller_id_number_id: kept.id, default_number_id: doomed.id })).status,
    ).toBe(200)
    const bystander = await createUser(company, { caller_id_number_id: kept.id })

    expect((await hub.call('DELETE', `/v1/numbers/${doomed.id}`, { auth: company.basic })).status).toBe(204)
    expect(prefs(await read(company, company.agentUserId))).toEqual([null, null])
    expect(prefs(await read(company, company.adminUserId))).toEqual([kept.id, null])
    expect(prefs(await read(company, bystander.id))).toEqual([kept.id, null])
  })
})

describe('OpenAPI', () => {
  it('documents the users routes with the User schema', async () => {
    const doc = await hub.call('GET', '/v1/openapi.json')
    expect(Object.keys(doc.body.paths)).toEqual(
      expect.arrayContaining([
        '/v1/users',
        '/v1/users/{id}',
        '/v1/users/availabilities',
        '/v1/users/{id}/availability',
        '/v1/me',
        '/v1/me/availability',
        '/v1/me/agent_tokens',
        '/v1/api_keys',
        '/v1/auth/login',
      ]),
    )
    expect(doc.body.components.schemas.User.properties).toHaveProperty('working_hours')
  })
})
