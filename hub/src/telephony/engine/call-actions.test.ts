import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { addAgent, callableNumber, callRow } from '../../../test/helpers/calls.ts'
import { createTestHub, type TestHub } from '../../../test/helpers/hub.ts'
import { DomainError } from '../../core/errors.ts'
import { createCallActions } from './call-actions.ts'

let hub: TestHub
beforeAll(async () => {
  hub = await createTestHub()
})
afterAll(() => hub.close())

async function scene() {
  const company = await hub.createCompany()
  const a = await addAgent(hub, company)
  const b = await addAgent(hub, company)
  for (const u of [a, b]) hub.setOnline(company.id, u.id)
  const number = await callableNumber(hub, company, (s) => ({
    distribution: { ...s.distribution, steps: [{ type: 'user', user_id: a.id, ring_time_sec: 20 }] },
  }))
  const res = await hub.call('POST', '/v1/sandbox/calls', {
    auth: company.basic,
    body: { from: '+33612345678', to: number.e164 },
  })
  return { company, a, b, number, callId: res.body.call.id as number, actions: createCallActions(hub.deps) }
}

const code = async (p: Promise<unknown>) => {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  )
  return err instanceof DomainError ? err.code : err
}

describe('CallActions', () => {
  it('lets the ringing agent answer, then hang up; currentCall follows the call', async () => {
    const { company, a, callId, actions, number } = await scene()
    expect(await actions.currentCall(company.id, a.id)).toMatchObject({
      call_id: callId,
      status: 'ringing',
      number: { id: number.id, digits: number.e164 },
    })
    await actions.agentAction(company.id, a.id, { type: 'answer', call_id: callId })
    expect(await callRow(hub, callId)).toMatchObject({ status: 'answered', userId: a.id })
    expect(await actions.currentCall(company.id, a.id)).toMatchObject({ call_id: callId, status: 'answered' })
    await actions.agentAction(company.id, a.id, { type: 'hangup', call_id: callId })
    expect((await callRow(hub, callId)).status).toBe('done')
    expect(await actions.currentCall(company.id, a.id)).toBeNull()
  })

  it('refuses an agent acting on a call that is not theirs, and another company’s call', async () => {
    const { company, a, b, callId, actions } = await scene()
    expect(await code(actions.agentAction(company.id, b.id, { type: 'answer', call_id: callId }))).toBe(
      'not_allowed',
    )
    expect(await code(actions.agentAction(company.id, b.id, { type: 'hangup', call_id: callId }))).toBe(
      'not_allowed',
    )
    const other = await hub.createCompany()
    expect(await code(actions.agentAction(other.id, a.id, { type: 'answer', call_id: callId }))).toBe(
      'not_found',
    )
    expect(await actions.currentCall(company.id, b.id)).toBeNull()
    expect((await callRow(hub, callId)).status).toBe('initial')
  })

  it('a decline stops the ringing for that agent', async () => {
    const { company, a, callId, actions } = await scene()
    await actions.agentAction(company.id, a.id, { type: 'decline', call_id: callId })
    const row = await callRow(hub, callId)
    expect(row.ringing).toEqual([])
    expect(row.state).toMatchObject({ declined: [a.id] })
    expect(await code(actions.agentAction(company.id, a.id, { type: 'answer', call_id: callId }))).toBe(
      'not_allowed',
    )
  })
})
