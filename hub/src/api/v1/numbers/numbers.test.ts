import { normalizePhone } from '@switchboard/shared'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestHub, type TestHub } from '../../../../test/helpers/hub.ts'
import { securityCases } from '../../../../test/helpers/security.ts'
import { addTeam, addUser, createNumber, eventsOf } from './numbers-fixtures.ts'

let hub: TestHub
beforeAll(async () => {
  hub = await createTestHub()
})
afterAll(() => hub.close())

describe('GET /v1/numbers/pricing', () => {
  it('lists every country with its monthly price, paperwork and areas', async () => {
    const company = await hub.createCompany()
    const res = await hub.call('GET', '/v1/numbers/pricing', { auth: company.basic })
    expect(res.status).toBe(200)
    const countries = res.body.pricing.map((p: { country: string }) => p.country)
    expect(countries).toEqual(expect.arrayContaining(['FR', 'DE', 'GB', 'US']))
    const gb = res.body.pricing.find((p: { country: string }) => p.country === 'GB')
    expect(gb.verification).toEqual({ required: false, documents: [], address_must_be_in: null })
  })

  it('answers one country: France costs 6.00 EUR a month and needs identity and address', async () => {
    const company = await hub.createCompany()
    const res = await hub.call('GET', '/v1/numbers/pricing?country=fr', { auth: company.adminBearer })
    expect(res.status).toBe(200)
    expect(res.body.pricing).toHaveLength(1)
    expect(res.body.pricing[0]).toMatchObject({
      country: 'FR',
      name: 'France',
      calling_code: '+33',
      monthly_price: { amount_minor: 600, currency: 'EUR' },
      verification: { required: true, documents: ['identity', 'address'], address_must_be_in: 'area' },
    })
    expect(res.body.pricing[0].areas[0]).toEqual({
      code: '1',
      name: 'Région Parisienne',
      time_zone: 'Europe/Paris',
    })
  })

  it('refuses a country where numbers are not sold, naming the field', async () => {
    const company = await hub.createCompany()
    const res = await hub.call('GET', '/v1/numbers/pricing?country=JP', { auth: company.basic })
    expect(res.status).toBe(400)
    expect(res.body.field).toBe('country')
  })

  securityCases(() => hub, { method: 'GET', path: () => '/v1/numbers/pricing', adminOnly: true })
})

describe('GET /v1/numbers/available', () => {
  it('offers valid numbers of the country and area', async () => {
    const company = await hub.createCompany()
    const res = await hub.call('GET', '/v1/numbers/available?country=FR&area=1&limit=4', {
      auth: company.basic,
    })
    expect(res.status).toBe(200)
    expect(res.body.available_numbers).toHaveLength(4)
    for (const n of res.body.available_numbers) {
      const parsed = normalizePhone(n.e164_digits)
      expect(parsed, n.e164_digits).not.toBeNull()
      expect(parsed?.country).toBe('FR')
      expect(n.e164_digits).toMatch(/^\+331\d{8}$/)
      expect(n.digits).toMatch(/^\+33 1 \d\d \d\d \d\d \d\d$/)
      expect(n).toMatchObject({ country: 'FR', area: '1', time_zone: 'Europe/Paris' })
    }
    expect(new Set(res.body.available_numbers.map((n: { e164_digits: string }) => n.e164_digits)).size).toBe(
      4,
    )
  })

  it('allocates valid numbers in every area of every country', async () => {
    const company = await hub.createCompany()
    const pricing = (await hub.call('GET', '/v1/numbers/pricing', { auth: company.basic })).body.pricing
    for (const country of pricing as { country: string; areas: { code: string }[] }[]) {
      for (const area of country.areas) {
        const res = await hub.call(
          'GET',
          `/v1/numbers/available?country=${country.country}&area=${area.code}&limit=2`,
          {
            auth: company.basic,
          },
        )
        expect(res.status).toBe(200)
        for (const n of res.body.available_numbers) {
          const parsed = normalizePhone(n.e164_digits)
          expect(parsed, n.e164_digits).not.toBeNull()
          expect(parsed?.country, n.e164_digits).toBe(country.country)
        }
      }
    }
  })

  it('never offers a number that is live in any company', async () => {
    const company = await hub.createCompany()
    const before = await hub.call('GET', '/v1/numbers/available?country=NL&limit=3', { auth: company.basic })
    const first = before.body.available_numbers[0].e164_digits
    const other = await hub.createCompany()
    await createNumber(hub, other, { country: 'NL', area: '20', e164_digits: first })
    const after = await hub.call('GET', '/v1/numbers/available?country=NL&limit=3', { auth: company.basic })
    expect(after.body.available_numbers.map((n: { e164_digits: string }) => n.e164_digits)).not.toContain(
      first,
    )
  })

  it('refuses an unknown area, naming it', async () => {
    const company = await hub.createCompany()
    const res = await hub.call('GET', '/v1/numbers/available?country=FR&area=9', { auth: company.basic })
    expect(res.status).toBe(400)
    expect(res.body.field).toBe('area')
  })

  securityCases(() => hub, { method: 'GET', path: () => '/v1/numbers/available?country=FR', adminOnly: true })
})

describe('POST /v1/numbers', () => {
  it('creates a French classic number pending documents, with its distribution, and records number.created', async () => {
    const company = await hub.createCompany()
    const bob = await addUser(hub, company, { first: 'Bob' })
    const support = await addTeam(hub, company, 'Support', [bob, company.agentUserId])
    const res = await hub.call('POST', '/v1/numbers', {
      auth: company.basic,
      body: {
        type: 'classic',
        country: 'FR',
        area: '1',
        name: 'Onboarding FR',
        users: [company.adminUserId],
        teams: [support],
      },
    })
    expect(res.status).toBe(201)
    const n = res.body.number
    expect(n).toMatchObject({
      direct_link: `http://hub.test/v1/numbers/${n.id}`,
      name: 'Onboarding FR',
      country: 'FR',
      area: '1',
      time_zone: 'Europe/Paris',
      open: true,
      availability_status: 'open',
      is_ivr: false,
      type: 'classic',
      priority: null,
      created_at: hub.clock.now().toISOString(),
      verification_state: 'pending_documents',
      active: false,
      rejection_reason: null,
      monthly_price: { amount_minor: 600, currency: 'EUR' },
      ivr_status: null,
      users_count: 3,
      live_recording_activated: true,
    })
    expect(n.e164_digits).toMatch(/^\+331\d{8}$/)
    expect(n.digits).toBe(normalizePhone(n.e164_digits)!.international)
    expect(n.users.map((u: { id: number }) => u.id)).toEqual([company.adminUserId, bob, company.agentUserId])
    expect(n.users[0]).toEqual({
      id: company.adminUserId,
      direct_link: `http://hub.test/v1/users/${company.adminUserId}`,
      name: 'Ada Admin',
      email: expect.stringContaining('@example.test'),
      available: true,
      availability_status: 'available',
    })
    expect(n.settings.distribution.steps).toEqual([
      { type: 'user', user_id: company.adminUserId, ring_time_sec: 25 },
      { type: 'team', team_id: support, ring_time_sec: 20, strategy: 'simultaneous' },
    ])
    expect(n.settings.messages.closed).toMatchObject({ type: 'tts', language: 'fr-FR' })
    expect(n.messages).toEqual({
      welcome: null,
      waiting: null,
      ringing_tone: null,
      unanswered_call: null,
      after_hours: null,
      ivr: null,
      voicemail: null,
      closed: null,
      callback_later: null,
    })
    const events = await eventsOf(hub, company.id, 'number.created')
    expect(events).toHaveLength(1)
    expect(events[0]!.data).toEqual(n)
    const summary = await hub.call('GET', '/v1/company', { auth: company.basic })
    expect(summary.body.company.numbers_count).toBe(1)
  })

  it('creates numbers active at once where no documents are needed, and IVRs with outbound-only users', async () => {
    const company = await hub.createCompany()
    const res = await hub.call('POST', '/v1/numbers', {
      auth: company.adminBearer,
      body: { type: 'ivr', country: 'GB', name: 'London IVR', users: [company.agentUserId] },
    })
    expect(res.status).toBe(201)
    const n = res.body.number
    expect(n).toMatchObject({
      area: '20',
      time_zone: 'Europe/London',
      verification_state: 'not_required',
      active: true,
      is_ivr: true,
      ivr_status: 'empty',
      monthly_price: { amount_minor: 500, currency: 'EUR' },
      users_count: 1,
    })
    expect(n.e164_digits).toMatch(/^\+4420\d{8}$/)
    expect(n.settings.distribution.steps).toEqual([])
    expect(n.settings.outbound_only).toEqual({ user_ids: [company.agentUserId], team_ids: [] })
    expect(n.settings.recording.inbound.auto_start).toBe(false)
  })

  it('hands out a number at most once, and takes a chosen available number', async () => {
    const company = await hub.createCompany()
    const created = []
    for (let i = 0; i < 3; i++) created.push(await createNumber(hub, company, { country: 'CH', area: '22' }))
    expect(new Set(created.map((n) => n.e164_digits)).size).toBe(3)

    const offer = await hub.call('GET', '/v1/numbers/available?country=CH&area=22&limit=1', {
      auth: company.basic,
    })
    const wanted = offer.body.available_numbers[0].e164_digits
    expect(created.map((n) => n.e164_digits)).not.toContain(wanted)
    const chosen = await createNumber(hub, company, { country: 'CH', area: '22', e164_digits: wanted })
    expect(chosen.e164_digits).toBe(wanted)

    const again = await hub.call('POST', '/v1/numbers', {
      auth: company.basic,
      body: { country: 'CH', area: '22', name: 'Twice', e164_digits: wanted },
    })
    expect(again.status).toBe(400)
    expect(again.body.field).toBe('e164_digits')
  })

  it('refuses bad input with the field named', async () => {
    const company = await hub.createCompany()
    const other = await hub.createCompany()
    const cases: [Record<string, unknown>, string][] = [
      [{ country: 'JP', name: 'Tokyo' }, 'country'],
      [{ country: 'FR', area: '9', name: 'Nowhere' }, 'area'],
      [{ country: 'FR', area: '1' }, 'name'],
      [{ country: 'FR', name: 'x', type: 'fax' }, 'type'],
      [{ country: 'FR', name: 'x', users: [other.adminUserId] }, 'users.0'],
      [{ country: 'FR', name: 'x', teams: [999999] }, 'teams.0'],
      [{ country: 'FR', area: '1', name: 'x', e164_digits: '+442079460000' }, 'e164_digits'],
      [{ country: 'FR', name: 'nul\u0000' }, 'name'],
    ]
    for (const [body, field] of cases) {
      const res = await hub.call('POST', '/v1/numbers', { auth: company.basic, body })
      expect(res.status, JSON.stringify(body)).toBe(400)
      expect(res.body.field, JSON.stringify(body)).toBe(field)
    }
    const list = await hub.call('GET', '/v1/numbers', { auth: company.basic })
    expect(list.body.numbers).toEqual([])
  })

  securityCases(() => hub, {
    method: 'POST',
    path: () => '/v1/numbers',
    body: { country: 'GB', name: 'Sec' },
    adminOnly: true,
  })
})

describe('GET /v1/numbers', () => {
  it('lists numbers sorted by country then name with live open status and meta', async () => {
    const company = await hub.createCompany()
    const zed = await createNumber(hub, company, { country: 'GB', name: 'Zed' })
    const alpha = await createNumber(hub, company, { country: 'GB', name: 'Alpha' })
    const paris = await createNumber(hub, company, { country: 'FR', area: '1', name: 'Paris' })
    await hub.call('PUT', `/v1/numbers/${zed.id}`, {
      auth: company.basic,
      body: { availability_status: 'closed' },
    })
    const res = await hub.call('GET', '/v1/numbers?per_page=2', { auth: company.basic })
    expect(res.status).toBe(200)
    expect(res.body.numbers.map((n: { id: number }) => n.id)).toEqual([paris.id, alpha.id])
    expect(res.body.meta).toMatchObject({ count: 2, total: 3, current_page: 1, per_page: 2 })
    expect(res.body.meta.next_page_link).toBe('http://hub.test/v1/numbers?per_page=2&page=2')
    const page2 = await hub.call('GET', '/v1/numbers?per_page=2&page=2', { auth: company.basic })
    expect(page2.body.numbers.map((n: { id: number; open: boolean }) => [n.id, n.open])).toEqual([
      [zed.id, false],
    ])
  })

  it('groups by country for the dashboard', async () => {
    const company = await hub.createCompany()
    const b = await createNumber(hub, company, { country: 'GB', name: 'B' })
    const a = await createNumber(hub, company, { country: 'GB', name: 'A' })
    const de = await createNumber(hub, company, { country: 'DE', area: '30', name: 'Berlin' })
    const res = await hub.call('GET', '/v1/numbers?grouped=country', { auth: company.basic })
    expect(res.status).toBe(200)
    expect(
      res.body.countries.map((g: { country: string; name: string; numbers: { id: number }[] }) => [
        g.country,
        g.name,
        g.numbers.map((n) => n.id),
      ]),
    ).toEqual([
      ['DE', 'Germany', [de.id]],
      ['GB', 'United Kingdom', [a.id, b.id]],
    ])
    expect(de.e164_digits).toMatch(/^\+4930\d{8}$/)
  })

  it('sorts names as people read them: accents and case aside, digits as numbers, countries by name', async () => {
    const company = await hub.createCompany()
    const names = ['zed', 'Échange', 'alpha', 'Beta', 'Line 10', 'Line 9', 'écoute', 'Zoo']
    const gb = new Map<string, number>()
    for (const name of names) gb.set(name, (await createNumber(hub, company, { country: 'GB', name })).id)
    // ISO codes say DE < FR < GB; the group titles say France < Germany < United Kingdom.
    const de = await createNumber(hub, company, { country: 'DE', area: '30', name: 'Berlin' })
    const fr = await createNumber(hub, company, { country: 'FR', area: '1', name: 'Paris' })
    const expected = [
      fr.id,
      de.id,
      ...['alpha', 'Beta', 'Échange', 'écoute', 'Line 9', 'Line 10', 'zed', 'Zoo'].map((n) => gb.get(n)!),
    ]

    const pages: number[] = []
    for (let page = 1; page <= 3; page++) {
      const res = await hub.call('GET', `/v1/numbers?per_page=4&page=${page}`, { auth: company.basic })
      expect(res.status).toBe(200)
      expect(res.body.meta).toMatchObject({ total: 10, current_page: page })
      pages.push(...res.body.numbers.map((n: { id: number }) => n.id))
    }
    expect(pages).toEqual(expected)

    const desc = await hub.call('GET', '/v1/numbers?per_page=50&order=desc', { auth: company.basic })
    expect(desc.body.numbers.map((n: { id: number }) => n.id)).toEqual([...expected].reverse())

    const grouped = await hub.call('GET', '/v1/numbers?grouped=country', { auth: company.basic })
    expect(
      grouped.body.countries.map((g: { name: string; numbers: { id: number }[] }) => [
        g.name,
        g.numbers.map((n) => n.id),
      ]),
    ).toEqual([
      ['France', [fr.id]],
      ['Germany', [de.id]],
      ['United Kingdom', expected.slice(2)],
    ])
  })

  it('answers 400 to bad paging of the list', async () => {
    const company = await hub.createCompany()
    for (const q of ['per_page=51', 'page=0', 'order=name', 'page=201&per_page=50']) {
      const res = await hub.call('GET', `/v1/numbers?${q}`, { auth: company.basic })
      expect(res.status, q).toBe(400)
      expect(res.body.field, q).toBe(q.split('=')[0])
    }
  })

  it('shows agents only the numbers they are assigned to', async () => {
    const company = await hub.createCompany()
    const team = await addTeam(hub, company, 'Sales', [company.agentUserId])
    const viaTeam = await createNumber(hub, company, { name: 'Team line', teams: [team] })
    await createNumber(hub, company, { name: 'Admin line', users: [company.adminUserId] })
    const res = await hub.call('GET', '/v1/numbers', { auth: company.agentBearer })
    expect(res.status).toBe(200)
    expect(res.body.numbers.map((n: { id: number }) => n.id)).toEqual([viaTeam.id])
    expect(res.body.meta.total).toBe(1)
  })

  it('refuses a bad grouping, naming it', async () => {
    const company = await hub.createCompany()
    const res = await hub.call('GET', '/v1/numbers?grouped=area', { auth: company.basic })
    expect(res.status).toBe(400)
    expect(res.body.field).toBe('grouped')
  })

  securityCases(() => hub, { method: 'GET', path: () => '/v1/numbers' })
})

describe('GET /v1/numbers/:id', () => {
  it('retrieves a number; agents only their own', async () => {
    const company = await hub.createCompany()
    const mine = await createNumber(hub, company, { users: [company.agentUserId] })
    const notMine = await createNumber(hub, company)
    const res = await hub.call('GET', `/v1/numbers/${mine.id}`, { auth: company.agentBearer })
    expect(res.status).toBe(200)
    expect(res.body.number).toEqual({ ...mine, integrations: [] })
    expect((await hub.call('GET', `/v1/numbers/${notMine.id}`, { auth: company.agentBearer })).status).toBe(
      404,
    )
    expect((await hub.call('GET', `/v1/numbers/${notMine.id}`, { auth: company.basic })).status).toBe(200)
  })

  it('answers 400 for a malformed id and 404 for an unknown one', async () => {
    const company = await hub.createCompany()
    const bad = await hub.call('GET', '/v1/numbers/abc', { auth: company.basic })
    expect(bad.status).toBe(400)
    expect(bad.body.field).toBe('id')
    expect((await hub.call('GET', '/v1/numbers/999999', { auth: company.basic })).status).toBe(404)
  })

  securityCases(() => hub, {
    method: 'GET',
    path: async (company) => `/v1/numbers/${(await createNumber(hub, company)).id}`,
    ownedResource: true,
  })
})

describe('PUT /v1/numbers/:id', () => {
  it('renames, sets priority, business hours mode and time zone', async () => {
    const company = await hub.createCompany()
    const n = await createNumber(hub, company)
    const res = await hub.call('PUT', `/v1/numbers/${n.id}`, {
      auth: company.basic,
      body: { name: 'Renamed', priority: 1, availability_status: 'closed', time_zone: 'America/New_York' },
    })
    expect(res.status).toBe(200)
    expect(res.body.number).toMatchObject({
      name: 'Renamed',
      priority: 1,
      availability_status: 'closed',
      open: false,
      time_zone: 'America/New_York',
    })
    expect(res.body.number.settings.business_hours).toMatchObject({
      mode: 'always_closed',
      time_zone: 'America/New_York',
    })
    const again = await hub.call('GET', `/v1/numbers/${n.id}`, { auth: company.basic })
    expect(again.body.number.name).toBe('Renamed')
  })

  it('switches a classic number to IVR: inbound recording goes off, the empty IVR is flagged', async () => {
    const company = await hub.createCompany()
    const n = await createNumber(hub, company)
    expect(n.settings).toMatchObject({ recording: { inbound: { auto_start: true } } })
    const res = await hub.call('PUT', `/v1/numbers/${n.id}`, { auth: company.basic, body: { type: 'ivr' } })
    expect(res.status).toBe(200)
    expect(res.body.number).toMatchObject({ is_ivr: true, type: 'ivr', ivr_status: 'empty' })
    expect(res.body.number.settings.recording.inbound.auto_start).toBe(false)
  })

  it('refuses bad input, naming the field', async () => {
    const company = await hub.createCompany()
    const n = await createNumber(hub, company)
    const cases: [Record<string, unknown>, string][] = [
      [{ time_zone: 'Mars/Olympus' }, 'time_zone'],
      [{ priority: 2 }, 'priority'],
      [{ name: '' }, 'name'],
      [{ availability_status: 'sometimes' }, 'availability_status'],
    ]
    for (const [body, field] of cases) {
      const res = await hub.call('PUT', `/v1/numbers/${n.id}`, { auth: company.basic, body })
      expect(res.status, JSON.stringify(body)).toBe(400)
      expect(res.body.field).toBe(field)
    }
  })

  securityCases(() => hub, {
    method: 'PUT',
    path: async (company) => `/v1/numbers/${(await createNumber(hub, company)).id}`,
    body: { name: 'Intruder' },
    adminOnly: true,
    ownedResource: true,
  })
})

describe('DELETE /v1/numbers/:id', () => {
  it('releases the number: gone from the API, number.deleted recorded, its digits free again', async () => {
    const company = await hub.createCompany()
    const n = await createNumber(hub, company, { country: 'BE', area: '2' })
    const res = await hub.call('DELETE', `/v1/numbers/${n.id}`, { auth: company.basic })
    expect(res.status).toBe(204)
    expect((await hub.call('GET', `/v1/numbers/${n.id}`, { auth: company.basic })).status).toBe(404)
    expect((await hub.call('DELETE', `/v1/numbers/${n.id}`, { auth: company.basic })).status).toBe(404)
    expect((await hub.call('GET', '/v1/numbers', { auth: company.basic })).body.numbers).toEqual([])
    const events = await eventsOf(hub, company.id, 'number.deleted')
    expect(events.map((e) => e.data)).toEqual([n])
    expect((await hub.call('GET', '/v1/company', { auth: company.basic })).body.company.numbers_count).toBe(0)
    const again = await createNumber(hub, company, { country: 'BE', area: '2', e164_digits: n.e164_digits })
    expect(again.e164_digits).toBe(n.e164_digits)
  })

  it('removes IVR options of other numbers that transferred to it', async () => {
    const company = await hub.createCompany()
    const target = await createNumber(hub, company)
    const ivr = await createNumber(hub, company, { type: 'ivr' })
    const put = await hub.call('PUT', `/v1/numbers/${ivr.id}/settings/ivr`, {
      auth: company.basic,
      body: { options: [{ key: '1', destination: { type: 'number', number_id: target.id } }] },
    })
    expect(put.status).toBe(200)
    expect((await hub.call('DELETE', `/v1/numbers/${target.id}`, { auth: company.basic })).status).toBe(204)
    const res = await hub.call('GET', `/v1/numbers/${ivr.id}`, { auth: company.basic })
    expect(res.body.number.settings.ivr.options).toEqual([])
    expect(res.body.number.ivr_status).toBe('empty')
  })

  securityCases(() => hub, {
    method: 'DELETE',
    path: async (company) => `/v1/numbers/${(await createNumber(hub, company)).id}`,
    adminOnly: true,
    ownedResource: true,
  })
})

describe('OpenAPI', () => {
  it('documents the numbers routes with named schemas', async () => {
    const doc = await hub.call('GET', '/v1/openapi.json')
    expect(Object.keys(doc.body.paths)).toEqual(
      expect.arrayContaining([
        '/v1/numbers',
        '/v1/numbers/pricing',
        '/v1/numbers/available',
        '/v1/numbers/{id}',
        '/v1/numbers/{id}/settings',
        '/v1/numbers/{id}/settings/business_hours',
        '/v1/numbers/{id}/settings/distribution',
        '/v1/numbers/{id}/settings/ivr',
        '/v1/numbers/{id}/settings/messages',
        '/v1/numbers/{id}/preview',
        '/v1/numbers/{id}/audio',
      ]),
    )
    expect(Object.keys(doc.body.components.schemas)).toEqual(
      expect.arrayContaining(['Number', 'NumberSettings', 'RoutingPreview', 'Destination']),
    )
  })
})
