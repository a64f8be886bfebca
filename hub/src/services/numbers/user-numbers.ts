import { and, eq, isNull } from 'drizzle-orm'
import type { Links } from '../../core/links.ts'
import type { Queryable } from '../../db/client.ts'
import { numbers } from '../../db/schema/index.ts'
import { teamMembersOf } from './number-hydrate.ts'
import { assignedTeamIds, assignedUserIds, toNumberJson } from './number-json.ts'

/** A Number as Aircall nests it in a User's `numbers` (§1.7's fields, without its `users`). */
export type UserNumber = Pick<
  ReturnType<typeof toNumberJson>,
  | 'id'
  | 'direct_link'
  | 'name'
  | 'digits'
  | 'created_at'
  | 'country'
  | 'time_zone'
  | 'open'
  | 'availability_status'
  | 'is_ivr'
  | 'live_recording_activated'
  | 'priority'
  | 'messages'
>

/**
 * The live numbers each given user is assigned to (the same assignment as a Number's `users`:
 * distribution steps, their teams' members, outbound-only users and teams), in number id
 * order. Two queries for the lot, whatever the number of users.
 */
export async function numbersOfUsers(
  db: Queryable,
  companyId: number,
  links: Links,
  now: Date,
  userIds: readonly number[],
): Promise<Map<number, UserNumber[]>> {
  const byUser = new Map<number, UserNumber[]>(userIds.map((id) => [id, []]))
  if (userIds.length === 0) return byUser
  const rows = await db
    .select()
    .from(numbers)
    .where(and(eq(numbers.companyId, companyId), isNull(numbers.releasedAt)))
    .orderBy(numbers.id)
  if (rows.length === 0) return byUser
  const members = await teamMembersOf(db, companyId, [...new Set(rows.flatMap((r) => assignedTeamIds(r)))])
  for (const row of rows) {
    const assigned = assignedUserIds(row, members).filter((id) => byUser.has(id))
    if (assigned.length === 0) continue
    const n = toNumberJson(row, [], links, now)
    const nested: UserNumber = {
      id: n.id,
      direct_link: n.direct_link,
      name: n.name,
      digits: n.digits,
      created_at: n.created_at,
      country: n.country,
      time_zone: n.time_zone,
      open: n.open,
      availability_status: n.availability_status,
      is_ivr: n.is_ivr,
      live_recording_activated: n.live_recording_activated,
      priority: n.priority,
      messages: n.messages,
    }
    for (const id of assigned) byUser.get(id)?.push(nested)
  }
  return byUser
}
