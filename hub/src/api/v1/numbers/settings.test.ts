import { eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestHub, type TestCompany, type TestHub } from '../../../../test/helpers/hub.ts'
import { securityCases } from '../../../../test/helpers/security.ts'
import { teams } from '../../../db/schema/index.ts'
import { detachFromNumbers } from '../../../services/numbers/number-references.ts'
import { addTeam, addUser, createNumber, eventsOf, fullSettings } from './numbers-fixtures.ts'

let hub: TestHub
beforeAll(async () => {
  hub = await createTestHub()
})
afterAll(() => hub.close())

async function people(company: TestCompany) {
  const alice = await addUser(hub, company, { first: 'Alice' })
  const bob = await addUser(hub, company, { first: 'Bob' })
  const support = await addTeam(hub, company, 'Support', [bob, company.agentUserId])
  return { alice, bob, support }
}

const put = (company: TestCompany, id: number, body: unknown, suffix = '') =>
  hub.call('PUT', `/v1/numbers/${id}/settings${suffix}`, { auth: company.basic, body })

describe('GET /v1/numbers/:id/settings', () => {
  it('returns the configuration a new number starts with', async () => {
    const company = await hub.createCompany()
    const n = await createNumber(hub, company, { country: 'FR', area: '4', users: [company.agentUserId] })
    const res = await hub.call('GET', `/v1/numbers/${n.id}/settings`, { auth: company.adminBearer })
    expect(res.status).toBe(200)
    expect(res.body.settings).toMatchObject({
      business_hours: { time_zone: 'Europe/Paris', mode: 'always_open', exceptions: [] },
      voicemail_enabled: true,
      distribution: {
        steps: [{ type: 'user', user_id: company.agentUserId, ring_time_sec: 25 }],
        respect_queue_time: false,
        max_queue_time_sec: 300,
      },
      ivr: { options: [], fallback: { type: 'voicemail' }, timeout_sec: 5 },
      callback_on_star: true,
      mandatory_tagging: false,
      linked_integrations: [],
    })
    expect(res.body.settings.business_hours.weekly.monday).toEqual([{ from: '09:00', to: '18:00' }])
  })

  securityCases(() => hub, {
    method: 'GET',
    path: async (company) => `/v1/numbers/${(await createNumber(hub, company)).id}/settings`,
    adminOnly: true,
    ownedResource: true,
  })
})

describe('PUT /v1/numbers/:id/settings', () => {
  it('stores a whole document: defaults filled, integrations de-duplicated, read back identical', async () => {
    const company = await hub.createCompany()
    const ids = await people(company)
    const n = await createNumber(hub, company)
    const res = await put(company, n.id, fullSettings(ids))
    expect(res.status, JSON.stringify(res.body)).toBe(200)
    expect(res.body.settings.distribution.steps).toEqual([
      { type: 'user', user_id: ids.alice, ring_time_sec: 30 },
      { type: 'team', team_id: ids.support, ring_time_sec: 20, strategy: 'longest_idle' },
      { type: 'user', user_id: ids.bob, ring_time_sec: 25 },
    ])
    expect(res.body.settings.linked_integrations).toEqual([3, 7])
    expect(res.body.settings.messages.closed).toEqual({
      type: 'tts',
      text: 'We are closed',
      language: 'en-GB',
      voice: 'female',
    })
    expect(res.body.settings.business_hours.weekly.saturday).toEqual([])
    const read = await hub.call('GET', `/v1/numbers/${n.id}/settings`, { auth: company.basic })
    expect(read.body.settings).toEqual(res.body.settings)
    const number = await hub.call('GET', `/v1/numbers/${n.id}`, { auth: company.basic })
    expect(number.body.number).toMatchObject({
      time_zone: 'Europe/Paris',
      availability_status: 'custom',
      open: true, // Monday 10:00 in Paris
      users_count: 3,
    })
  })

  it('normalises external numbers to E.164 and keeps IVR options in key order', async () => {
    const company = await hub.createCompany()
    const ids = await people(company)
    const n = await createNumber(hub, company, { type: 'ivr' })
    const doc = fullSettings(ids)
    doc.recording.inbound.auto_start = false
    const res = await put(company, n.id, {
      ...doc,
      ivr: {
        options: [
          { key: '9', destination: { type: 'external', phone_number: '+33 6 12 34 56 78' } },
          { key: '1', destination: { type: 'team', team_id: ids.support } },
        ],
        fallback: { type: 'hangup' },
        timeout_sec: 3,
      },
    })
    expect(res.status, JSON.stringify(res.body)).toBe(200)
    expect(res.body.settings.ivr.options).toEqual([
      {
        key: '1',
        destination: { type: 'team', team_id: ids.support, ring_time_sec: 20, strategy: 'simultaneous' },
      },
      { key: '9', destination: { type: 'external', phone_number: '+33612345678' } },
    ])
    const number = await hub.call('GET', `/v1/numbers/${n.id}`, { auth: company.basic })
    expect(number.body.number.ivr_status).toBe('ok')
  })

  it('refuses documents that are wrong as a whole, naming the field', async () => {
    const company = await hub.createCompany()
    const other = await hub.createCompany()
    const ids = await people(company)
    const n = await createNumber(hub, company)
    const ivr = await createNumber(hub, company, { type: 'ivr' })
    const elsewhere = await createNumber(hub, other)
    const base = () => fullSettings(ids)
    type Doc = ReturnType<typeof fullSettings> & Record<string, unknown>
    const cases: [string, (d: Doc) => unknown, string, number?][] = [
      [
        'step to a user that does not exist',
        (d) => (d.distribution.steps[0] = { type: 'user', user_id: 999999, ring_time_sec: 30 }),
        'distribution.steps.0.user_id',
      ],
      [
        "step to another company's user",
        (d) => (d.distribution.steps[2] = { type: 'user', user_id: other.adminUserId, ring_time_sec: 25 }),
        'distribution.steps.2.user_id',
      ],
      [
        'ring time below 10 s',
        (d) => (d.distribution.steps[0] = { type: 'user', user_id: ids.alice, ring_time_sec: 5 }),
        'distribution.steps.0.ring_time_sec',
      ],
      [
        'ring time above 3600 s',
        (d) => (d.distribution.steps[0] = { type: 'user', user_id: ids.alice, ring_time_sec: 3601 }),
        'distribution.steps.0.ring_time_sec',
      ],
      [
        'unknown team strategy',
        (d) => Object.assign(d.distribution.steps[1]!, { strategy: 'round_robin' }),
        'distribution.steps.1.strategy',
      ],
      [
        'overlapping slots',
        (d) => d.business_hours.weekly.monday.push({ from: '12:00', to: '13:00' }),
        'business_hours.weekly.monday.2',
      ],
      [
        'slot ending before it starts',
        (d) => (d.business_hours.weekly.tuesday = [{ from: '18:00', to: '09:00' }]),
        'business_hours.weekly.tuesday.0.to',
      ],
      ['bad time zone', (d) => (d.business_hours.time_zone = 'Paris'), 'business_hours.time_zone'],
      [
        'holiday ending before it starts',
        (d) => (d.business_hours.exceptions[0]!.end = '2026-12-20T00:00'),
        'business_hours.exceptions.0.end',
      ],
      [
        'holiday not in local time',
        (d) => (d.business_hours.exceptions[0]!.start = '24/12/2026'),
        'business_hours.exceptions.0.start',
      ],
      [
        'holiday starting on 30 February',
        (d) => (d.business_hours.exceptions[0]!.start = '2026-02-30T00:00'),
        'business_hours.exceptions.0.start',
      ],
      [
        'holiday ending on 31 April',
        (d) =>
          Object.assign(d.business_hours.exceptions[0]!, {
            start: '2026-04-30T00:00',
            end: '2026-04-31T00:00',
          }),
        'business_hours.exceptions.0.end',
      ],
      [
        'outbound-only team that does not exist',
        (d) => (d.outbound_only.team_ids = [999999]),
        'outbound_only.team_ids.0',
      ],
      [
        'unknown audio file',
        (d) =>
          Object.assign(d.messages, {
            welcome: { type: 'audio', audio_id: '00000000-0000-4000-8000-000000000000' },
          }),
        'messages.welcome.audio_id',
      ],
      [
        'unknown music track',
        (d) => Object.assign(d.messages, { music_on_hold: { type: 'library', track: 'metal' } }),
        'messages.music_on_hold.track',
      ],
      ['missing section', (d) => delete (d as Record<string, unknown>).recording, 'recording'],
      [
        'empty TTS text',
        (d) => Object.assign(d.messages, { closed: { type: 'tts', text: ' ', language: 'en-GB' } }),
        'messages.closed.text',
      ],
      [
        'max queue time out of range',
        (d) => (d.distribution.max_queue_time_sec = 5),
        'distribution.max_queue_time_sec',
      ],
      [
        'exception pointing to a number of another company',
        (d) =>
          (d.business_hours.exceptions[0]!.destination = {
            type: 'number',
            number_id: elsewhere.id,
          } as never),
        'business_hours.exceptions.0.destination.number_id',
      ],
      [
        'holiday sending calls to the number itself',
        (d) => (d.business_hours.exceptions[0]!.destination = { type: 'number', number_id: n.id } as never),
        'business_hours.exceptions.0.destination.number_id',
      ],
    ]
    for (const [label, mutate, field] of cases) {
      const doc = base() as Doc
      mutate(doc)
      const res = await put(company, n.id, doc)
      expect(res.status, label).toBe(400)
      expect(res.body.field, `${label}: ${JSON.stringify(res.body)}`).toBe(field)
      expect(res.body.message).toContain(field)
    }

    const ivrCases: [string, unknown, string][] = [
      [
        'key other than 0-9',
        { options: [{ key: '*', destination: { type: 'voicemail' } }] },
        'ivr.options.0.key',
      ],
      [
        'more than 10 options',
        {
          options: [...'0123456789', '1'].map((key) => ({ key, destination: { type: 'voicemail' } })),
        },
        'ivr.options',
      ],
      [
        'same key twice',
        {
          options: [
            { key: '1', destination: { type: 'voicemail' } },
            { key: '1', destination: { type: 'hangup' } },
          ],
        },
        'ivr.options.1.key',
      ],
      [
        'invalid external number',
        { options: [{ key: '2', destination: { type: 'external', phone_number: '12' } }] },
        'ivr.options.0.destination.phone_number',
      ],
      [
        'option to a team that does not exist',
        { options: [{ key: '2', destination: { type: 'team', team_id: 999999 } }] },
        'ivr.options.0.destination.team_id',
      ],
      [
        'fallback to a user that does not exist',
        { fallback: { type: 'user', user_id: 999999 } },
        'ivr.fallback.user_id',
      ],
      [
        'number_id and create_number together',
        {
          options: [
            {
              key: '2',
              destination: { type: 'number', number_id: n.id, create_number: { country: 'GB', name: 'x' } },
            },
          ],
        },
        'ivr.options.0.destination',
      ],
      [
        'option to a number without id',
        { options: [{ key: '2', destination: { type: 'number' } }] },
        'ivr.options.0.destination.number_id',
      ],
      ['timeout of 0 s', { timeout_sec: 0 }, 'ivr.timeout_sec'],
    ]
    for (const [label, body, field] of ivrCases) {
      const res = await put(company, ivr.id, body, '/ivr')
      expect(res.status, label).toBe(400)
      expect(res.body.field, `${label}: ${JSON.stringify(res.body)}`).toBe(field)
    }

    const ivrRecording = {
      ...base(),
      recording: { inbound: { auto_start: true }, outbound: { auto_start: true } },
    }
    const rec = await put(company, ivr.id, ivrRecording)
    expect(rec.status).toBe(400)
    expect(rec.body.field).toBe('recording.inbound.auto_start')

    // Nothing was stored by the refused documents.
    const after = await hub.call('GET', `/v1/numbers/${n.id}/settings`, { auth: company.basic })
    expect(after.body.settings.distribution.steps).toEqual([])
  })

  it('refuses a user or team both in a step and outbound-only, naming the outbound-only entry', async () => {
    const company = await hub.createCompany()
    const ids = await people(company)
    const n = await createNumber(hub, company)
    const withOutbound = (user_ids: number[], team_ids: number[]) => ({
      ...fullSettings(ids),
      outbound_only: { user_ids, team_ids },
    })
    const cases: [number[], number[], string, string][] = [
      [[company.adminUserId, ids.alice], [], 'outbound_only.user_ids.1', 'distribution.steps.0'],
      [[ids.bob], [], 'outbound_only.user_ids.0', 'distribution.steps.2'],
      [[], [ids.support], 'outbound_only.team_ids.0', 'distribution.steps.1'],
    ]
    for (const [users, teamIds, field, step] of cases) {
      const res = await put(company, n.id, withOutbound(users, teamIds))
      expect(res.status, field).toBe(400)
      expect(res.body.field).toBe(field)
      expect(res.body.message).toContain(step)
    }
    const after = await hub.call('GET', `/v1/numbers/${n.id}/settings`, { auth: company.basic })
    expect(after.body.settings.distribution.steps).toEqual([])

    // Outbound-only people outside the steps are fine, even a member of a team that is rung.
    const other = await addUser(hub, company, { first: 'Olga' })
    const ok = await put(company, n.id, withOutbound([other, company.agentUserId], []))
    expect(ok.status, JSON.stringify(ok.body)).toBe(200)
    expect(ok.body.settings.outbound_only).toEqual({ user_ids: [other, company.agentUserId], team_ids: [] })

    // Changing the steps alone is checked against the stored outbound-only list too.
    const clash = await hub.call('PATCH', `/v1/numbers/${n.id}/settings`, {
      auth: company.basic,
      body: {
        distribution: { ...fullSettings(ids).distribution, steps: [{ type: 'user', user_id: other }] },
      },
    })
    expect(clash.status).toBe(400)
    expect(clash.body.field).toBe('outbound_only.user_ids.0')
  })

  it('refuses IVR → number → same IVR loops, following the chain across numbers', async () => {
    const company = await hub.createCompany()
    const a = await createNumber(hub, company, { type: 'ivr', name: 'A' })
    const b = await createNumber(hub, company, { type: 'ivr', name: 'B' })
    const c = await createNumber(hub, company, { name: 'C' })
    const toNumber = (id: number) => ({ type: 'number', number_id: id })
    expect(
      (await put(company, a.id, { options: [{ key: '1', destination: toNumber(b.id) }] }, '/ivr')).status,
    ).toBe(200)
    // C is classic but its holiday destination counts: C → A during Christmas.
    const hours = {
      time_zone: 'Europe/London',
      mode: 'always_open',
      exceptions: [
        { name: 'Xmas', start: '2026-12-25T00:00', end: '2026-12-26T00:00', destination: toNumber(a.id) },
      ],
    }
    expect((await put(company, c.id, hours, '/business_hours')).status).toBe(200)
    // B → C closes the loop A → B → C → A.
    const res = await put(company, b.id, { options: [], fallback: toNumber(c.id) }, '/ivr')
    expect(res.status).toBe(400)
    expect(res.body.field).toBe('ivr.fallback.number_id')
    expect(res.body.message).toContain(`#${b.id} → #${c.id} → #${a.id} → #${b.id}`)
    // A chain that does not come back is fine.
    const d = await createNumber(hub, company, { name: 'D' })
    expect((await put(company, b.id, { options: [], fallback: toNumber(d.id) }, '/ivr')).status).toBe(200)
    // Nor may a number transfer to itself.
    const self = await put(company, a.id, { options: [{ key: '1', destination: toNumber(a.id) }] }, '/ivr')
    expect(self.status).toBe(400)
    expect(self.body.field).toBe('ivr.options.0.destination.number_id')
  })

  it('creates the number an IVR option transfers to, in the same change', async () => {
    const company = await hub.createCompany()
    const ivr = await createNumber(hub, company, { type: 'ivr' })
    const res = await put(
      company,
      ivr.id,
      {
        options: [
          {
            key: '3',
            destination: {
              type: 'number',
              create_number: { type: 'classic', country: 'GB', area: '161', name: 'Manchester' },
            },
          },
        ],
      },
      '/ivr',
    )
    expect(res.status, JSON.stringify(res.body)).toBe(200)
    const option = res.body.settings.ivr.options[0]
    expect(option.key).toBe('3')
    const created = await hub.call('GET', `/v1/numbers/${option.destination.number_id}`, {
      auth: company.basic,
    })
    expect(created.status).toBe(200)
    expect(created.body.number).toMatchObject({ name: 'Manchester', area: '161' })
    expect(created.body.number.e164_digits).toMatch(/^\+44161\d{7}$/)
    expect((await eventsOf(hub, company.id, 'number.created')).map((e) => e.data.id)).toContain(
      created.body.number.id,
    )
  })

  it('creates nothing when the rest of the document is refused', async () => {
    const company = await hub.createCompany()
    const ivr = await createNumber(hub, company, { type: 'ivr' })
    const res = await put(
      company,
      ivr.id,
      {
        options: [
          { key: '1', destination: { type: 'number', create_number: { country: 'GB', name: 'Never' } } },
          { key: '2', destination: { type: 'user', user_id: 999999 } },
        ],
      },
      '/ivr',
    )
    expect(res.status).toBe(400)
    expect(res.body.field).toBe('ivr.options.1.destination.user_id')
    const list = await hub.call('GET', '/v1/numbers', { auth: company.basic })
    expect(list.body.numbers.map((n: { name: string }) => n.name)).not.toContain('Never')
    expect(await eventsOf(hub, company.id, 'number.created')).toHaveLength(1)
  })

  securityCases(() => hub, {
    method: 'PUT',
    path: async (company) => `/v1/numbers/${(await createNumber(hub, company)).id}/settings`,
    body: fullSettings({ alice: 1, bob: 1, support: 1 }),
    adminOnly: true,
    ownedResource: true,
  })
})

describe('PATCH /v1/numbers/:id/settings', () => {
  it('replaces the given sections and keeps the others', async () => {
    const company = await hub.createCompany()
    const n = await createNumber(hub, company, { users: [company.agentUserId] })
    const res = await hub.call('PATCH', `/v1/numbers/${n.id}/settings`, {
      auth: company.basic,
      body: { mandatory_tagging: true, callback_on_star: false },
    })
    expect(res.status).toBe(200)
    expect(res.body.settings).toEqual({ ...n.settings, mandatory_tagging: true, callback_on_star: false })
  })

  it('validates the merged document', async () => {
    const company = await hub.createCompany()
    const n = await createNumber(hub, company)
    const res = await hub.call('PATCH', `/v1/numbers/${n.id}/settings`, {
      auth: company.basic,
      body: { outbound_only: { user_ids: [999999] } },
    })
    expect(res.status).toBe(400)
    expect(res.body.field).toBe('outbound_only.user_ids.0')
  })

  securityCases(() => hub, {
    method: 'PATCH',
    path: async (company) => `/v1/numbers/${(await createNumber(hub, company)).id}/settings`,
    body: { mandatory_tagging: true },
    adminOnly: true,
    ownedResource: true,
  })
})

describe('section PUTs', () => {
  it('replace business hours, distribution, IVR and messages one at a time', async () => {
    const company = await hub.createCompany()
    const ids = await people(company)
    const n = await createNumber(hub, company)
    const hours = await put(
      company,
      n.id,
      { time_zone: 'Europe/London', mode: 'custom', weekly: { sunday: [{ from: '10:00', to: '24:00' }] } },
      '/business_hours',
    )
    expect(hours.status).toBe(200)
    expect(hours.body.settings.business_hours.weekly.sunday).toEqual([{ from: '10:00', to: '24:00' }])
    const number = await hub.call('GET', `/v1/numbers/${n.id}`, { auth: company.basic })
    expect(number.body.number).toMatchObject({ open: false, availability_status: 'custom' }) // Monday

    const dist = await put(
      company,
      n.id,
      { steps: [{ type: 'team', team_id: ids.support, strategy: 'random' }] },
      '/distribution',
    )
    expect(dist.status).toBe(200)
    expect(dist.body.settings.distribution).toEqual({
      steps: [{ type: 'team', team_id: ids.support, ring_time_sec: 20, strategy: 'random' }],
      respect_queue_time: false,
      max_queue_time_sec: 300,
    })

    const messages = await put(
      company,
      n.id,
      {
        welcome: { type: 'tts', text: 'Hello', language: 'en-GB' },
        music_on_hold: { type: 'library', track: 'classical' },
      },
      '/messages',
    )
    expect(messages.status).toBe(200)
    expect(messages.body.settings.messages).toMatchObject({
      welcome: { type: 'tts', text: 'Hello' },
      // The slots not given keep their message.
      closed: (n.settings.messages as { closed: unknown }).closed,
      music_on_hold: { type: 'library', track: 'classical' },
    })

    const ivr = await put(
      company,
      n.id,
      { options: [{ key: '0', destination: { type: 'user', user_id: ids.alice } }] },
      '/ivr',
    )
    expect(ivr.status).toBe(200)
    expect(ivr.body.settings.business_hours.time_zone).toBe('Europe/London')
    expect(ivr.body.settings.distribution.steps).toHaveLength(1)
  })

  it('refuses a malformed section, naming the field', async () => {
    const company = await hub.createCompany()
    const n = await createNumber(hub, company)
    const res = await put(company, n.id, { time_zone: 'Europe/Paris', mode: 'sometimes' }, '/business_hours')
    expect(res.status).toBe(400)
    expect(res.body.field).toBe('business_hours.mode')
  })

  for (const section of ['business_hours', 'distribution', 'ivr', 'messages']) {
    securityCases(() => hub, {
      method: 'PUT',
      path: async (company) => `/v1/numbers/${(await createNumber(hub, company)).id}/settings/${section}`,
      body: section === 'business_hours' ? { time_zone: 'Europe/Paris', mode: 'always_open' } : {},
      adminOnly: true,
      ownedResource: true,
    })
  }
})

describe('deleting what numbers route to', () => {
  it('lists the numbers that name a user or team, then detaches them in the deleting transaction', async () => {
    const company = await hub.createCompany()
    const ids = await people(company)
    const classic = await createNumber(hub, company, { users: [ids.alice], teams: [ids.support] })
    const ivr = await createNumber(hub, company, { type: 'ivr' })
    await put(
      company,
      ivr.id,
      {
        options: [
          { key: '1', destination: { type: 'team', team_id: ids.support } },
          { key: '2', destination: { type: 'user', user_id: ids.alice } },
        ],
        fallback: { type: 'team', team_id: ids.support },
      },
      '/ivr',
    )
    await createNumber(hub, company, { name: 'Unrelated' })

    const refs = await hub.call('GET', `/v1/numbers/references?team_id=${ids.support}`, {
      auth: company.basic,
    })
    expect(refs.status).toBe(200)
    expect(refs.body.numbers).toEqual([
      { id: classic.id, name: classic.name, fields: ['distribution.steps.1'] },
      { id: ivr.id, name: ivr.name, fields: ['ivr.options.0', 'ivr.fallback'] },
    ])

    // What the teams service does on delete (see number-references.ts).
    await hub.db.transaction(async (tx) => {
      await detachFromNumbers(tx, { companyId: company.id, clock: hub.clock }, { teamId: ids.support })
      await tx.delete(teams).where(eq(teams.id, ids.support))
    })
    const after = await hub.call('GET', `/v1/numbers/${ivr.id}/settings`, { auth: company.basic })
    expect(after.body.settings.ivr.options).toEqual([
      { key: '2', destination: { type: 'user', user_id: ids.alice, ring_time_sec: 25 } },
    ])
    expect(after.body.settings.ivr.fallback).toEqual({ type: 'voicemail' })
    const classicAfter = await hub.call('GET', `/v1/numbers/${classic.id}`, { auth: company.basic })
    expect(classicAfter.body.number.settings.distribution.steps).toEqual([
      { type: 'user', user_id: ids.alice, ring_time_sec: 25 },
    ])
    expect(classicAfter.body.number.users.map((u: { id: number }) => u.id)).toEqual([ids.alice])
    // The cleaned documents are valid again as a whole.
    expect(
      (await hub.call('PATCH', `/v1/numbers/${classic.id}/settings`, { auth: company.basic, body: {} }))
        .status,
    ).toBe(200)
    const none = await hub.call('GET', `/v1/numbers/references?team_id=${ids.support}`, {
      auth: company.basic,
    })
    expect(none.body.numbers).toEqual([])
  })

  it('refuses a query naming neither or both', async () => {
    const company = await hub.createCompany()
    const res = await hub.call('GET', '/v1/numbers/references', { auth: company.basic })
    expect(res.status).toBe(400)
    expect(res.body.field).toBe('user_id')
  })

  securityCases(() => hub, { method: 'GET', path: () => '/v1/numbers/references?user_id=1', adminOnly: true })
})

describe('deleting a user or team a number routes to', () => {
  it('removes them from the number through the users and teams APIs, and the number stays editable', async () => {
    const company = await hub.createCompany()
    const ids = await people(company)
    const n = await createNumber(hub, company)
    expect((await put(company, n.id, fullSettings(ids))).status).toBe(200)

    expect((await hub.call('DELETE', `/v1/users/${ids.alice}`, { auth: company.basic })).status).toBe(204)
    expect((await hub.call('DELETE', `/v1/teams/${ids.support}`, { auth: company.basic })).status).toBe(204)

    const after = await hub.call('GET', `/v1/numbers/${n.id}/settings`, { auth: company.basic })
    expect(after.body.settings.distribution.steps).toEqual([
      { type: 'user', user_id: ids.bob, ring_time_sec: 25 },
    ])
    const rename = await hub.call('PUT', `/v1/numbers/${n.id}`, {
      auth: company.basic,
      body: { name: 'Still works' },
    })
    expect(rename.status, JSON.stringify(rename.body)).toBe(200)
  })
})
