import { eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestHub, type TestCompany, type TestHub } from '../../test/helpers/hub.ts'
import { webhooks } from '../db/schema/index.ts'
import { createNumber } from './v1/numbers/numbers-fixtures.ts'

// Ids in paths and queries name rows: only the canonical decimal spelling of an id may reach
// one. JavaScript's Number() also reads "0x10" as 16, "+1", " 1" and "1.0" as 1 and "1e3" as
// 1000, so a loose parse let `DELETE /v1/numbers/0x10` release number 16.

let hub: TestHub
beforeAll(async () => {
  hub = await createTestHub()
})
afterAll(() => hub.close())

/** Spellings JavaScript's Number() reads as `id` but that are not its canonical decimal form. */
function looseSpellings(id: number): string[] {
  return [
    `0x${id.toString(16)}`,
    `0o${id.toString(8)}`,
    `0b${id.toString(2)}`,
    `+${id}`,
    `0${id}`,
    `%20${id}`,
    `${id}%20`,
    `${id}.0`,
    `${id}e0`,
    `${id / 10}e1`,
  ]
}

async function createTag(company: TestCompany) {
  const res = await hub.call('POST', '/v1/tags', {
    auth: company.basic,
    body: { name: `Tag ${Math.random().toString(36).slice(2, 8)}`, color: '#0033CC' },
  })
  expect(res.status).toBe(201)
  return res.body.tag as { id: number }
}

describe('path ids are canonical decimals', () => {
  it('DELETE /v1/numbers/:id releases nothing when the id is spelled loosely', async () => {
    const company = await hub.createCompany()
    const number = await createNumber(hub, company)
    for (const spelling of looseSpellings(number.id)) {
      const res = await hub.call('DELETE', `/v1/numbers/${spelling}`, { auth: company.basic })
      expect({ spelling, status: res.status }).toEqual({ spelling, status: 400 })
      expect(res.body).toMatchObject({ field: 'id', message: expect.stringContaining('id') })
    }
    const still = await hub.call('GET', `/v1/numbers/${number.id}`, { auth: company.basic })
    expect(still.status).toBe(200)
    expect(still.body.number.id).toBe(number.id)
  })

  it('GET, PUT and DELETE /v1/tags/:id answer 400 to a loose spelling of an existing id', async () => {
    const company = await hub.createCompany()
    const tag = await createTag(company)
    for (const spelling of looseSpellings(tag.id)) {
      const get = await hub.call('GET', `/v1/tags/${spelling}`, { auth: company.basic })
      expect({ spelling, status: get.status, field: get.body.field }).toEqual({
        spelling,
        status: 400,
        field: 'id',
      })
      const put = await hub.call('PUT', `/v1/tags/${spelling}`, { auth: company.basic, body: { name: 'x' } })
      expect({ spelling, status: put.status }).toEqual({ spelling, status: 400 })
      const del = await hub.call('DELETE', `/v1/tags/${spelling}`, { auth: company.basic })
      expect({ spelling, status: del.status }).toEqual({ spelling, status: 400 })
    }
    // The canonical spelling still works, and nothing was renamed or deleted above.
    const got = await hub.call('GET', `/v1/tags/${tag.id}`, { auth: company.basic })
    expect(got.status).toBe(200)
    expect(got.body.tag).toMatchObject({ id: tag.id, name: expect.stringMatching(/^Tag /) })
  })

  it('two-id paths check both ids (DELETE /v1/teams/:team_id/users/:user_id)', async () => {
    const company = await hub.createCompany()
    const team = await hub.call('POST', '/v1/teams', { auth: company.basic, body: { name: 'Support' } })
    expect(team.status).toBe(201)
    const teamId: number = team.body.team.id
    const added = await hub.call('POST', `/v1/teams/${teamId}/users/${company.agentUserId}`, {
      auth: company.basic,
    })
    expect(added.status).toBe(201)
    for (const spelling of looseSpellings(company.agentUserId)) {
      const res = await hub.call('DELETE', `/v1/teams/${teamId}/users/${spelling}`, { auth: company.basic })
      expect({ spelling, status: res.status, field: res.body.field }).toEqual({
        spelling,
        status: 400,
        field: 'user_id',
      })
    }
    for (const spelling of looseSpellings(teamId)) {
      const res = await hub.call('DELETE', `/v1/teams/${spelling}/users/${company.agentUserId}`, {
        auth: company.basic,
      })
      expect({ spelling, status: res.status, field: res.body.field }).toEqual({
        spelling,
        status: 400,
        field: 'team_id',
      })
    }
    const after = await hub.call('GET', `/v1/teams/${teamId}`, { auth: company.basic })
    expect(after.body.team.users.map((u: { id: number }) => u.id)).toEqual([company.agentUserId])
  })

  it('id query parameters follow the same rule (GET /v1/numbers/references?user_id=)', async () => {
    const company = await hub.createCompany()
    for (const spelling of looseSpellings(company.agentUserId)) {
      const res = await hub.call('GET', `/v1/numbers/references?user_id=${spelling}`, { auth: company.basic })
      expect({ spelling, status: res.status, field: res.body.field }).toEqual({
        spelling,
        status: 400,
        field: 'user_id',
      })
    }
    const ok = await hub.call('GET', `/v1/numbers/references?user_id=${company.agentUserId}`, {
      auth: company.basic,
    })
    expect(ok.status).toBe(200)
  })

  it('users and webhooks, which also take an email or a UUID, find nothing under a loose id (404)', async () => {
    const company = await hub.createCompany()
    for (const spelling of looseSpellings(company.agentUserId)) {
      const res = await hub.call('GET', `/v1/users/${spelling}`, { auth: company.basic })
      expect({ spelling, status: res.status }).toEqual({ spelling, status: 404 })
    }
    expect((await hub.call('GET', `/v1/users/${company.agentUserId}`, { auth: company.basic })).status).toBe(
      200,
    )

    const created = await hub.call('POST', '/v1/webhooks', {
      auth: company.basic,
      body: { url: 'http://127.0.0.1:9/hook' },
    })
    expect(created.status).toBe(201)
    const [row] = await hub.db
      .select({ id: webhooks.id })
      .from(webhooks)
      .where(eq(webhooks.webhookId, created.body.webhook.webhook_id))
    for (const spelling of looseSpellings(row!.id)) {
      const res = await hub.call('DELETE', `/v1/webhooks/${spelling}`, { auth: company.basic })
      expect({ spelling, status: res.status }).toEqual({ spelling, status: 404 })
    }
    const still = await hub.call('GET', `/v1/webhooks/${row!.id}`, { auth: company.basic })
    expect(still.status).toBe(200)
  })

  it('ids past the database integer range are refused, not read as another row', async () => {
    const company = await hub.createCompany()
    for (const id of ['2147483648', '9007199254740993', '99999999999999999999']) {
      const res = await hub.call('GET', `/v1/tags/${id}`, { auth: company.basic })
      expect({ id, status: res.status, field: res.body.field }).toEqual({ id, status: 400, field: 'id' })
    }
    expect((await hub.call('GET', '/v1/tags/2147483647', { auth: company.basic })).status).toBe(404)
  })
})
