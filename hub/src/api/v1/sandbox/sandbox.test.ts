import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { addAgent, callableNumber, callRow } from '../../../../test/helpers/calls.ts'
import { createTestHub, type TestCompany, type TestHub } from '../../../../test/helpers/hub.ts'
import { securityCases } from '../../../../test/helpers/security.ts'

let hub: TestHub
beforeAll(async () => {
  hub = await createTestHub()
})
afterAll(() => hub.close())

async function ringingCall(company: TestCompany) {
  const agent = await addAgent(hub, company)
  hub.setOnline(company.id, agent.id)
  const number = await callableNumber(hub, company, (s) => ({
    distribution: { ...s.distribution, steps: [{ type: 'user', user_id: agent.id, ring_time_sec: 20 }] },
  }))
  const res = await hub.call('POST', '/v1/sandbox/calls', {
    auth: company.basic,
    body: { from: '+33612345678', to: number.e164 },
  })
  expect(res.status, JSON.stringify(res.body)).toBe(201)
  return { call: res.body.call as { id: number }, agent, number }
}

describe('POST /v1/sandbox/calls', () => {
  it('takes the called number in any common format and an anonymous caller', async () => {
    const company = await hub.createCompany()
    const number = await callableNumber(hub, company, () => ({}))
    const national = `0${number.e164.slice(3)}`
    const res = await hub.call('POST', '/v1/sandbox/calls', {
      auth: company.basic,
      body: { from: 'anonymous', to: national },
    })
    expect(res.status, JSON.stringify(res.body)).toBe(201)
    expect(res.body.call).toMatchObject({
      direction: 'inbound',
      raw_digits: 'anonymous',
      number: { id: number.id },
      direct_link: `http://hub.test/v1/calls/${res.body.call.id}`,
    })
  })

  it('answers 400 naming the field for a number that is not the company’s or a bad caller', async () => {
    const company = await hub.createCompany()
    const other = await hub.createCompany()
    const number = await callableNumber(hub, company, () => ({}))
    const theirs = await callableNumber(hub, other, () => ({}))
    for (const [body, field] of [
      [{ from: '+33612345678', to: theirs.e164 }, 'to'],
      [{ from: 'not a phone', to: number.e164 }, 'from'],
      [{ to: number.e164 }, 'from'],
    ] as const) {
      const res = await hub.call('POST', '/v1/sandbox/calls', { auth: company.basic, body })
      expect(res.status, JSON.stringify(body)).toBe(400)
      expect(res.body.field).toBe(field)
    }
  })

  securityCases(() => hub, {
    method: 'POST',
    path: () => '/v1/sandbox/calls',
    body: { from: '+33612345678', to: '+33100000000' },
    adminOnly: true,
  })
})

describe('carrier events on a call', () => {
  it("answers 404 for another company's call and leaves it untouched", async () => {
    const owner = await hub.createCompany()
    const intruder = await hub.createCompany()
    const { call, agent } = await ringingCall(owner)
    const before = await callRow(hub, call.id)
    for (const path of [
      `/v1/sandbox/calls/${call.id}/hangup`,
      `/v1/sandbox/calls/${call.id}/agents/${agent.id}/answer`,
    ]) {
      const res = await hub.call('POST', path, { auth: intruder.basic })
      expect(res.status, path).toBe(404)
    }
    const digits = await hub.call('POST', `/v1/sandbox/calls/${call.id}/digits`, {
      auth: intruder.basic,
      body: { digits: '1' },
    })
    expect(digits.status).toBe(404)
    expect(await callRow(hub, call.id)).toEqual(before)
  })

  it("answers 404 for a user of another company answering the company's call", async () => {
    const owner = await hub.createCompany()
    const other = await hub.createCompany()
    const { call } = await ringingCall(owner)
    const res = await hub.call('POST', `/v1/sandbox/calls/${call.id}/agents/${other.agentUserId}/answer`, {
      auth: owner.basic,
    })
    expect(res.status).toBe(404)
    expect((await callRow(hub, call.id)).status).toBe('initial')
  })

  it('refuses bad digits with 400', async () => {
    const company = await hub.createCompany()
    const { call } = await ringingCall(company)
    for (const digits of ['', 'a', '1'.repeat(21)]) {
      const res = await hub.call('POST', `/v1/sandbox/calls/${call.id}/digits`, {
        auth: company.basic,
        body: { digits },
      })
      expect(res.status, digits).toBe(400)
      expect(res.body.field).toBe('digits')
    }
  })

  securityCases(() => hub, {
    method: 'POST',
    path: async (c) => `/v1/sandbox/calls/${(await ringingCall(c)).call.id}/hangup`,
    adminOnly: true,
    ownedResource: true,
  })
})

describe('simulated devices', () => {
  it('PUT sets, GET reads (null when there is none), DELETE removes (404 when there is none), for the company’s users only', async () => {
    const company = await hub.createCompany()
    const other = await hub.createCompany()
    const body = { answer_after_sec: 2, talk_sec: 30 }
    const get = (userId: number) => hub.call('GET', `/v1/sandbox/agents/${userId}`, { auth: company.basic })
    expect(await get(company.agentUserId)).toMatchObject({ status: 200, body: { agent: null } })
    const put = await hub.call('PUT', `/v1/sandbox/agents/${company.agentUserId}`, {
      auth: company.basic,
      body,
    })
    expect(put.status).toBe(200)
    expect(await get(company.agentUserId)).toMatchObject({
      status: 200,
      body: { agent: { user_id: company.agentUserId, ...body } },
    })
    const foreign = await hub.call('PUT', `/v1/sandbox/agents/${other.agentUserId}`, {
      auth: company.basic,
      body,
    })
    expect(foreign.status).toBe(404)
    expect((await get(other.agentUserId)).status).toBe(404)
    const bad = await hub.call('PUT', `/v1/sandbox/agents/${company.agentUserId}`, {
      auth: company.basic,
      body: { answer_after_sec: -1, talk_sec: 30 },
    })
    expect(bad.status).toBe(400)
    expect(bad.body.field).toBe('answer_after_sec')
    const del = await hub.call('DELETE', `/v1/sandbox/agents/${company.agentUserId}`, { auth: company.basic })
    expect(del.status).toBe(204)
    expect(await get(company.agentUserId)).toMatchObject({ status: 200, body: { agent: null } })
    const again = await hub.call('DELETE', `/v1/sandbox/agents/${company.agentUserId}`, {
      auth: company.basic,
    })
    expect(again.status).toBe(404)
  })

  securityCases(() => hub, {
    method: 'PUT',
    path: (c) => `/v1/sandbox/agents/${c.agentUserId}`,
    body: { answer_after_sec: 2, talk_sec: 30 },
    adminOnly: true,
    ownedResource: true,
  })

  securityCases(() => hub, {
    method: 'GET',
    path: (c) => `/v1/sandbox/agents/${c.agentUserId}`,
    adminOnly: true,
    ownedResource: true,
  })
})

it('documents the simulation API in the OpenAPI document', async () => {
  const res = await hub.call('GET', '/v1/openapi.json')
  expect(Object.keys(res.body.paths).filter((p: string) => p.startsWith('/v1/sandbox'))).toEqual([
    '/v1/sandbox/calls',
    '/v1/sandbox/calls/{id}/digits',
    '/v1/sandbox/calls/{id}/hangup',
    '/v1/sandbox/calls/{id}/callee',
    '/v1/sandbox/calls/{id}/agents/{user_id}/answer',
    '/v1/sandbox/calls/{id}/agents/{user_id}/decline',
    '/v1/sandbox/calls/{id}/voicemail',
    '/v1/sandbox/agents/{user_id}',
  ])
})
