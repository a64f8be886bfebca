import { and, asc, count, eq, inArray, ne, sql } from 'drizzle-orm'
import { badRequest, notFound } from '../../core/errors.ts'
import { type PaginationQuery, pageWindow } from '../../core/pagination.ts'
import { uniqueViolation } from '../../core/postgres-errors.ts'
import type { Queryable } from '../../db/client.ts'
import { orderBy, timeRange } from '../../db/list-query.ts'
import { teamMembers, teams, users } from '../../db/schema/index.ts'
import { recordEvent } from '../../events/outbox.ts'
import type { ServiceContext } from '../context.ts'
import { detachFromNumbers, lockRoutingGraph } from '../numbers/number-references.ts'
import { matchesSearch } from '../users/user-search.ts'
import { type TeamResource, type TeamUserResource, toTeamJson, toTeamUserJson } from './team-json.ts'

type TeamRow = typeof teams.$inferSelect

/** Members of the given teams (of this company), in the order they joined. */
async function membersOf(
  db: Queryable,
  ctx: ServiceContext,
  teamIds: number[],
): Promise<Map<number, TeamUserResource[]>> {
  const byTeam = new Map<number, TeamUserResource[]>(teamIds.map((id) => [id, []]))
  if (teamIds.length === 0) return byTeam
  const rows = await db
    .select({ teamId: teamMembers.teamId, user: users })
    .from(teamMembers)
    .innerJoin(users, and(eq(users.id, teamMembers.userId), eq(users.companyId, ctx.companyId)))
    .where(and(eq(teamMembers.companyId, ctx.companyId), inArray(teamMembers.teamId, teamIds)))
    .orderBy(asc(teamMembers.createdAt), asc(teamMembers.userId))
  const now = ctx.clock.now()
  for (const row of rows) byTeam.get(row.teamId)?.push(toTeamUserJson(row.user, now, ctx.links))
  return byTeam
}

async function findTeam(db: Queryable, ctx: ServiceContext, teamId: number): Promise<TeamRow> {
  const [team] = await db
    .select()
    .from(teams)
    .where(and(eq(teams.id, teamId), eq(teams.companyId, ctx.companyId)))
    .limit(1)
  if (!team) throw notFound('Team not found')
  return team
}

async function teamResource(db: Queryable, ctx: ServiceContext, team: TeamRow) {
  const members = await membersOf(db, ctx, [team.id])
  return toTeamJson(team, members.get(team.id) ?? [], ctx.links)
}

export async function listTeams(
  ctx: ServiceContext,
  q: PaginationQuery & { search?: string },
): Promise<{ teams: TeamResource[]; total: number }> {
  const { offset, limit } = pageWindow(q)
  const where = and(
    eq(teams.companyId, ctx.companyId),
    timeRange(teams.createdAt, q),
    matchesSearch(q.search, [teams.name]),
  )
  const [totalRow] = await ctx.db.select({ n: count() }).from(teams).where(where)
  const rows = await ctx.db
    .select()
    .from(teams)
    .where(where)
    .orderBy(...orderBy(teams.createdAt, q, teams.id))
    .offset(offset)
    .limit(limit)
  const members = await membersOf(
    ctx.db,
    ctx,
    rows.map((t) => t.id),
  )
  return {
    teams: rows.map((t) => toTeamJson(t, members.get(t.id) ?? [], ctx.links)),
    total: totalRow?.n ?? 0,
  }
}

export async function getTeam(ctx: ServiceContext, teamId: number): Promise<TeamResource> {
  return teamResource(ctx.db, ctx, await findTeam(ctx.db, ctx, teamId))
}

const duplicateName = () => badRequest('name', 'a team with this name already exists')

/** Names are unique per company regardless of case (the unique index is on lower(name)). */
export async function createTeam(ctx: ServiceContext, name: string): Promise<TeamResource> {
  return ctx.db.transaction(async (tx) => {
    const [existing] = await tx
      .select({ id: teams.id })
      .from(teams)
      .where(and(eq(teams.companyId, ctx.companyId), sql`lower(${teams.name}) = lower(${name})`))
      .limit(1)
    if (existing) throw duplicateName()
    const now = ctx.clock.now()
    // A concurrent create of the same name lands on the unique index: no row, same answer.
    const [team] = await tx
      .insert(teams)
      .values({ companyId: ctx.companyId, name, createdAt: now, updatedAt: now })
      .onConflictDoNothing()
      .returning()
    if (!team) throw duplicateName()
    const resource = toTeamJson(team, [], ctx.links)
    await recordEvent(tx, ctx.clock, ctx.companyId, 'team.created', resource)
    return resource
  })
}

/**
 * Renames the team; the name stays unique in the company regardless of case (a change of case
 * alone is allowed). Aircall has no team update event, so none is recorded.
 */
export async function renameTeam(ctx: ServiceContext, teamId: number, name: string): Promise<TeamResource> {
  try {
    return await ctx.db.transaction(async (tx) => {
      const team = await findTeam(tx, ctx, teamId)
      const [clash] = await tx
        .select({ id: teams.id })
        .from(teams)
        .where(
          and(
            eq(teams.companyId, ctx.companyId),
            ne(teams.id, teamId),
            sql`lower(${teams.name}) = lower(${name})`,
          ),
        )
        .limit(1)
      if (clash) throw duplicateName()
      const [renamed] = await tx
        .update(teams)
        .set({ name, updatedAt: ctx.clock.now() })
        .where(and(eq(teams.id, team.id), eq(teams.companyId, ctx.companyId)))
        .returning()
      return teamResource(tx, ctx, renamed!)
    })
  } catch (err) {
    // A concurrent create or rename to the same name lands on the unique index.
    if (uniqueViolation(err) === 'teams_company_name_unique') throw duplicateName()
    throw err
  }
}

/** Deletes the team (memberships go with it); the event carries the team as it was. */
export async function deleteTeam(ctx: ServiceContext, teamId: number): Promise<TeamResource> {
  return ctx.db.transaction(async (tx) => {
    await lockRoutingGraph(tx, ctx.companyId)
    const resource = await teamResource(tx, ctx, await findTeam(tx, ctx, teamId))
    await detachFromNumbers(tx, ctx, { teamId })
    await tx.delete(teams).where(and(eq(teams.id, teamId), eq(teams.companyId, ctx.companyId)))
    await recordEvent(tx, ctx.clock, ctx.companyId, 'team.deleted', resource)
    return resource
  })
}

async function assertUserOfCompany(db: Queryable, ctx: ServiceContext, userId: number) {
  const [user] = await db
    .select({ id: users.id })
    .from(users)
    .where(and(eq(users.id, userId), eq(users.companyId, ctx.companyId)))
    .limit(1)
  if (!user) throw notFound('User not found')
}

/** Adds a user to a team; adding a member again changes nothing (`added: false`). */
export async function addTeamMember(
  ctx: ServiceContext,
  teamId: number,
  userId: number,
): Promise<{ team: TeamResource; added: boolean }> {
  return ctx.db.transaction(async (tx) => {
    const team = await findTeam(tx, ctx, teamId)
    await assertUserOfCompany(tx, ctx, userId)
    const inserted = await tx
      .insert(teamMembers)
      .values({ companyId: ctx.companyId, teamId, userId, createdAt: ctx.clock.now() })
      .onConflictDoNothing()
      .returning({ userId: teamMembers.userId })
    return { team: await teamResource(tx, ctx, team), added: inserted.length > 0 }
  })
}

/** Removes a user from a team; a user of the company who is not a member answers 404. */
export async function removeTeamMember(
  ctx: ServiceContext,
  teamId: number,
  userId: number,
): Promise<TeamResource> {
  return ctx.db.transaction(async (tx) => {
    const team = await findTeam(tx, ctx, teamId)
    await assertUserOfCompany(tx, ctx, userId)
    const removed = await tx
      .delete(teamMembers)
      .where(
        and(
          eq(teamMembers.companyId, ctx.companyId),
          eq(teamMembers.teamId, teamId),
          eq(teamMembers.userId, userId),
        ),
      )
      .returning({ userId: teamMembers.userId })
    if (removed.length === 0) throw notFound('User is not a member of this team')
    return teamResource(tx, ctx, team)
  })
}
