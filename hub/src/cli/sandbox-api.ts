import type { HubApi } from './hub-api.ts'

/**
 * The simulation API of the sandbox carrier (admin-only, company-scoped), as `sb simulate` and
 * `sb demo` use it:
 *   POST /v1/sandbox/calls {from, to}                 → 201 {call}   an inbound call
 *   POST /v1/sandbox/calls/:id/digits {digits}        → 204          the caller presses keys
 *   POST /v1/sandbox/calls/:id/hangup                 → 204          the caller hangs up
 *   PUT  /v1/sandbox/agents/:user_id {answer_after_sec, talk_sec} → 200  a simulated device
 *   GET  /v1/calls/:id                                → 200 {call}   Aircall's Call object
 */

/** The fields of Aircall's Call object that the commands read. */
export type CallJson = {
  id: number
  status: 'initial' | 'answered' | 'done' | string
  direction?: string
  answered_at: number | null
  ended_at?: number | null
  missed_call_reason: string | null
  voicemail: string | null
}

function callOf(body: unknown): CallJson {
  const call = typeof body === 'object' && body !== null ? Reflect.get(body, 'call') : undefined
  if (typeof call !== 'object' || call === null || typeof Reflect.get(call, 'id') !== 'number')
    throw new Error('the hub answered without a call object')
  return call as CallJson // checked above: an object with a numeric id, the rest read defensively
}

export async function placeSandboxCall(api: HubApi, input: { from: string; to: string }): Promise<CallJson> {
  return callOf((await api.request('POST', '/v1/sandbox/calls', input)).body)
}

export async function pressDigits(api: HubApi, callId: number, digits: string): Promise<void> {
  await api.request('POST', `/v1/sandbox/calls/${callId}/digits`, { digits })
}

export async function callerHangsUp(api: HubApi, callId: number): Promise<void> {
  await api.request('POST', `/v1/sandbox/calls/${callId}/hangup`)
}

export async function getCall(api: HubApi, callId: number): Promise<CallJson> {
  return callOf((await api.request('GET', `/v1/calls/${callId}`)).body)
}

export type SimulatedDevice = { answer_after_sec: number; talk_sec: number }

/**
 * Puts each user on a simulated device of the sandbox: it counts as a connected client, and
 * answers their calls after `answer_after_sec` then hangs up after `talk_sec` — so inbound
 * calls and click-to-call work with no browser open.
 */
export async function putSimulatedDevices(
  api: HubApi,
  userIds: readonly number[],
  device: SimulatedDevice,
): Promise<void> {
  for (const userId of userIds) await api.request('PUT', `/v1/sandbox/agents/${userId}`, device)
}
