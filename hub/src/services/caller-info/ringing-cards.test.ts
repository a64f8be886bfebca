import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { addIntegration, sandboxHubspot, testTokenKeys } from '../../../test/helpers/caller-info.ts'
import { addAgent, advanceUntilApplied, callableNumber } from '../../../test/helpers/calls.ts'
import { createTestHub, type TestHub } from '../../../test/helpers/hub.ts'
import { connectAgent, tokenOf } from '../../../test/helpers/realtime-client.ts'
import { stopSandboxCrms } from '../integrations/sandbox-crms.ts'

/**
 * Ringing agents get the caller card over the realtime channel, as the server wires it: the
 * lookup starts when the call is created, each agent the call rings on gets `call.caller_card`
 * after `call.ringing` — including the agent of the next distribution step.
 */
let hub: TestHub
let base: string
// A long deadline: what is tested is who gets the card, not how slow a cold first lookup may be.
beforeAll(async () => {
  hub = await createTestHub({
    workers: true,
    callerCards: true,
    env: { CRM_TOKEN_KEYS: testTokenKeys(), CALLER_INFO_DEADLINE_MS: '5000' },
  })
  base = await hub.listen()
})
afterAll(async () => {
  await hub.close()
  await stopSandboxCrms()
})

describe('call.caller_card', () => {
  it('reaches each agent the call rings on, the next step included, from one CRM search', async () => {
    const company = await hub.createCompany()
    const second = await addAgent(hub, company)
    const number = await callableNumber(hub, company, (s) => ({
      messages: { ...s.messages, welcome: null },
      distribution: {
        ...s.distribution,
        steps: [
          { type: 'user', user_id: company.agentUserId, ring_time_sec: 20 },
          { type: 'user', user_id: second.id, ring_time_sec: 20 },
        ],
      },
    }))
    const caller = '+14155559876'
    const hs = await sandboxHubspot()
    const contact = hs.addContact({
      firstname: 'Ringing',
      lastname: 'Caller',
      phone: caller,
      company: 'Acme',
    })
    const hubspot = await addIntegration(hub, company, 'hubspot', {
      tokens: hs.issueTokens(),
      accountId: '4242',
      numberIds: [number.id],
    })
    const first = await connectAgent(base, tokenOf(company.agentBearer))
    const next = await connectAgent(base, await hub.issueToken(company.id, second.id, 'agent'))

    const res = await hub.call('POST', '/v1/sandbox/calls', {
      auth: company.basic,
      body: { from: caller, to: number.e164 },
    })
    expect(res.status, JSON.stringify(res.body)).toBe(201)
    const callId = res.body.call.id as number

    expect((await first.socket.next('call.ringing')).call.call_id).toBe(callId)
    const card = await first.socket.next('call.caller_card')
    expect(card.call_id).toBe(callId)
    expect(card.card).toMatchObject({
      phone_number: caller,
      name: 'Ringing Caller',
      company: 'Acme',
      records: [{ integration_id: hubspot.id, crm: 'hubspot', id: contact, name: 'Ringing Caller' }],
      sources: [{ integration_id: hubspot.id, ok: true }],
    })

    // Nobody answers: the second step rings the other agent, who gets the same card.
    await advanceUntilApplied(hub, callId, 20_000)
    expect((await next.socket.next('call.ringing')).call.call_id).toBe(callId)
    expect((await next.socket.next('call.caller_card')).card).toEqual(card.card)

    expect(first.socket.frames.filter((f) => f.type === 'call.caller_card')).toHaveLength(1)
    const searches = hs.requests.filter(
      (r) => r.path === '/crm/v3/objects/contacts/search' && r.rawBody.includes(caller.slice(2)),
    )
    expect(searches).toHaveLength(1)
    await first.socket.close()
    await next.socket.close()
  })

  it("is not sent to another company's agents", async () => {
    const company = await hub.createCompany()
    const other = await hub.createCompany()
    const number = await callableNumber(hub, company, (s) => ({
      messages: { ...s.messages, welcome: null },
      distribution: {
        ...s.distribution,
        steps: [{ type: 'user', user_id: company.agentUserId, ring_time_sec: 20 }],
      },
    }))
    const mine = await connectAgent(base, tokenOf(company.agentBearer))
    const theirs = await connectAgent(base, tokenOf(other.agentBearer))
    const res = await hub.call('POST', '/v1/sandbox/calls', {
      auth: company.basic,
      body: { from: '+14155559877', to: number.e164 },
    })
    expect(res.status).toBe(201)
    await mine.socket.next('call.ringing')
    // No CRM linked: the card still comes (recent calls, sources empty).
    expect((await mine.socket.next('call.caller_card')).card).toMatchObject({ records: [], sources: [] })
    expect(theirs.socket.frames.map((f) => f.type)).not.toContain('call.caller_card')
    await mine.socket.close()
    await theirs.socket.close()
  })
})
