import { and, eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestHub, type TestCompany, type TestHub } from '../../../../test/helpers/hub.ts'
import { securityCases } from '../../../../test/helpers/security.ts'
import { outbox, users } from '../../../db/schema/index.ts'

let hub: TestHub
beforeAll(async () => {
  hub = await createTestHub()
})
afterAll(() => hub.close())

async function createTeam(company: TestCompany, name = `Team ${Math.random().toString(36).slice(2, 8)}`) {
  const res = await hub.call('POST', '/v1/teams', { auth: company.basic, body: { name } })
  expect(res.status).toBe(201)
  return res.body.team as { id: number; name: string }
}

async function eventsOf(companyId: number, event: string) {
  return hub.db
    .select()
    .from(outbox)
    .where(and(eq(outbox.companyId, companyId), eq(outbox.event, event)))
}

describe('POST /v1/teams', () => {
  it('creates a team in the Aircall shape and records team.created', async () => {
    const company = await hub.createCompany()
    const res = await hub.call('POST', '/v1/teams', { auth: company.basic, body: { name: '  Sales EMEA ' } })
    expect(res.status).toBe(201)
    expect(res.body).toEqual({
      team: {
        id: expect.any(Number),
        direct_link: `http://hub.test/v1/teams/${res.body.team.id}`,
        name: 'Sales EMEA',
        created_at: hub.clock.now().toISOString(),
        users: [],
      },
    })
    const events = await eventsOf(company.id, 'team.created')
    expect(events).toHaveLength(1)
    expect(events[0]!.resource).toBe('team')
    expect(events[0]!.data).toEqual(res.body.team)
  })

  it('is allowed to an admin user session', async () => {
    const company = await hub.createCompany()
    const res = await hub.call('POST', '/v1/teams', { auth: company.adminBearer, body: { name: 'Support' } })
    expect(res.status).toBe(201)
  })

  it('refuses a duplicate name, whatever its case, naming the field', async () => {
    const company = await hub.createCompany()
    await createTeam(company, 'Support')
    for (const name of ['Support', 'SUPPORT', ' support ']) {
      const res = await hub.call('POST', '/v1/teams', { auth: company.basic, body: { name } })
      expect(res.status, name).toBe(400)
      expect(res.body.field).toBe('name')
    }
    expect(await eventsOf(company.id, 'team.created')).toHaveLength(1)
  })

  it('lets two companies use the same name', async () => {
    const a = await hub.createCompany()
    const b = await hub.createCompany()
    await createTeam(a, 'Sales')
    await createTeam(b, 'Sales')
  })

  it('answers 400 naming name for missing, blank, too long or non-string names', async () => {
    const company = await hub.createCompany()
    for (const body of [
      {},
      { name: '' },
      { name: '   ' },
      { name: 'x'.repeat(65) },
      { name: 42 },
      { name: 'Nul\u0000' },
    ]) {
      const res = await hub.call('POST', '/v1/teams', { auth: company.basic, body })
      expect(res.status, JSON.stringify(body)).toBe(400)
      expect(res.body.field).toBe('name')
    }
    const ok = await hub.call('POST', '/v1/teams', { auth: company.basic, body: { name: 'x'.repeat(64) } })
    expect(ok.status).toBe(201)
  })

  it('answers 400 to a malformed JSON body', async () => {
    const company = await hub.createCompany()
    const res = await hub.call('POST', '/v1/teams', { auth: company.basic, body: '{"name":' })
    expect(res.status).toBe(400)
  })

  securityCases(() => hub, {
    method: 'POST',
    path: () => '/v1/teams',
    body: { name: 'Sec' },
    adminOnly: true,
  })
})

describe('GET /v1/teams', () => {
  it('pages the company teams with Aircall meta and absolute links', async () => {
    const company = await hub.createCompany()
    const other = await hub.createCompany()
    await createTeam(other, 'Not mine')
    for (let i = 1; i <= 5; i++) await createTeam(company, `T${i}`)
    const first = await hub.call('GET', '/v1/teams?per_page=2', { auth: company.basic })
    expect(first.status).toBe(200)
    expect(first.body.teams.map((t: { name: string }) => t.name)).toEqual(['T1', 'T2'])
    expect(first.body.meta).toEqual({
      count: 2,
      total: 5,
      current_page: 1,
      per_page: 2,
      next_page_link: 'http://hub.test/v1/teams?per_page=2&page=2',
      previous_page_link: null,
    })
    const last = await hub.call('GET', '/v1/teams?per_page=2&page=3', { auth: company.basic })
    expect(last.body.teams.map((t: { name: string }) => t.name)).toEqual(['T5'])
    expect(last.body.meta.next_page_link).toBeNull()
    expect(last.body.meta.previous_page_link).toBe('http://hub.test/v1/teams?per_page=2&page=2')
    const desc = await hub.call('GET', '/v1/teams?order=desc', { auth: company.basic })
    expect(desc.body.teams.map((t: { name: string }) => t.name)).toEqual(['T5', 'T4', 'T3', 'T2', 'T1'])
  })

  it('filters on created_at with from/to (UNIX seconds)', async () => {
    const company = await hub.createCompany()
    await createTeam(company, 'Early')
    hub.clock.advance(3_600_000)
    const cut = Math.floor(hub.clock.now().getTime() / 1000)
    await createTeam(company, 'Late')
    const from = await hub.call('GET', `/v1/teams?from=${cut}`, { auth: company.basic })
    expect(from.body.teams.map((t: { name: string }) => t.name)).toEqual(['Late'])
    const to = await hub.call('GET', `/v1/teams?to=${cut - 1}`, { auth: company.basic })
    expect(to.body.teams.map((t: { name: string }) => t.name)).toEqual(['Early'])
  })

  it('answers 400 above 50 per page and to bad paging values', async () => {
    const company = await hub.createCompany()
    for (const query of ['per_page=51', 'per_page=0', 'page=0', 'order=up', 'from=-1', 'page=abc']) {
      const res = await hub.call('GET', `/v1/teams?${query}`, { auth: company.basic })
      expect(res.status, query).toBe(400)
      expect(res.body.field).toBe(query.split('=')[0])
    }
    expect((await hub.call('GET', '/v1/teams?per_page=50', { auth: company.basic })).status).toBe(200)
  })

  it('filters by search over the name, ignoring case and accents', async () => {
    const company = await hub.createCompany()
    const other = await hub.createCompany()
    const sales = await createTeam(company, 'Ventes Île-de-France')
    const support = await createTeam(company, 'Support N2')
    await createTeam(other, 'Ventes Lyon')
    const search = async (q: string) => {
      const res = await hub.call('GET', `/v1/teams?search=${encodeURIComponent(q)}`, { auth: company.basic })
      expect(res.status, q).toBe(200)
      expect(res.body.meta.total).toBe(res.body.teams.length)
      return res.body.teams.map((t: { id: number }) => t.id)
    }
    expect(await search('ventes')).toEqual([sales.id])
    expect(await search('ile france')).toEqual([sales.id])
    expect(await search('SUPPORT')).toEqual([support.id])
    expect(await search('lyon')).toEqual([])
    expect(await search('')).toEqual([sales.id, support.id])
    const bad = await hub.call('GET', `/v1/teams?search=${'x'.repeat(101)}`, { auth: company.basic })
    expect(bad.status).toBe(400)
    expect(bad.body.field).toBe('search')
  })

  securityCases(() => hub, { method: 'GET', path: () => '/v1/teams', adminOnly: true })
})

describe('GET /v1/teams/:id', () => {
  it('returns the team with its members as nested users', async () => {
    const company = await hub.createCompany()
    const team = await createTeam(company, 'Ops')
    await hub.call('POST', `/v1/teams/${team.id}/users/${company.agentUserId}`, { auth: company.basic })
    const res = await hub.call('GET', `/v1/teams/${team.id}`, { auth: company.adminBearer })
    expect(res.status).toBe(200)
    const agent = (await hub.userById(company.agentUserId))!
    expect(res.body.team.users).toEqual([
      {
        id: company.agentUserId,
        direct_link: `http://hub.test/v1/users/${company.agentUserId}`,
        name: 'Alan Agent',
        email: agent.email,
        available: true,
        availability_status: 'available',
        created_at: agent.createdAt.toISOString(),
        time_zone: 'Etc/UTC',
        language: 'en-US',
      },
    ])
  })

  it('computes available from working hours for "custom" users, in their time zone', async () => {
    const company = await hub.createCompany()
    const team = await createTeam(company)
    await hub.db
      .update(users)
      .set({
        availabilityStatus: 'custom',
        timeZone: 'Europe/Paris',
        workingHours: {
          monday: [{ from: '09:00', to: '12:00' }],
          tuesday: [],
          wednesday: [],
          thursday: [],
          friday: [],
          saturday: [],
          sunday: [],
        },
      })
      .where(eq(users.id, company.agentUserId))
    await hub.call('POST', `/v1/teams/${team.id}/users/${company.agentUserId}`, { auth: company.basic })
    const saved = hub.clock.now()
    try {
      const availableAt = async (iso: string) => {
        hub.clock.set(new Date(iso))
        const res = await hub.call('GET', `/v1/teams/${team.id}`, { auth: company.basic })
        return res.body.team.users[0].available
      }
      expect(await availableAt('2026-03-02T08:30:00Z')).toBe(true) // Monday 09:30 in Paris
      expect(await availableAt('2026-03-02T07:30:00Z')).toBe(false) // Monday 08:30 in Paris
      expect(await availableAt('2026-03-02T11:00:00Z')).toBe(false) // Monday 12:00 in Paris
      expect(await availableAt('2026-03-03T08:30:00Z')).toBe(false) // Tuesday
    } finally {
      hub.clock.set(saved)
    }
  })

  it('reports the same `available` as the User object for a "custom" user without working hours', async () => {
    const company = await hub.createCompany()
    const team = await createTeam(company)
    await hub.db
      .update(users)
      .set({ availabilityStatus: 'custom', workingHours: null })
      .where(eq(users.id, company.agentUserId))
    await hub.call('POST', `/v1/teams/${team.id}/users/${company.agentUserId}`, { auth: company.basic })
    const saved = hub.clock.now()
    try {
      for (const iso of ['2026-03-02T10:00:00Z', '2026-03-02T20:00:00Z']) {
        hub.clock.set(new Date(iso))
        const asUser = await hub.call('GET', `/v1/users/${company.agentUserId}`, { auth: company.basic })
        const asMember = await hub.call('GET', `/v1/teams/${team.id}`, { auth: company.basic })
        expect(asMember.body.team.users[0].available, iso).toBe(asUser.body.user.available)
      }
      // Office hours apply when none are set: Monday 10:00 UTC is inside, 20:00 is not.
      hub.clock.set(new Date('2026-03-02T10:00:00Z'))
      const inside = await hub.call('GET', `/v1/teams/${team.id}`, { auth: company.basic })
      expect(inside.body.team.users[0].available).toBe(true)
    } finally {
      hub.clock.set(saved)
    }
  })

  it('answers 404 for an unknown id and 400 for a non-numeric one', async () => {
    const company = await hub.createCompany()
    expect((await hub.call('GET', '/v1/teams/999999', { auth: company.basic })).status).toBe(404)
    const bad = await hub.call('GET', '/v1/teams/abc', { auth: company.basic })
    expect(bad.status).toBe(400)
    expect(bad.body.field).toBe('id')
  })

  securityCases(() => hub, {
    method: 'GET',
    path: async (c) => `/v1/teams/${(await createTeam(c)).id}`,
    adminOnly: true,
    ownedResource: true,
  })
})

describe('PUT /v1/teams/:id', () => {
  it('renames the team, keeping its members, and frees the old name', async () => {
    const company = await hub.createCompany()
    const team = await createTeam(company, 'Sales')
    await hub.call('POST', `/v1/teams/${team.id}/users/${company.agentUserId}`, { auth: company.basic })
    const res = await hub.call('PUT', `/v1/teams/${team.id}`, {
      auth: company.adminBearer,
      body: { name: '  Sales EMEA ' },
    })
    expect(res.status).toBe(200)
    expect(res.body.team).toMatchObject({
      id: team.id,
      direct_link: `http://hub.test/v1/teams/${team.id}`,
      name: 'Sales EMEA',
      users: [{ id: company.agentUserId }],
    })
    const read = await hub.call('GET', `/v1/teams/${team.id}`, { auth: company.basic })
    expect(read.body.team).toEqual(res.body.team)
    await createTeam(company, 'Sales')
    // Changing only the case of its own name is allowed.
    const recased = await hub.call('PUT', `/v1/teams/${team.id}`, {
      auth: company.basic,
      body: { name: 'SALES emea' },
    })
    expect(recased.status).toBe(200)
    expect(recased.body.team.name).toBe('SALES emea')
  })

  it('answers 400 naming name for a name another team of the company has, whatever its case', async () => {
    const company = await hub.createCompany()
    const other = await hub.createCompany()
    await createTeam(company, 'Support')
    await createTeam(other, 'Billing')
    const team = await createTeam(company, 'Sales')
    const taken = await hub.call('PUT', `/v1/teams/${team.id}`, {
      auth: company.basic,
      body: { name: 'SUPPORT' },
    })
    expect(taken.status).toBe(400)
    expect(taken.body).toMatchObject({ field: 'name', message: 'name: a team with this name already exists' })
    // Another company's team names are no concern.
    const free = await hub.call('PUT', `/v1/teams/${team.id}`, {
      auth: company.basic,
      body: { name: 'Billing' },
    })
    expect(free.status).toBe(200)
    for (const body of [
      {},
      { name: '' },
      { name: '   ' },
      { name: 'x'.repeat(65) },
      { name: 7 },
      { name: 'a\u0000b' },
    ]) {
      const res = await hub.call('PUT', `/v1/teams/${team.id}`, { auth: company.basic, body })
      expect(res.status, JSON.stringify(body)).toBe(400)
      expect(res.body.field).toBe('name')
    }
    expect((await hub.call('GET', `/v1/teams/${team.id}`, { auth: company.basic })).body.team.name).toBe(
      'Billing',
    )
    expect(
      (await hub.call('PUT', '/v1/teams/999999', { auth: company.basic, body: { name: 'X' } })).status,
    ).toBe(404)
  })

  securityCases(() => hub, {
    method: 'PUT',
    path: async (c) => `/v1/teams/${(await createTeam(c)).id}`,
    body: { name: 'Renamed' },
    adminOnly: true,
    ownedResource: true,
  })
})

describe('DELETE /v1/teams/:id', () => {
  it('deletes the team (204) and records team.deleted with the team as it was', async () => {
    const company = await hub.createCompany()
    const team = await createTeam(company, 'Gone')
    await hub.call('POST', `/v1/teams/${team.id}/users/${company.agentUserId}`, { auth: company.basic })
    const res = await hub.call('DELETE', `/v1/teams/${team.id}`, { auth: company.basic })
    expect(res.status).toBe(204)
    expect(res.body).toBeNull()
    expect((await hub.call('GET', `/v1/teams/${team.id}`, { auth: company.basic })).status).toBe(404)
    expect((await hub.call('DELETE', `/v1/teams/${team.id}`, { auth: company.basic })).status).toBe(404)
    const events = await eventsOf(company.id, 'team.deleted')
    expect(events).toHaveLength(1)
    expect(events[0]!.data).toMatchObject({ id: team.id, name: 'Gone', users: [{ id: company.agentUserId }] })
    // The name is free again.
    await createTeam(company, 'Gone')
  })

  securityCases(() => hub, {
    method: 'DELETE',
    path: async (c) => `/v1/teams/${(await createTeam(c)).id}`,
    adminOnly: true,
    ownedResource: true,
  })
})

describe('POST /v1/teams/:team_id/users/:user_id', () => {
  it('adds a user (201), then is idempotent (200, no duplicate)', async () => {
    const company = await hub.createCompany()
    const team = await createTeam(company)
    const path = `/v1/teams/${team.id}/users/${company.agentUserId}`
    const first = await hub.call('POST', path, { auth: company.basic })
    expect(first.status).toBe(201)
    expect(first.body.team.users.map((u: { id: number }) => u.id)).toEqual([company.agentUserId])
    const again = await hub.call('POST', path, { auth: company.basic })
    expect(again.status).toBe(200)
    expect(again.body.team.users.map((u: { id: number }) => u.id)).toEqual([company.agentUserId])
    hub.clock.advance(1000)
    const admin = await hub.call('POST', `/v1/teams/${team.id}/users/${company.adminUserId}`, {
      auth: company.basic,
    })
    expect(admin.body.team.users.map((u: { id: number }) => u.id)).toEqual([
      company.agentUserId,
      company.adminUserId,
    ])
  })

  it("answers 404 for another company's user, and for unknown team or user", async () => {
    const company = await hub.createCompany()
    const other = await hub.createCompany()
    const team = await createTeam(company)
    const foreign = await hub.call('POST', `/v1/teams/${team.id}/users/${other.agentUserId}`, {
      auth: company.basic,
    })
    expect(foreign.status).toBe(404)
    const missing = await hub.call('POST', `/v1/teams/${team.id}/users/999999`, { auth: company.basic })
    expect(missing.status).toBe(404)
    expect(foreign.body.message).toBe(missing.body.message)
    const noTeam = await hub.call('POST', `/v1/teams/999999/users/${company.agentUserId}`, {
      auth: company.basic,
    })
    expect(noTeam.status).toBe(404)
    const team2 = await hub.call('GET', `/v1/teams/${team.id}`, { auth: company.basic })
    expect(team2.body.team.users).toEqual([])
  })

  it('answers 400 for non-numeric ids', async () => {
    const company = await hub.createCompany()
    const team = await createTeam(company)
    const res = await hub.call('POST', `/v1/teams/${team.id}/users/bob`, { auth: company.basic })
    expect(res.status).toBe(400)
    expect(res.body.field).toBe('user_id')
  })

  securityCases(() => hub, {
    method: 'POST',
    path: async (c) => `/v1/teams/${(await createTeam(c)).id}/users/${c.agentUserId}`,
    adminOnly: true,
    ownedResource: true,
  })
})

describe('DELETE /v1/teams/:team_id/users/:user_id', () => {
  it('removes the user and returns the team', async () => {
    const company = await hub.createCompany()
    const team = await createTeam(company)
    await hub.call('POST', `/v1/teams/${team.id}/users/${company.agentUserId}`, { auth: company.basic })
    await hub.call('POST', `/v1/teams/${team.id}/users/${company.adminUserId}`, { auth: company.basic })
    const res = await hub.call('DELETE', `/v1/teams/${team.id}/users/${company.agentUserId}`, {
      auth: company.basic,
    })
    expect(res.status).toBe(200)
    expect(res.body.team.users.map((u: { id: number }) => u.id)).toEqual([company.adminUserId])
    const again = await hub.call('DELETE', `/v1/teams/${team.id}/users/${company.agentUserId}`, {
      auth: company.basic,
    })
    expect(again.status).toBe(404)
  })

  it("answers 404 for another company's user id, even if it is a member elsewhere", async () => {
    const company = await hub.createCompany()
    const other = await hub.createCompany()
    const team = await createTeam(company)
    const otherTeam = await createTeam(other)
    await hub.call('POST', `/v1/teams/${otherTeam.id}/users/${other.agentUserId}`, { auth: other.basic })
    const res = await hub.call('DELETE', `/v1/teams/${team.id}/users/${other.agentUserId}`, {
      auth: company.basic,
    })
    expect(res.status).toBe(404)
    const cross = await hub.call('DELETE', `/v1/teams/${otherTeam.id}/users/${other.agentUserId}`, {
      auth: company.basic,
    })
    expect(cross.status).toBe(404)
    const intact = await hub.call('GET', `/v1/teams/${otherTeam.id}`, { auth: other.basic })
    expect(intact.body.team.users.map((u: { id: number }) => u.id)).toEqual([other.agentUserId])
  })

  securityCases(() => hub, {
    method: 'DELETE',
    path: async (c) => {
      const team = await createTeam(c)
      await hub.call('POST', `/v1/teams/${team.id}/users/${c.agentUserId}`, { auth: c.basic })
      return `/v1/teams/${team.id}/users/${c.agentUserId}`
    },
    adminOnly: true,
    ownedResource: true,
  })
})

describe('OpenAPI', () => {
  it('documents the team routes and the Team schema', async () => {
    const doc = await hub.call('GET', '/v1/openapi.json')
    expect(doc.body.paths['/v1/teams']).toHaveProperty('get')
    expect(doc.body.paths['/v1/teams']).toHaveProperty('post')
    expect(Object.keys(doc.body.paths['/v1/teams/{team_id}/users/{user_id}'])).toEqual(['post', 'delete'])
    expect(Object.keys(doc.body.components.schemas.Team.properties)).toEqual([
      'id',
      'direct_link',
      'name',
      'created_at',
      'users',
    ])
  })
})
