import { normalizePhone, type TeamStrategy } from '@switchboard/shared'
import { and, eq } from 'drizzle-orm'
import { DomainError, notFound } from '../../core/errors.ts'
import { calls, numbers, teams, users } from '../../db/schema/index.ts'
import type { TransferTarget } from '../transfer.ts'
import { applyCallEvent, type EngineDeps } from './call-engine.ts'

/** Aircall's transfer body (POST /v1/calls/:id/transfers), also the realtime `transfer` frame's. */
export type TransferRequest = {
  user_id?: number
  team_id?: number
  number?: string
  dispatching_strategy?: TeamStrategy
}

const TARGET_FIELDS = ['user_id', 'team_id', 'number'] as const

/**
 * A blind transfer of a connected call, asked through the API (`byUserId` null: an API key or
 * an admin) or by the agent on the call (`byUserId`: theirs); through the API, an inbound call
 * nobody answered yet may also go to an outside number. Exactly one target; the strategy only
 * with a team (400 otherwise, as Aircall). The call, user and team must be the company's (404);
 * an outside number is read in the number's country. The engine then checks, with the call
 * locked, that the call is connected, is the agent's, and has no transfer ringing — or, not
 * answered yet, that the target is a number and the caller still waits (405).
 */
export async function transferCall(
  deps: EngineDeps,
  companyId: number,
  callId: number,
  request: TransferRequest,
  byUserId: number | null,
): Promise<void> {
  const given = TARGET_FIELDS.filter((f) => request[f] !== undefined && request[f] !== null)
  if (given.length !== 1) {
    const field = given[1] ?? 'user_id'
    const message = `give exactly one of ${TARGET_FIELDS.join(', ')}`
    throw new DomainError('bad_request', `${field}: ${message}`, { field, details: [{ field, message }] })
  }
  if (request.dispatching_strategy !== undefined && given[0] !== 'team_id') {
    const field = 'dispatching_strategy'
    const message = 'only for a transfer to a team'
    throw new DomainError('bad_request', `${field}: ${message}`, { field, details: [{ field, message }] })
  }
  const [call] = await deps.db
    .select({ id: calls.id, numberId: calls.numberId })
    .from(calls)
    .where(and(eq(calls.id, callId), eq(calls.companyId, companyId)))
  if (!call) throw notFound('Call not found')

  let target: TransferTarget
  if (request.user_id !== undefined) {
    const [user] = await deps.db
      .select({ id: users.id })
      .from(users)
      .where(and(eq(users.id, request.user_id), eq(users.companyId, companyId)))
    if (!user) throw notFound('User not found')
    target = { type: 'user', userId: user.id }
  } else if (request.team_id !== undefined) {
    const [team] = await deps.db
      .select({ id: teams.id })
      .from(teams)
      .where(and(eq(teams.id, request.team_id), eq(teams.companyId, companyId)))
    if (!team) throw notFound('Team not found')
    target = { type: 'team', teamId: team.id, strategy: request.dispatching_strategy ?? 'simultaneous' }
  } else {
    const [number] = await deps.db
      .select({ country: numbers.country })
      .from(numbers)
      .where(and(eq(numbers.id, call.numberId), eq(numbers.companyId, companyId)))
    const parsed = normalizePhone(request.number!, number?.country)
    if (!parsed) {
      const message = 'must be a phone number, e.g. +33 1 23 45 67 89'
      throw new DomainError('bad_request', `number: ${message}`, {
        field: 'number',
        details: [{ field: 'number', message }],
      })
    }
    target = { type: 'number', e164: parsed.e164 }
  }
  await applyCallEvent(deps, call.id, { type: 'transfer', target, byUserId }, companyId)
}
