import { and, eq, inArray, isNull } from 'drizzle-orm'
import type { Queryable } from '../../db/client.ts'
import { numbers, sandboxDevices } from '../../db/schema/index.ts'
import type { CallCommand, ForwardLeg } from '../carrier/call-control.ts'
import { isNumberActive } from '../number-active.ts'
import { isOutboundState, type OutboundState } from '../outbound.ts'
import type { WorldUser } from '../routing-world.ts'
import type { CallRow } from './call-object.ts'
import type { PresenceDirectory } from './ports.ts'

/**
 * External forwarding: a user who added an external number to their profile ("ajouter un
 * numéro externe pour activer un transfert externe") has that phone as a device. It keeps
 * them online with no client open (for routing, the availability API, presence frames and
 * user.connected: services/users/agent-presence.ts; their declared status still applies: DND,
 * unavailable or out of working hours are not rung), and wherever they ring, their external
 * phone rings too. The first of their forwarding numbers is the one dialled; it shows the
 * number they chose as caller ID (`caller_id_number_id`) while it is live, else the number of
 * whoever calls: the caller of an inbound call, the company line of a click-to-call.
 */
export function forwardsCalls(user: Pick<WorldUser, 'forwardingNumbers'>): boolean {
  return user.forwardingNumbers.length > 0
}

/**
 * The device a click-to-call rings first: the agent's apps (or simulated device) when they
 * have one, since they clicked there; else, with forwarding on, their external phone.
 */
export async function outboundAgentLeg(
  db: Queryable,
  presence: PresenceDirectory,
  agent: Pick<WorldUser, 'id' | 'forwardingNumbers'> & { companyId: number },
): Promise<OutboundState['agentLeg']> {
  if (!forwardsCalls(agent)) return 'app'
  if ((await presence.onlineUsers(agent.companyId)).has(agent.id)) return 'app'
  const [device] = await db
    .select({ userId: sandboxDevices.userId })
    .from(sandboxDevices)
    .where(and(eq(sandboxDevices.companyId, agent.companyId), eq(sandboxDevices.userId, agent.id)))
  return device ? 'app' : 'forwarded'
}

/** An outbound call's first leg, which rings the agent placing it. */
function isOutboundAgentLeg(row: CallRow): boolean {
  return row.direction === 'outbound' && row.status === 'initial'
}

/**
 * Adds each ringing agent's forwarded leg to the ring commands, in the call's transaction.
 * An outbound call's first leg rings the agent placing the call on the app they clicked in;
 * their external phone only when it is the device the call started from (outboundAgentLeg).
 */
export async function addForwardLegs(
  db: Queryable,
  row: CallRow,
  users: readonly WorldUser[],
  commands: CallCommand[],
): Promise<void> {
  const clickToCall = isOutboundAgentLeg(row)
  if (clickToCall && !(isOutboundState(row.state) && row.state.agentLeg === 'forwarded')) return
  const rings = commands.flatMap((c) => (c.verb === 'ring_agents' ? [c] : []))
  if (rings.length === 0) return
  const byId = new Map(users.map((u) => [u.id, u]))
  const forwarded = rings
    .flatMap((c) => c.userIds)
    .map((id) => byId.get(id))
    .filter((u): u is WorldUser => u !== undefined && forwardsCalls(u))
  if (forwarded.length === 0) return
  const numberIds = [
    ...new Set([
      ...forwarded.flatMap((u) => (u.callerIdNumberId === null ? [] : [u.callerIdNumberId])),
      ...(clickToCall ? [row.numberId] : []),
    ]),
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
  // A click-to-call's first leg is a call the carrier originates, which may only show one of
  // the account's numbers (Twilio: `From` a Twilio or verified number): the line it is placed
  // from, never the customer's number. Otherwise the leg shows who calls, as a <Dial> may.
  const calling = (clickToCall && shown.find((n) => n.id === row.numberId)?.e164) || row.externalNumber
  for (const ring of rings) {
    const legs: ForwardLeg[] = ring.userIds.flatMap((id) => {
      const u = byId.get(id)
      if (!u || !forwardsCalls(u)) return []
      const callerId = (u.callerIdNumberId !== null && callerIds.get(u.callerIdNumberId)) || calling
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
