import { and, asc, count, eq, inArray } from 'drizzle-orm'
import { notFound } from '../../core/errors.ts'
import { type PaginationQuery, pageWindow } from '../../core/pagination.ts'
import { orderBy, timeRange } from '../../db/list-query.ts'
import { callComments, calls, callTags, numbers, tags, teams, users } from '../../db/schema/index.ts'
import { type CallRefs, type CallRow, numberRef, userRef } from '../../telephony/engine/call-object.ts'
import type { ServiceContext } from '../context.ts'
import { toCallJson } from './call-json.ts'

/**
 * The Calls API: the company's calls in Aircall's Call format, with their tags and comments.
 * Names (number, users, teams, tags) are loaded once per page, not per call.
 */
export async function listCalls(ctx: ServiceContext, q: PaginationQuery) {
  const { offset, limit } = pageWindow(q)
  const where = and(eq(calls.companyId, ctx.companyId), timeRange(calls.startedAt, q))
  const [totalRow] = await ctx.db.select({ n: count() }).from(calls).where(where)
  const rows = await ctx.db
    .select()
    .from(calls)
    .where(where)
    .orderBy(...orderBy(calls.startedAt, q, calls.id))
    .offset(offset)
    .limit(limit)
  return { calls: await callsJson(ctx, rows), total: totalRow?.n ?? 0 }
}

export async function getCall(ctx: ServiceContext, id: number) {
  const [row] = await ctx.db
    .select()
    .from(calls)
    .where(and(eq(calls.id, id), eq(calls.companyId, ctx.companyId)))
  if (!row) throw notFound('Call not found')
  const [json] = await callsJson(ctx, [row])
  return json!
}

async function callsJson(ctx: ServiceContext, rows: CallRow[]) {
  if (rows.length === 0) return []
  const ids = rows.map((r) => r.id)
  const numberIds = [...new Set(rows.map((r) => r.numberId))]
  const teamIds = [...new Set(rows.flatMap((r) => (r.teamId === null ? [] : [r.teamId])))]
  const userIds = [
    ...new Set(
      rows.flatMap((r) =>
        [r.userId, r.assignedTo, r.transferredBy, r.transferredTo].filter((u) => u !== null),
      ),
    ),
  ]
  const [numberRows, userRows, teamRows, tagRows, commentRows] = await Promise.all([
    ctx.db
      .select()
      .from(numbers)
      .where(and(eq(numbers.companyId, ctx.companyId), inArray(numbers.id, numberIds))),
    userIds.length === 0
      ? []
      : ctx.db
          .select({ id: users.id, firstName: users.firstName, lastName: users.lastName, email: users.email })
          .from(users)
          .where(and(eq(users.companyId, ctx.companyId), inArray(users.id, userIds))),
    teamIds.length === 0
      ? []
      : ctx.db
          .select({ id: teams.id, name: teams.name })
          .from(teams)
          .where(and(eq(teams.companyId, ctx.companyId), inArray(teams.id, teamIds))),
    ctx.db
      .select({
        callId: callTags.callId,
        id: tags.id,
        name: tags.name,
        color: tags.color,
        description: tags.description,
      })
      .from(callTags)
      .innerJoin(tags, eq(tags.id, callTags.tagId))
      .where(and(eq(callTags.companyId, ctx.companyId), inArray(callTags.callId, ids)))
      .orderBy(asc(callTags.createdAt), asc(tags.id)),
    ctx.db
      .select()
      .from(callComments)
      .where(and(eq(callComments.companyId, ctx.companyId), inArray(callComments.callId, ids)))
      .orderBy(asc(callComments.id)),
  ])
  const usersById = new Map(userRows.map((u) => [u.id, userRef(u)]))
  const teamNames = new Map(teamRows.map((t) => [t.id, t.name]))
  const numbersById = new Map(numberRows.map((n) => [n.id, n]))
  return rows.map((row) => {
    const n = numbersById.get(row.numberId)
    const refs: CallRefs = {
      base: ctx.links.base,
      number: n ? numberRef(n) : null,
      users: usersById,
      teams: teamNames,
      tagRequired: n?.settings.mandatory_tagging ?? false,
      assetUrl: ctx.callAssetUrl,
    }
    return {
      ...toCallJson(row, refs),
      tags: tagRows
        .filter((t) => t.callId === row.id)
        .map(({ callId: _c, ...t }) => ({ ...t, direct_link: ctx.links.tag(t.id) })),
      comments: commentRows
        .filter((c) => c.callId === row.id)
        .map((c) => ({
          id: c.id,
          content: c.content,
          posted_at: Math.floor(c.postedAt.getTime() / 1000),
          posted_by: c.postedBy === null ? null : { id: c.postedBy, direct_link: ctx.links.user(c.postedBy) },
        })),
    }
  })
}
