import { and, eq, inArray, isNull } from 'drizzle-orm'
import { notFound } from '../../core/errors.ts'
import type { Links } from '../../core/links.ts'
import type { Queryable } from '../../db/client.ts'
import { numbers, teamMembers, users } from '../../db/schema/index.ts'
import { type NumberJson, toNumberJson } from './number-json.ts'
import { assignedTeamIds, assignedUserIds, type NumberRow } from './number-rules.ts'

/** A live (not released) number of the company; another company's id is a plain 404. */
export async function findNumber(
  db: Queryable,
  companyId: number,
  id: number,
  options: { forUpdate?: boolean } = {},
): Promise<NumberRow> {
  const query = db
    .select()
    .from(numbers)
    .where(and(eq(numbers.id, id), eq(numbers.companyId, companyId), isNull(numbers.releasedAt)))
    .limit(1)
  const [row] = options.forUpdate ? await query.for('update') : await query
  if (!row) throw notFound('Number not found')
  return row
}

/** Members of the given teams of the company, in the order they joined. */
export async function teamMembersOf(
  db: Queryable,
  companyId: number,
  teamIds: number[],
): Promise<Map<number, number[]>> {
  const byTeam = new Map<number, number[]>(teamIds.map((id) => [id, []]))
  if (teamIds.length === 0) return byTeam
  const rows = await db
    .select({ teamId: teamMembers.teamId, userId: teamMembers.userId })
    .from(teamMembers)
    .where(and(eq(teamMembers.companyId, companyId), inArray(teamMembers.teamId, teamIds)))
    .orderBy(teamMembers.createdAt, teamMembers.userId)
  for (const r of rows) byTeam.get(r.teamId)?.push(r.userId)
  return byTeam
}

/** Number rows → API objects, with their assigned users loaded in three queries for the lot. */
export async function hydrateNumbers(
  db: Queryable,
  companyId: number,
  links: Links,
  now: Date,
  rows: NumberRow[],
): Promise<NumberJson[]> {
  const teamIds = [...new Set(rows.flatMap((r) => assignedTeamIds(r)))]
  const members = await teamMembersOf(db, companyId, teamIds)
  const idsByRow = rows.map((r) => assignedUserIds(r, members))
  const userIds = [...new Set(idsByRow.flat())]
  const userRows =
    userIds.length === 0
      ? []
      : await db
          .select()
          .from(users)
          .where(and(eq(users.companyId, companyId), inArray(users.id, userIds)))
  const byId = new Map(userRows.map((u) => [u.id, u]))
  return rows.map((row, i) =>
    toNumberJson(
      row,
      idsByRow[i]!.flatMap((id) => byId.get(id) ?? []),
      links,
      now,
    ),
  )
}

export async function hydrateNumber(
  db: Queryable,
  companyId: number,
  links: Links,
  now: Date,
  row: NumberRow,
): Promise<NumberJson> {
  const [json] = await hydrateNumbers(db, companyId, links, now, [row])
  return json!
}
