import { and, eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { addAgent, addTeam, callableNumber, callRow } from '../../test/helpers/calls.ts'
import { createTestHub, type TestCompany, type TestHub } from '../../test/helpers/hub.ts'
import { routingVersions, teamMembers, users } from '../db/schema/index.ts'

/**
 * The engine keeps each company's routing world between calls; any committed write to what
 * calls are routed against — through the API or straight into the database, as another hub
 * process would — is seen by the next call.
 */
let hub: TestHub
beforeAll(async () => {
  hub = await createTestHub({ workers: true })
})
afterAll(() => hub.close())

async function dial(company: TestCompany, to: string) {
  const res = await hub.call('POST', '/v1/sandbox/calls', {
    auth: company.basic,
    body: { from: '+33612345678', to },
  })
  expect(res.status, JSON.stringify(res.body)).toBe(201)
  return res.body.call.id as number
}

const hangUp = async (company: TestCompany, id: number) =>
  expect((await hub.call('POST', `/v1/sandbox/calls/${id}/hangup`, { auth: company.basic })).status).toBe(204)

const version = async (companyId: number) =>
  (await hub.db.select().from(routingVersions).where(eq(routingVersions.companyId, companyId)))[0]?.version ??
  0

describe('routing world between calls', () => {
  it('the next call sees a team change written by another process, and an availability change made through the API', async () => {
    const company = await hub.createCompany()
    const a = await addAgent(hub, company)
    const b = await addAgent(hub, company)
    const team = await addTeam(hub, company, 'Support', [a.id, b.id])
    for (const u of [a, b]) hub.setOnline(company.id, u.id)
    const number = await callableNumber(hub, company, (s) => ({
      messages: { ...s.messages, welcome: null },
      distribution: {
        ...s.distribution,
        steps: [{ type: 'team', team_id: team.id, ring_time_sec: 30, strategy: 'simultaneous' }],
      },
    }))

    const first = await dial(company, number.e164)
    expect((await callRow(hub, first)).ringing.sort()).toEqual([a.id, b.id].sort())
    await hangUp(company, first)

    // Another hub process removes b from the team: a plain write to the database.
    const before = await version(company.id)
    await hub.db.delete(teamMembers).where(and(eq(teamMembers.teamId, team.id), eq(teamMembers.userId, b.id)))
    expect(await version(company.id)).toBeGreaterThan(before)
    const second = await dial(company, number.e164)
    expect((await callRow(hub, second)).ringing).toEqual([a.id])
    await hangUp(company, second)

    // a goes unavailable through the API: nobody left to ring.
    const res = await hub.call('PUT', `/v1/users/${a.id}`, {
      auth: company.basic,
      body: { availability_status: 'unavailable' },
    })
    expect(res.status, JSON.stringify(res.body)).toBe(200)
    const third = await dial(company, number.e164)
    expect((await callRow(hub, third)).ringing).toEqual([])
  })

  it('bumps the version at commit only: a rolled-back write changes nothing; another company is untouched', async () => {
    const company = await hub.createCompany()
    const other = await hub.createCompany()
    const agent = await addAgent(hub, company)
    const [mine, theirs] = [await version(company.id), await version(other.id)]
    await hub.db
      .transaction(async (tx) => {
        await tx.update(users).set({ firstName: 'Renamed' }).where(eq(users.id, agent.id))
        throw new Error('roll back')
      })
      .catch(() => {})
    expect(await version(company.id)).toBe(mine)
    await hub.db.update(users).set({ firstName: 'Renamed' }).where(eq(users.id, agent.id))
    expect(await version(company.id)).toBe(mine + 1)
    expect(await version(other.id)).toBe(theirs)
  })
})
