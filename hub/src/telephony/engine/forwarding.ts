import { and, eq, inArray, isNull } from 'drizzle-orm'
import type { Queryable } from '../../db/client.ts'
import { numbers } from '../../db/schema/index.ts'
import type { CallCommand, ForwardLeg } from '../carrier/call-control.ts'
import { isNumberActive } from '../number-active.ts'
import type { WorldUser } from '../routing-world.ts'
import type { CallRow } from './call-object.ts'

/**
 * External forwarding: a user who added an external number to their profile ("ajouter un
 * numéro externe pour activer un transfert externe") has that phone as a device. It keeps
 * them online for routing with no client open (their declared status still applies: DND,
 * unavailable or out of working hours are not rung), and wherever they ring, their external
 * phone rings too. The first of their forwarding numbers is the one dialled; it shows the
 * number they chose as caller ID (`caller_id_number_id`) while it is live, else the caller's
 * own number.
 */
export function forwardsCalls(user: Pick<WorldUser, 'forwardingNumbers'>): boolean {
  return user.forwardingNumbers.length > 0
}

/**
 * Adds each ringing agent's forwarded leg to the ring commands, in the call's transaction.
 * Not for an outbound call's first leg: that rings the agent who is placing the call, on the
 * app they clicked in.
 */
export async function addForwardLegs(
  db: Queryable,
  row: CallRow,
  users: readonly WorldUser[],
  commands: CallCommand[],
): Promise<void> {
  if (row.direction === 'outbound' && row.status === 'initial') return
  const byId = new Map(users.map((u) => [u.id, u]))
  const rings = commands.flatMap((c) => (c.verb === 'ring_agents' ? [c] : []))
  const forwarded = rings
    .flatMap((c) => c.userIds)
    .map((id) => byId.get(id))
    .filter((u): u is WorldUser => u !== undefined && forwardsCalls(u))
  if (forwarded.length === 0) return
  const numberIds = [
    ...new Set(forwarded.flatMap((u) => (u.callerIdNumberId === null ? [] : [u.callerIdNumberId]))),
  ]
  const shown =
    numberIds.length === 0
      ? []
      : await db
          .select({ id: numbers.id, e164: numbers.e164, verificationState: numbers.verificationState })
          .from(numbers)
          .where(
            and(
              eq(numbers.companyId, row.companyId),
              inArray(numbers.id, numberIds),
              isNull(numbers.releasedAt),
            ),
          )
  const callerIds = new Map(shown.filter((n) => isNumberActive(n)).map((n) => [n.id, n.e164]))
  for (const ring of rings) {
    const legs: ForwardLeg[] = ring.userIds.flatMap((id) => {
      const u = byId.get(id)
      if (!u || !forwardsCalls(u)) return []
      const callerId =
        (u.callerIdNumberId !== null && callerIds.get(u.callerIdNumberId)) || row.externalNumber
      return [{ userId: id, e164: u.forwardingNumbers[0]!, callerId }]
    })
    if (legs.length > 0) ring.forwards = legs
  }
}

/** The forwarded legs rung by this change, for the call's timeline. */
export function forwardedTimeline(commands: readonly CallCommand[]): Record<string, unknown> {
  const legs = commands.flatMap((c) => (c.verb === 'ring_agents' ? (c.forwards ?? []) : []))
  if (legs.length === 0) return {}
  return { forwarded: legs.map((l) => ({ user_id: l.userId, to: l.e164, caller_id: l.callerId })) }
}
