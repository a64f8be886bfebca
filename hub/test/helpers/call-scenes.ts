import type { NumberSettings } from '@switchboard/shared'
import { createCallActions } from '../../src/telephony/engine/call-actions.ts'
import { addAgent, advanceUntilApplied, callableNumber, finalEventsOf, ttsSec } from './calls.ts'
import type { TestCompany, TestHub } from './hub.ts'

/** A caller dials `to` (a number of the company, any format) on the sandbox carrier; the call's id. */
export async function placeSandboxCall(hub: TestHub, company: TestCompany, to: string, from: string) {
  const placed = await hub.call('POST', '/v1/sandbox/calls', { auth: company.basic, body: { from, to } })
  if (placed.status !== 201) throw new Error(`sandbox call: ${placed.status} ${JSON.stringify(placed.body)}`)
  return placed.body.call.id as number
}

/** A caller who hangs up before anyone answers: a missed call, ended; its id. */
export async function hungUpCall(hub: TestHub, company: TestCompany, to: string, from: string) {
  const id = await placeSandboxCall(hub, company, to, from)
  const res = await hub.call('POST', `/v1/sandbox/calls/${id}/hangup`, { auth: company.basic })
  if (res.status !== 204) throw new Error(`hangup: ${res.status} ${JSON.stringify(res.body)}`)
  return id
}

/**
 * A caller who reaches a closed number, hears its closed message and leaves a voicemail of
 * `seconds`; its id once `call.ended` (which carries the stored voicemail) is out.
 */
export async function voicemailCall(
  hub: TestHub,
  company: TestCompany,
  number: { e164: string; settings: NumberSettings },
  seconds: number,
  from: string,
) {
  const id = await placeSandboxCall(hub, company, number.e164, from)
  const closedText = (number.settings.messages.closed as { text: string }).text
  await advanceUntilApplied(hub, id, ttsSec(closedText) * 1000)
  const left = await hub.call('POST', `/v1/sandbox/calls/${id}/voicemail`, {
    auth: company.basic,
    body: { duration_sec: seconds },
  })
  if (left.status !== 204) throw new Error(`voicemail: ${left.status} ${JSON.stringify(left.body)}`)
  await finalEventsOf(hub, company.id, id)
  return id
}

/**
 * A caller waiting for the number's agents presses `*`, hears the callback confirmation, and
 * the call ends with a callback task; its id.
 */
export async function callbackRequestCall(
  hub: TestHub,
  company: TestCompany,
  number: { e164: string; settings: NumberSettings },
  from: string,
) {
  const id = await placeSandboxCall(hub, company, number.e164, from)
  const star = await hub.call('POST', `/v1/sandbox/calls/${id}/digits`, {
    auth: company.basic,
    body: { digits: '*' },
  })
  if (star.status !== 204) throw new Error(`digits: ${star.status} ${JSON.stringify(star.body)}`)
  const confirmation = (number.settings.messages.callback_confirmation as { text: string }).text
  await advanceUntilApplied(hub, id, ttsSec(confirmation) * 1000)
  return id
}

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
  const id = await placeSandboxCall(hub, company, number.e164, options.from ?? '+33 6 12 34 56 78')
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
