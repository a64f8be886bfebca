import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { addAgent, callableNumber } from '../../../../test/helpers/calls.ts'
import { createTestHub, type TestCompany, type TestHub } from '../../../../test/helpers/hub.ts'
import { securityCases } from '../../../../test/helpers/security.ts'
import { tags } from '../../../db/schema/index.ts'
import { createCallActions } from '../../../telephony/engine/call-actions.ts'

let hub: TestHub
beforeAll(async () => {
  hub = await createTestHub()
})
afterAll(() => hub.close())

/** An answered, tagged, commented, ended call of the company. */
async function finishedCall(company: TestCompany) {
  const agent = await addAgent(hub, company, { firstName: 'Grace', lastName: 'Hopper' })
  hub.setOnline(company.id, agent.id)
  const number = await callableNumber(hub, company, (s) => ({
    distribution: { ...s.distribution, steps: [{ type: 'user', user_id: agent.id, ring_time_sec: 20 }] },
  }))
  const placed = await hub.call('POST', '/v1/sandbox/calls', {
    auth: company.basic,
    body: { from: '+33 6 12 34 56 78', to: number.e164 },
  })
  const id = placed.body.call.id as number
  const actions = createCallActions(hub.deps)
  hub.clock.advance(4_000)
  await actions.agentAction(company.id, agent.id, { type: 'answer', call_id: id })
  hub.clock.advance(30_000)
  await actions.agentAction(company.id, agent.id, { type: 'hangup', call_id: id })
  const [tag] = await hub.db
    .insert(tags)
    .values({ companyId: company.id, name: `VIP ${id}`, color: '#ff0000' })
    .returning()
  await actions.agentAction(company.id, agent.id, { type: 'tag', call_id: id, tag_ids: [tag!.id] })
  await actions.agentAction(company.id, agent.id, { type: 'comment', call_id: id, content: 'Wants a quote' })
  return { id, agent, number, tag: tag! }
}

describe('GET /v1/calls/:id', () => {
  it("returns the call in Aircall's Call format with its tags and comments", async () => {
    const company = await hub.createCompany()
    const { id, agent, number, tag } = await finishedCall(company)
    const res = await hub.call('GET', `/v1/calls/${id}`, { auth: company.basic })
    expect(res.status).toBe(200)
    const call = res.body.call
    expect(call).toMatchObject({
      id,
      sid: `sb-call-${id}`,
      direct_link: `http://hub.test/v1/calls/${id}`,
      direction: 'inbound',
      status: 'done',
      missed_call_reason: null,
      duration: 34,
      raw_digits: '+33 6 12 34 56 78',
      archived: false,
      user: { id: agent.id, name: 'Grace Hopper', direct_link: `http://hub.test/v1/users/${agent.id}` },
      number: { id: number.id, digits: number.e164, name: number.name },
      tags: [
        { id: tag.id, name: tag.name, color: '#ff0000', direct_link: `http://hub.test/v1/tags/${tag.id}` },
      ],
      comments: [{ content: 'Wants a quote', posted_by: { id: agent.id } }],
      contact: null,
      teams: [],
    })
    expect(call.answered_at - call.started_at).toBe(4)
    expect(call.ended_at - call.started_at).toBe(34)
  })

  it("answers 404 for an unknown id and another company's call", async () => {
    const company = await hub.createCompany()
    const other = await hub.createCompany()
    const { id } = await finishedCall(other)
    expect((await hub.call('GET', `/v1/calls/${id}`, { auth: company.basic })).status).toBe(404)
    expect((await hub.call('GET', '/v1/calls/999999', { auth: company.basic })).status).toBe(404)
  })

  securityCases(() => hub, {
    method: 'GET',
    path: async (c) => `/v1/calls/${(await finishedCall(c)).id}`,
    adminOnly: true,
    ownedResource: true,
  })
})

describe('GET /v1/calls', () => {
  it("pages the company's calls by start time, in the calls envelope, filtered by from/to", async () => {
    const company = await hub.createCompany()
    const other = await hub.createCompany()
    await finishedCall(other)
    const first = await finishedCall(company)
    hub.clock.advance(3_600_000)
    const second = await finishedCall(company)
    const res = await hub.call('GET', '/v1/calls?per_page=1&order=desc', { auth: company.basic })
    expect(res.status).toBe(200)
    expect(res.body.calls.map((c: { id: number }) => c.id)).toEqual([second.id])
    expect(res.body.meta).toMatchObject({ count: 1, total: 2, current_page: 1, per_page: 1 })
    const all = await hub.call('GET', '/v1/calls', { auth: company.basic })
    expect(all.body.calls.map((c: { id: number }) => c.id)).toEqual([first.id, second.id])
    const from = all.body.calls[1].started_at
    const later = await hub.call('GET', `/v1/calls?from=${from}`, { auth: company.basic })
    expect(later.body.calls.map((c: { id: number }) => c.id)).toEqual([second.id])
  })

  securityCases(() => hub, { method: 'GET', path: () => '/v1/calls', adminOnly: true })
})
