import { and, eq, isNull } from 'drizzle-orm'
import type { Links } from '../../core/links.ts'
import type { Queryable } from '../../db/client.ts'
import { numbers } from '../../db/schema/index.ts'
import { teamMembersOf } from './number-hydrate.ts'
import { toUserNumberJson, type UserNumberJson } from './number-json.ts'
import { assignedTeamIds, assignedUserIds } from './number-rules.ts'

/**
 * The live numbers each given user is assigned to (the same assignment as a Number's `users`:
 * distribution steps, their teams' members, outbound-only users and teams), in number id
 * order, as a User's `numbers` nests them. Two queries for the lot, whatever the number of users.
 */
export async function numbersOfUsers(
  db: Queryable,
  companyId: number,
  links: Links,
  now: Date,
  userIds: readonly number[],
): Promise<Map<number, UserNumberJson[]>> {
  const byUser = new Map<number, UserNumberJson[]>(userIds.map((id) => [id, []]))
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
    const nested = toUserNumberJson(row, links, now)
    for (const id of assigned) byUser.get(id)?.push(nested)
  }
  return byUser
}
