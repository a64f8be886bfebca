import type { NumberSettings } from '@switchboard/shared'
import { createCallActions } from '../../src/telephony/engine/call-actions.ts'
import { addAgent, callableNumber } from './calls.ts'
import type { TestCompany, TestHub } from './hub.ts'

/**
 * A call of the company driven through the sandbox's simulation API and the engine's agent
 * actions, as a caller and an agent's app would: it rings `agent` (a new agent unless given),
 * who answers after 4 s; `hangUpAfterSec` ends it.
 */
export async function sceneCall(
  hub: TestHub,
  company: TestCompany,
  options: {
    from?: string
    agent?: { id: number }
    number?: { id: number; e164: string }
    recording?: Partial<NumberSettings['recording']['inbound']>
    answer?: boolean
    hangUpAfterSec?: number
  } = {},
) {
  const agent = options.agent ?? (await addAgent(hub, company))
  hub.setOnline(company.id, agent.id)
  const number =
    options.number ??
    (await callableNumber(hub, company, (s) => ({
      distribution: { ...s.distribution, steps: [{ type: 'user', user_id: agent.id, ring_time_sec: 20 }] },
      recording: { ...s.recording, inbound: { ...s.recording.inbound, ...options.recording } },
    })))
  const placed = await hub.call('POST', '/v1/sandbox/calls', {
    auth: company.basic,
    body: { from: options.from ?? '+33 6 12 34 56 78', to: number.e164 },
  })
  if (placed.status !== 201) throw new Error(`sandbox call: ${placed.status} ${JSON.stringify(placed.body)}`)
  const id = placed.body.call.id as number
  const actions = createCallActions(hub.deps)
  if (options.answer !== false) {
    hub.clock.advance(4_000)
    await actions.agentAction(company.id, agent.id, { type: 'answer', call_id: id })
  }
  if (options.hangUpAfterSec !== undefined) {
    hub.clock.advance(options.hangUpAfterSec * 1000)
    await actions.agentAction(company.id, agent.id, { type: 'hangup', call_id: id })
  }
  return { id, agent, number }
}

/** A tag of the company, made through the API. */
export async function apiTag(hub: TestHub, company: TestCompany, name: string) {
  const res = await hub.call('POST', '/v1/tags', { auth: company.basic, body: { name, color: '#00ff00' } })
  if (res.status !== 201) throw new Error(`tag: ${res.status} ${JSON.stringify(res.body)}`)
  return res.body.tag as { id: number; name: string }
}
