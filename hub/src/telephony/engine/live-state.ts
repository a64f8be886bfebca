import { and, eq, gt, isNull, ne, sql } from 'drizzle-orm'
import type { Queryable } from '../../db/client.ts'
import { agentLastCalls, calls, callTags, handoverWrapUps, numbers } from '../../db/schema/index.ts'
import type { LiveState } from '../routing-types.ts'

export type LiveAgent = { live: LiveState; idleSince: number }

/**
 * Agents' live state, derived from the calls table (and agent_last_calls, which a trigger on
 * calls keeps in the same transactions) and never stored, so a crash cannot leave an agent
 * "ringing": an agent rings iff a call in progress lists them in `ringing`; is in a
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
  const [active, last, handovers] = await Promise.all([
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
    // The last call each agent took: the company's rows of agent_last_calls, so the cost
    // follows the team's size, not the company's call history.
    lastCallOfEach(db, companyId, [...wrapUpSec.keys()]),
    // Agents who handed a live call over are in after-call work as after a call's end.
    db
      .select({ userId: handoverWrapUps.userId, until: handoverWrapUps.until })
      .from(handoverWrapUps)
      .where(and(eq(handoverWrapUps.companyId, companyId), gt(handoverWrapUps.until, new Date(now)))),
  ])
  const states = new Map<number, LiveAgent>()
  for (const raw of last) {
    const row = { ...raw, userId: Number(raw.user_id), endedMs: Number(raw.ended_ms) }
    const wrapEnds = row.endedMs + (wrapUpSec.get(row.userId) ?? 0) * 1000
    if (row.answered && row.mandatory_tagging && !row.tagged) {
      states.set(row.userId, { live: 'pending_tag', idleSince: wrapEnds })
    } else if (wrapEnds > now) {
      states.set(row.userId, { live: 'after_call_work', idleSince: wrapEnds })
    } else {
      states.set(row.userId, { live: 'idle', idleSince: wrapEnds })
    }
  }
  for (const h of handovers) {
    const until = h.until.getTime()
    const prior = states.get(h.userId)
    if (prior?.live === 'pending_tag') continue
    if (!prior || prior.idleSince < until) states.set(h.userId, { live: 'after_call_work', idleSince: until })
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

type LastCall = {
  user_id: number
  ended_ms: number
  answered: boolean
  mandatory_tagging: boolean
  tagged: boolean
}

/** Each of these agents' last ended call (agents who never took one are absent). */
async function lastCallOfEach(db: Queryable, companyId: number, userIds: number[]): Promise<LastCall[]> {
  if (userIds.length === 0) return []
  const ids = `{${userIds.map((id) => Math.trunc(id)).join(',')}}`
  // The company's agent_last_calls rows (one index scan, kept by a trigger on calls); the
  // number's setting and the tag check come after, the tags probed only for an answered call
  // on a number with mandatory tagging (the only case read).
  const rows = (await db.execute(sql`
    select l.user_id, (extract(epoch from l.ended_at) * 1000)::float8 as ended_ms, l.answered,
           coalesce((n.settings->>'mandatory_tagging')::boolean, false) as mandatory_tagging,
           case when l.answered and coalesce((n.settings->>'mandatory_tagging')::boolean, false)
                then exists (select 1 from ${callTags} t where t.call_id = l.call_id)
                else false end as tagged
    from ${agentLastCalls} l
    left join ${numbers} n on n.id = l.number_id
    where l.company_id = ${companyId} and l.user_id = any(${ids}::int[])`)) as unknown as
    | LastCall[]
    | { rows: LastCall[] }
  // postgres-js answers the rows; the other drivers a result with `rows`.
  return Array.isArray(rows) ? rows : rows.rows
}
