import { and, eq, isNull } from 'drizzle-orm'
import type { Links } from '../../core/links.ts'
import type { Queryable } from '../../db/client.ts'
import { numbers } from '../../db/schema/index.ts'
import { isNumberActive } from '../../telephony/number-active.ts'
import { teamMembersOf } from './number-hydrate.ts'
import { toUserNumberJson, type UserNumberJson } from './number-json.ts'
import { assignedTeamIds, assignedUserIds, type NumberRow } from './number-rules.ts'

/**
 * The company's live numbers in id order, each with the users assigned to it (the same
 * assignment as a Number's `users`: distribution steps, their teams' members, outbound-only
 * users and teams). Two queries, whatever the number of numbers.
 */
async function liveNumbersWithUsers(
  db: Queryable,
  companyId: number,
): Promise<{ row: NumberRow; userIds: number[] }[]> {
  const rows = await db
    .select()
    .from(numbers)
    .where(and(eq(numbers.companyId, companyId), isNull(numbers.releasedAt)))
    .orderBy(numbers.id)
  if (rows.length === 0) return []
  const members = await teamMembersOf(db, companyId, [...new Set(rows.flatMap((r) => assignedTeamIds(r)))])
  return rows.map((row) => ({ row, userIds: assignedUserIds(row, members) }))
}

/**
 * The live numbers each given user is assigned to, in number id order, as a User's `numbers`
 * nests them; `lines`: of those, the ids of the ones that can place calls now (documents
 * approved or not needed: number-active.ts), what a user's default number falls back to.
 */
export async function numbersOfUsers(
  db: Queryable,
  companyId: number,
  links: Links,
  now: Date,
  userIds: readonly number[],
): Promise<Map<number, UserNumberJson[]> & { lines: Map<number, number[]> }> {
  const byUser = new Map<number, UserNumberJson[]>(userIds.map((id) => [id, []]))
  const lines = new Map<number, number[]>(userIds.map((id) => [id, []]))
  const result = Object.assign(byUser, { lines })
  if (userIds.length === 0) return result
  for (const { row, userIds: assigned } of await liveNumbersWithUsers(db, companyId)) {
    const mine = assigned.filter((id) => byUser.has(id))
    if (mine.length === 0) continue
    const nested = toUserNumberJson(row, links, now)
    const callable = isNumberActive(row)
    for (const id of mine) {
      byUser.get(id)?.push(nested)
      if (callable) lines.get(id)?.push(row.id)
    }
  }
  return result
}

/** The ids of the live numbers one user is assigned to (their lines); `callable`: only those that can place calls now. */
export async function numberIdsOfUser(
  db: Queryable,
  companyId: number,
  userId: number,
  options: { callable?: boolean } = {},
): Promise<number[]> {
  const lines = await liveNumbersWithUsers(db, companyId)
  return lines
    .filter((l) => l.userIds.includes(userId) && (!options.callable || isNumberActive(l.row)))
    .map((l) => l.row.id)
}
