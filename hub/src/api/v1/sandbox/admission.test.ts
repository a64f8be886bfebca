import { eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { addAgent, callableNumber, callRow } from '../../../../test/helpers/calls.ts'
import { createTestHub, type TestCompany, type TestHub } from '../../../../test/helpers/hub.ts'
import { calls } from '../../../db/schema/index.ts'

/**
 * Back-pressure on new calls, wired as the server wires it, on the real embedded queue and the
 * fake clock. Nothing consumes the queue here, so a ring timer left past its time is an engine
 * running late, as a saturated one would.
 */
let hub: TestHub
beforeAll(async () => {
  hub = await createTestHub({ callAdmission: { maxLagMs: 2000, probeMs: 100 } })
})
afterAll(() => hub.close())

async function ringingNumber(company: TestCompany) {
  const agent = await addAgent(hub, company)
  hub.setOnline(company.id, agent.id)
  const number = await callableNumber(hub, company, (s) => ({
    distribution: { ...s.distribution, steps: [{ type: 'user', user_id: agent.id, ring_time_sec: 20 }] },
  }))
  return Object.assign(number, { agentId: agent.id })
}

const dial = (company: TestCompany, to: string) =>
  hub.call('POST', '/v1/sandbox/calls', { auth: company.basic, body: { from: '+33612345678', to } })

const callsOf = async (company: TestCompany) =>
  (await hub.db.select({ id: calls.id }).from(calls).where(eq(calls.companyId, company.id))).length

describe('new calls (inbound, click-to-call) while the call engine runs late', () => {
  it('answers 503 with Retry-After and creates nothing, then lets calls in once the engine caught up', async () => {
    const company = await hub.createCompany()
    const other = await hub.createCompany()
    const number = await ringingNumber(company)
    const otherNumber = await ringingNumber(other)
    const first = await dial(company, number.e164)
    expect(first.status, JSON.stringify(first.body)).toBe(201)

    // The ring's 20 s timer is 5 s overdue: more than twice the 2 s allowed, so every
    // company's new calls are refused, not only the one that called.
    hub.clock.advance(25_000)
    for (const [who, to] of [
      [company, number.e164],
      [other, otherNumber.e164],
    ] as const) {
      const before = await callsOf(who)
      const refused = await dial(who, to)
      expect(refused.status, JSON.stringify(refused.body)).toBe(503)
      expect(refused.headers.get('retry-after')).toBe('1')
      expect(refused.body).toMatchObject({
        code: 'unavailable',
        message: 'The hub is saturated and takes no new call for now; retry in a moment',
      })
      expect(await callsOf(who)).toBe(before)
    }
    // An agent's click-to-call is refused the same way (their own checks passed: they are free).
    const outbound = await hub.call('POST', `/v1/users/${otherNumber.agentId}/calls`, {
      auth: other.basic,
      body: { number_id: otherNumber.id, to: '+33 6 98 76 54 32' },
    })
    expect(outbound.status, JSON.stringify(outbound.body)).toBe(503)
    expect(outbound.headers.get('retry-after')).toBe('1')
    expect(await callsOf(other)).toBe(0)
    // The call already in progress is untouched: still ringing.
    expect((await callRow(hub, first.body.call.id)).status).toBe('initial')

    // The caller hangs up: the timer is withdrawn, nothing is late any more.
    const hangup = await hub.call('POST', `/v1/sandbox/calls/${first.body.call.id}/hangup`, {
      auth: company.basic,
    })
    expect(hangup.status).toBe(204)
    hub.clock.advance(500)
    const next = await dial(other, otherNumber.e164)
    expect(next.status, JSON.stringify(next.body)).toBe(201)
    expect(next.body.call).toMatchObject({ status: 'initial', number: { id: otherNumber.id } })
  })
})
