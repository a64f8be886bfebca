import { DomainError } from '../core/errors.ts'
import type { HubApi } from './hub-api.ts'

/**
 * The simulation API of the sandbox carrier (admin-only, company-scoped), as `sb simulate` and
 * `sb demo` use it:
 *   POST /v1/sandbox/calls {from, to}                 → 201 {call}   an inbound call
 *   POST /v1/sandbox/calls/:id/digits {digits}        → 204          the caller presses keys
 *   POST /v1/sandbox/calls/:id/hangup                 → 204          the caller hangs up
 *   GET  /v1/sandbox/agents/:user_id                  → 200 {agent}  the agent's simulated device, or null
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

/**
 * The user's simulated device: `null` when they have none, `undefined` when the hub cannot say
 * (a 404: the user is gone, or a hub older than GET /v1/sandbox/agents/:user_id).
 */
export async function getSimulatedDevice(
  api: HubApi,
  userId: number,
): Promise<SimulatedDevice | null | undefined> {
  let body: unknown
  try {
    ;({ body } = await api.request('GET', `/v1/sandbox/agents/${userId}`))
  } catch (err) {
    if (err instanceof DomainError && err.code === 'not_found') return undefined
    throw err
  }
  const agent = typeof body === 'object' && body !== null ? Reflect.get(body, 'agent') : undefined
  if (agent === null) return null
  const field = (name: string) =>
    typeof agent === 'object' && agent !== null ? Reflect.get(agent, name) : undefined
  const answer = field('answer_after_sec')
  const talk = field('talk_sec')
  if (typeof answer !== 'number' || typeof talk !== 'number')
    throw new Error('the hub answered without a simulated device')
  return { answer_after_sec: answer, talk_sec: talk }
}

const gone = (err: unknown) => err instanceof DomainError && err.code === 'not_found'
const messageOf = (err: unknown) => (err instanceof Error ? err.message : String(err))

/**
 * Puts each user on a simulated device of the sandbox: it counts as a connected client, and
 * answers their calls after `answer_after_sec` then hangs up after `talk_sec` — so inbound
 * calls and click-to-call work with no browser open. Returns what puts the users back as they
 * were (the device each had before, or none), every one of them whatever fails for another;
 * it resolves with what it could not do, a line per user. A user whose device the hub could not
 * tell is left on the simulated one.
 */
export async function putSimulatedDevices(
  api: HubApi,
  userIds: readonly number[],
  device: SimulatedDevice,
): Promise<() => Promise<string[]>> {
  const before = new Map<number, SimulatedDevice | null>()
  const unknown: number[] = []
  const restore = async () => {
    const problems = unknown.map(
      (id) =>
        `user ${id}: left on the simulated device (the hub could not tell which device they had before)`,
    )
    for (const [userId, previous] of before) {
      try {
        if (previous) await api.request('PUT', `/v1/sandbox/agents/${userId}`, previous)
        else await api.request('DELETE', `/v1/sandbox/agents/${userId}`)
      } catch (err) {
        // Gone meanwhile (the user deleted, the device removed by hand): nothing to undo.
        if (!gone(err)) problems.push(`user ${userId}: ${messageOf(err)}`)
      }
    }
    return problems
  }
  try {
    for (const userId of userIds) {
      const previous = await getSimulatedDevice(api, userId)
      await api.request('PUT', `/v1/sandbox/agents/${userId}`, device)
      if (previous === undefined) unknown.push(userId)
      else before.set(userId, previous)
    }
  } catch (err) {
    await restore()
    throw err
  }
  return restore
}
