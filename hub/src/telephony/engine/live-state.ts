import { and, desc, eq, isNotNull, isNull, ne, sql } from 'drizzle-orm'
import type { Queryable } from '../../db/client.ts'
import { calls, callTags, numbers } from '../../db/schema/index.ts'
import type { LiveState } from '../routing-types.ts'

export type LiveAgent = { live: LiveState; idleSince: number }

/**
 * Agents' live state, derived from the calls table and never stored, so a crash cannot leave
 * an agent "ringing": an agent rings iff a call in progress lists them in `ringing`; is in a
 * call iff an answered call of theirs has not ended; is in after-call work iff their last call
 * ended less than their wrap-up time ago; has a tag pending iff their last answered call, on a
 * number with mandatory tagging, has no tag. An agent calling out is in a call from the moment
 * their device answered (the person called may still be ringing). Agents absent from the map
 * are idle since ever.
 * `exceptCallId`: the call being routed does not make its own agents busy.
 */
export async function loadLiveStates(
  db: Queryable,
  companyId: number,
  now: number,
  wrapUpSec: ReadonlyMap<number, number>,
  exceptCallId?: number,
): Promise<Map<number, LiveAgent>> {
  const [active, last] = await Promise.all([
    db
      .select({
        status: calls.status,
        direction: calls.direction,
        userId: calls.userId,
        ringing: calls.ringing,
      })
      .from(calls)
      .where(
        and(
          eq(calls.companyId, companyId),
          isNull(calls.endedAt),
          exceptCallId === undefined ? undefined : ne(calls.id, exceptCallId),
        ),
      ),
    // The last call each agent took (one row per agent: DISTINCT ON over calls_user_ended_idx).
    db
      .selectDistinctOn([calls.userId], {
        userId: calls.userId,
        endedAt: calls.endedAt,
        answered: isNotNull(calls.answeredAt),
        mandatoryTagging: sql<boolean>`coalesce((${numbers.settings}->>'mandatory_tagging')::boolean, false)`,
        tagged: sql<boolean>`exists (select 1 from ${callTags} where ${callTags.callId} = ${calls.id})`,
      })
      .from(calls)
      .leftJoin(numbers, eq(numbers.id, calls.numberId))
      .where(and(eq(calls.companyId, companyId), isNotNull(calls.userId), isNotNull(calls.endedAt)))
      .orderBy(calls.userId, desc(calls.endedAt)),
  ])
  const states = new Map<number, LiveAgent>()
  for (const row of last) {
    if (row.userId === null || !row.endedAt) continue
    const wrapEnds = row.endedAt.getTime() + (wrapUpSec.get(row.userId) ?? 0) * 1000
    if (row.answered && row.mandatoryTagging && !row.tagged) {
      states.set(row.userId, { live: 'pending_tag', idleSince: wrapEnds })
    } else if (wrapEnds > now) {
      states.set(row.userId, { live: 'after_call_work', idleSince: wrapEnds })
    } else {
      states.set(row.userId, { live: 'idle', idleSince: wrapEnds })
    }
  }
  for (const call of active) {
    for (const id of call.ringing) {
      const prior = states.get(id)
      if (prior?.live !== 'in_call') states.set(id, { live: 'ringing', idleSince: prior?.idleSince ?? 0 })
    }
    const calling =
      call.direction === 'outbound' && call.userId !== null && !call.ringing.includes(call.userId)
    if ((call.status === 'answered' || calling) && call.userId !== null) {
      states.set(call.userId, { live: 'in_call', idleSince: states.get(call.userId)?.idleSince ?? 0 })
    }
  }
  return states
}
