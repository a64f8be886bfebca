import { and, eq, isNull, or, type Placeholder, sql } from 'drizzle-orm'
import type { Queryable } from '../../db/client.ts'
import { intArrayLiteral } from '../../db/int-array.ts'
import {
  agentLastCalls,
  calls,
  callTags,
  handoverWrapUps,
  numbers,
  sandboxDevices,
} from '../../db/schema/index.ts'
import type { LiveState } from '../routing-types.ts'

/**
 * SQL condition on `calls`: a call in progress that is the agent's own — answered by them, or
 * one they place (their device may still ring). An agent has at most one (call-engine.ts).
 */
export const agentOnCall = (userId: number | Placeholder) =>
  and(
    eq(calls.userId, userId),
    isNull(calls.endedAt),
    or(eq(calls.status, 'answered'), eq(calls.direction, 'outbound')),
  )

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
  return (await loadLiveFacts(db, companyId, now, wrapUpSec, { exceptCallId })).states
}

/**
 * loadLiveStates, and with `devices` the company's simulated devices (the sandbox answers for
 * those agents, so they count as online): what a routing decision reads, in one statement.
 */
export async function loadLiveFacts(
  db: Queryable,
  companyId: number,
  now: number,
  wrapUpSec: ReadonlyMap<number, number>,
  options: { exceptCallId?: number; devices?: boolean } = {},
): Promise<{ states: Map<number, LiveAgent>; simulated: Set<number> }> {
  const facts = await readFacts(db, companyId, now, [...wrapUpSec.keys()], options)
  const states = new Map<number, LiveAgent>()
  for (const [userId, endedMs, answered, mandatoryTagging, tagged] of facts.last) {
    const wrapEnds = endedMs + (wrapUpSec.get(userId) ?? 0) * 1000
    if (answered && mandatoryTagging && !tagged) {
      states.set(userId, { live: 'pending_tag', idleSince: wrapEnds })
    } else if (wrapEnds > now) {
      states.set(userId, { live: 'after_call_work', idleSince: wrapEnds })
    } else {
      states.set(userId, { live: 'idle', idleSince: wrapEnds })
    }
  }
  for (const [userId, until] of facts.handovers) {
    const prior = states.get(userId)
    if (prior?.live === 'pending_tag') continue
    if (!prior || prior.idleSince < until) states.set(userId, { live: 'after_call_work', idleSince: until })
  }
  for (const [status, direction, userId, ringing] of facts.active) {
    for (const id of ringing) {
      const prior = states.get(id)
      if (prior?.live !== 'in_call') states.set(id, { live: 'ringing', idleSince: prior?.idleSince ?? 0 })
    }
    const calling = direction === 'outbound' && userId !== null && !ringing.includes(userId)
    if ((status === 'answered' || calling) && userId !== null) {
      states.set(userId, { live: 'in_call', idleSince: states.get(userId)?.idleSince ?? 0 })
    }
  }
  return { states, simulated: new Set(facts.devices) }
}

type Facts = {
  /** Calls in progress: status, direction, user_id, ringing. */
  active: [string, string, number | null, number[]][]
  /** Each agent's last ended call: user_id, ended (ms), answered, mandatory tagging, tagged. */
  last: [number, number, boolean, boolean, boolean][]
  /** Wrap-ups of agents who handed a call over, still running: user_id, until (ms). */
  handovers: [number, number][]
  /** Users with a simulated device. */
  devices: number[]
}

/**
 * The facts, each a JSON array of one subquery, in one round trip:
 * - the company's calls in progress that are an agent's: answered or placed by them, or ringing
 *   on some (a caller waiting in the queue, in a menu or at a message makes no agent busy: a
 *   long queue is not read at every decision);
 * - these agents' rows of agent_last_calls (kept by a trigger on calls, so the cost follows the
 *   team's size, not the company's call history), whether their call's number has mandatory
 *   tagging and the tag check after, the tags probed only for an answered call on such a
 *   number (the only case read);
 * - agents who handed a live call over, in after-call work as after a call's end;
 * - with `devices`, the company's simulated devices.
 */
async function readFacts(
  db: Queryable,
  companyId: number,
  now: number,
  userIds: number[],
  options: { exceptCallId?: number; devices?: boolean },
): Promise<Facts> {
  const ids = intArrayLiteral(userIds)
  const except = options.exceptCallId === undefined ? sql`` : sql` and c.id <> ${options.exceptCallId}`
  // Whether the call's number has mandatory tagging: the company's numbers that do, read once
  // per statement (an uncorrelated subquery), instead of a join on numbers that may probe it once
  // per agent (300 probes a decision in the call benchmark's team).
  const mandatory = sql`l.number_id = any(array(select n.id from ${numbers} n
      where n.company_id = ${companyId} and coalesce((n.settings->>'mandatory_tagging')::boolean, false)))`
  const result = (await db.execute(sql`
    select
      (select coalesce(json_agg(json_build_array(c.status, c.direction, c.user_id, c.ringing)), '[]')
         from ${calls} c where c.company_id = ${companyId} and c.ended_at is null${except}
           and (c.user_id is not null or cardinality(c.ringing) > 0)) as active,
      (select coalesce(json_agg(json_build_array(
                l.user_id, (extract(epoch from l.ended_at) * 1000)::float8, l.answered, ${mandatory},
                case when l.answered and ${mandatory}
                     then exists (select 1 from ${callTags} t where t.call_id = l.call_id)
                     else false end)), '[]')
         from ${agentLastCalls} l
         where l.company_id = ${companyId} and l.user_id = any(${ids}::int[])) as last,
      (select coalesce(json_agg(json_build_array(h.user_id, (extract(epoch from h.until) * 1000)::float8)), '[]')
         from ${handoverWrapUps} h
         where h.company_id = ${companyId} and h.until > ${new Date(now).toISOString()}::timestamptz) as handovers,
      ${
        options.devices
          ? sql`(select coalesce(json_agg(d.user_id), '[]') from ${sandboxDevices} d where d.company_id = ${companyId})`
          : sql`'[]'::json`
      } as devices`)) as unknown as Record<keyof Facts, unknown>[] | { rows: Record<keyof Facts, unknown>[] }
  // postgres-js answers the rows; the other drivers a result with `rows`.
  const row = (Array.isArray(result) ? result[0] : result.rows[0])!
  const parse = (value: unknown) => (typeof value === 'string' ? JSON.parse(value) : value)
  return {
    active: parse(row.active),
    last: parse(row.last),
    handovers: parse(row.handovers),
    devices: parse(row.devices),
  } as Facts
}
