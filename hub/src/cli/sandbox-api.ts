import { DomainError } from '../core/errors.ts'
import type { HubApi } from './hub-api.ts'

/**
 * The simulation API of the sandbox carrier (admin-only, company-scoped), as `sb simulate` and
 * `sb demo` use it:
 *   POST /v1/sandbox/calls {from, to}                 → 201 {call}   an inbound call
 *   POST /v1/sandbox/calls/:id/digits {digits}        → 204          the caller presses keys
 *   POST /v1/sandbox/calls/:id/hangup                 → 204          the caller hangs up
 *   GET  /v1/sandbox/agents/:user_id                  → 200 {agent}  the agent's simulated device (404: none)
 *   PUT  /v1/sandbox/agents/:user_id {answer_after_sec, talk_sec} → 200  a simulated device
 *   DELETE /v1/sandbox/agents/:user_id                → 204          the device taken away
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

/** The user's simulated device, or null when they have none. */
export async function getSimulatedDevice(api: HubApi, userId: number): Promise<SimulatedDevice | null> {
  try {
    const { body } = await api.request('GET', `/v1/sandbox/agents/${userId}`)
    const agent = typeof body === 'object' && body !== null ? Reflect.get(body, 'agent') : undefined
    const answer =
      typeof agent === 'object' && agent !== null ? Reflect.get(agent, 'answer_after_sec') : undefined
    const talk = typeof agent === 'object' && agent !== null ? Reflect.get(agent, 'talk_sec') : undefined
    if (typeof answer !== 'number' || typeof talk !== 'number')
      throw new Error('the hub answered without a simulated device')
    return { answer_after_sec: answer, talk_sec: talk }
  } catch (err) {
    if (err instanceof DomainError && err.code === 'not_found') return null
    throw err
  }
}

/**
 * Puts each user on a simulated device of the sandbox: it counts as a connected client, and
 * answers their calls after `answer_after_sec` then hangs up after `talk_sec` — so inbound
 * calls and click-to-call work with no browser open. Returns what puts the users back as they
 * were: the device each had before, or none.
 */
export async function putSimulatedDevices(
  api: HubApi,
  userIds: readonly number[],
  device: SimulatedDevice,
): Promise<() => Promise<void>> {
  const before = new Map<number, SimulatedDevice | null>()
  const restore = async () => {
    for (const [userId, previous] of before) {
      if (previous) await api.request('PUT', `/v1/sandbox/agents/${userId}`, previous)
      else
        await api.request('DELETE', `/v1/sandbox/agents/${userId}`).catch((err: unknown) => {
          // Gone meanwhile (the user deleted, the device removed by hand): nothing to undo.
          if (!(err instanceof DomainError && err.code === 'not_found')) throw err
        })
    }
  }
  try {
    for (const userId of userIds) {
      const previous = await getSimulatedDevice(api, userId)
      await api.request('PUT', `/v1/sandbox/agents/${userId}`, device)
      before.set(userId, previous)
    }
  } catch (err) {
    await restore().catch(() => {})
    throw err
  }
  return restore
}
