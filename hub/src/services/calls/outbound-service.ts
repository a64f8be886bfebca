import { normalizePhone } from '@switchboard/shared'
import { and, eq } from 'drizzle-orm'
import { badRequest, DomainError } from '../../core/errors.ts'
import { sandboxDevices } from '../../db/schema/index.ts'
import { type EngineDeps, startOutboundCall } from '../../telephony/engine/call-engine.ts'
import { isNumberActive } from '../../telephony/number-active.ts'
import type { ServiceContext } from '../context.ts'
import type { HubDeps } from '../deps.ts'
import { findNumber, teamMembersOf } from '../numbers/number-hydrate.ts'
import { assignedTeamIds, assignedUserIds } from '../numbers/number-rules.ts'
import { liveAvailability } from '../users/availability.ts'
import { findUser } from '../users/user-lookup.ts'
import { availabilitiesOf } from '../users/user-service.ts'
import { admitCall } from './call-admission.ts'

/**
 * POST /v1/users/:id/calls (Aircall's "start an outbound call"): the user's device rings, then
 * the person called is dialled from `number_id` (telephony/outbound.ts). Refused:
 * - 404: another company's user or number (or a released one);
 * - 403: an agent token asking it for someone else (admins and API keys: any user);
 * - 400 naming the field: a number that is not live, a number the user is not assigned to
 *   (distribution, a team of it, or outbound-only: the admin guide's "appels sortants
 *   uniquement"), `to` not a phone number (read in the user's default country, else the
 *   number's);
 * - 405, as /dial: the user is not available to call (no app open, simulated device nor
 *   external forwarding, do not disturb, unavailable by their setting, in a call, in after-call
 *   work), or a call rings on them. An agent whose only device is their external phone is
 *   called there first (telephony/engine/forwarding.ts);
 * - 503 with Retry-After: the hub is saturated (call-admission.ts), as for an inbound call.
 */
export async function startUserCall(
  ctx: ServiceContext,
  deps: EngineDeps & Pick<HubDeps, 'callAdmission'>,
  idOrEmail: string,
  input: { number_id: number; to: string },
): Promise<void> {
  const user = await findUser(ctx.db, ctx, idOrEmail)
  if (ctx.actor.type === 'user' && ctx.actor.role !== 'admin' && ctx.actor.userId !== user.id) {
    throw new DomainError('forbidden', 'Agents can only call out for themselves')
  }
  const number = await findNumber(ctx.db, ctx.companyId, input.number_id)
  if (!isNumberActive(number)) {
    throw badRequest(
      'number_id',
      `number ${number.id} is not live: its verification documents are not approved`,
    )
  }
  const members = await teamMembersOf(ctx.db, ctx.companyId, assignedTeamIds(number))
  if (!assignedUserIds(number, members).includes(user.id)) {
    throw badRequest(
      'number_id',
      `the user is not assigned to number ${number.id}; assign them to it (distribution, team or outbound-only) first`,
    )
  }
  const to = normalizePhone(input.to, user.defaultCountryPrefix ?? number.country)
  if (!to) throw badRequest('to', 'must be a phone number, e.g. +33 1 23 45 67 89')

  let availability = (await availabilitiesOf(ctx, [user])).get(user.id)
  if (availability === 'offline') {
    // A simulated device (sandbox), or a client the directory sees on another hub, is a device
    // to ring even though the user row says offline.
    const [device] = await ctx.db
      .select({ userId: sandboxDevices.userId })
      .from(sandboxDevices)
      .where(and(eq(sandboxDevices.companyId, ctx.companyId), eq(sandboxDevices.userId, user.id)))
    const online = device !== undefined || (await deps.presence.onlineUsers(ctx.companyId)).has(user.id)
    if (online) availability = liveAvailability({ ...user, presence: 'available' }, ctx.clock.now())
  }
  if (availability !== 'available') {
    throw new DomainError('not_allowed', `The user is not available to call (${availability})`)
  }
  await admitCall(deps, ctx.companyId, () =>
    startOutboundCall(deps, {
      companyId: ctx.companyId,
      userId: user.id,
      numberId: number.id,
      to: to.e164,
      rawDigits: input.to.trim(),
    }),
  )
}
