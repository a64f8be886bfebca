import { normalizePhone } from '@switchboard/shared'
import { and, asc, count, eq, inArray, type SQL, sql } from 'drizzle-orm'
import { badRequest, notFound } from '../../core/errors.ts'
import { type PaginationQuery, pageWindow } from '../../core/pagination.ts'
import { orderBy, timeRange } from '../../db/list-query.ts'
import { callEvents, calls, callTags, numbers, tags, teams, users } from '../../db/schema/index.ts'
import {
  type CallRefs,
  type CallRow,
  commentJson,
  loadCallComments,
  numberRef,
  userRef,
} from '../../telephony/engine/call-object.ts'
import { contactsByPhone } from '../contacts/contact-service.ts'
import type { ServiceContext } from '../context.ts'
import { callSyncJson } from '../integrations/sync-ledger.ts'
import { toCallJson } from './call-json.ts'

/** Aircall's `fetch_*` flags: what a call carries beyond its own columns. */
export type CallFetchOptions = {
  /** The company's contact whose phone is the call's other party (else `contact: null`). */
  fetch_contact?: boolean
  /** `timeline`: the call's events in order (see timelineEntry). */
  fetch_call_timeline?: boolean
}

export type CallSearchQuery = PaginationQuery &
  CallFetchOptions & {
    direction?: 'inbound' | 'outbound' | undefined
    user_id?: number | undefined
    phone_number?: string | undefined
    /** Tag ids: a call must carry every one (Aircall's `tags[]`, AND). */
    tags?: readonly number[] | undefined
  }

/**
 * The Calls API: the company's calls in Aircall's Call format, with their tags and comments.
 * Names (number, users, teams, tags) are loaded once per page, not per call.
 */
export function listCalls(ctx: ServiceContext, q: PaginationQuery & CallFetchOptions) {
  return page(ctx, q)
}

/**
 * Aircall's GET /calls/search: the list's from/to/order/paging plus direction, the agent
 * (`user_id`: who took or placed the call), the other party's number (any format, matched in
 * E.164 on the calls' (company, external number) index) and tags (every one given).
 */
export function searchCalls(ctx: ServiceContext, q: CallSearchQuery) {
  const filters: (SQL | undefined)[] = []
  if (q.direction) filters.push(eq(calls.direction, q.direction))
  if (q.user_id !== undefined) filters.push(eq(calls.userId, q.user_id))
  if (q.phone_number !== undefined) {
    const digits = q.phone_number.replace(/[^\d+]/g, '').replace(/^00/, '+')
    if (!/\d/.test(digits)) throw badRequest('phone_number', 'must contain digits')
    const e164 = normalizePhone(q.phone_number)?.e164
    filters.push(inArray(calls.externalNumber, [...new Set([digits, ...(e164 ? [e164] : [])])]))
  }
  for (const tagId of new Set(q.tags ?? [])) {
    filters.push(
      sql`exists (select 1 from ${callTags} where ${callTags.callId} = ${calls.id} and ${callTags.tagId} = ${tagId})`,
    )
  }
  return page(ctx, q, and(...filters))
}

async function page(ctx: ServiceContext, q: PaginationQuery & CallFetchOptions, filter?: SQL) {
  const { offset, limit } = pageWindow(q)
  const where = and(eq(calls.companyId, ctx.companyId), timeRange(calls.startedAt, q), filter)
  const [totalRow] = await ctx.db.select({ n: count() }).from(calls).where(where)
  const rows = await ctx.db
    .select()
    .from(calls)
    .where(where)
    .orderBy(...orderBy(calls.startedAt, q, calls.id))
    .offset(offset)
    .limit(limit)
  return { calls: await callsJson(ctx, rows, q), total: totalRow?.n ?? 0 }
}

export async function getCall(ctx: ServiceContext, id: number, options: CallFetchOptions = {}) {
  const [row] = await ctx.db
    .select()
    .from(calls)
    .where(and(eq(calls.id, id), eq(calls.companyId, ctx.companyId)))
  if (!row) throw notFound('Call not found')
  const [json] = await callsJson(ctx, [row], options)
  // Where each linked CRM's activity stands (the sync ledger).
  return { ...json!, sync: await callSyncJson(ctx.db, ctx.companyId, row.id) }
}

const unix = (d: Date) => Math.floor(d.getTime() / 1000)

/**
 * One row of a call's timeline as the API shows it (`fetch_call_timeline=true`): `seq` (its
 * order), `type`, `created_at` (UNIX seconds), `user_id` (the agent concerned or who made the
 * change, else null), plus `digits` (keys pressed), `tag_ids` (tagged / untagged) or
 * `assigned_to` (assigned) where they apply, and `forwarded` where agents' external phones
 * started ringing (external forwarding: `[{user_id, to, caller_id}]`, the number dialled and
 * the caller ID it shows). Types: start, digits, timer (a ring, prompt or
 * wait timed out), presence_changed (an agent became available to a waiting call),
 * leg_answered, leg_declined, leg_no_answer, caller_hungup, agent_hungup, voicemail_left,
 * tagged, untagged, commented, archived, unarchived, assigned, recording_paused,
 * recording_resumed, recording_deleted, voicemail_deleted, wrap_up_ended (the agent's wrap-up time
 * after this call is over).
 */
function timelineEntry(e: typeof callEvents.$inferSelect) {
  const d = e.data
  const userId = typeof d.userId === 'number' ? d.userId : typeof d.by === 'number' ? d.by : null
  return {
    seq: e.seq,
    type: e.type,
    created_at: unix(e.at),
    user_id: userId,
    ...(typeof d.digits === 'string' ? { digits: d.digits } : {}),
    ...(Array.isArray(d.tag_ids) ? { tag_ids: d.tag_ids as number[] } : {}),
    ...(typeof d.assigned_to === 'number' ? { assigned_to: d.assigned_to } : {}),
    ...(Array.isArray(d.forwarded)
      ? { forwarded: d.forwarded as { user_id: number; to: string; caller_id: string }[] }
      : {}),
  }
}

async function callsJson(ctx: ServiceContext, rows: CallRow[], options: CallFetchOptions) {
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
  const [numberRows, userRows, teamRows, tagRows, commentRows, contacts, timelines] = await Promise.all([
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
    loadCallComments(ctx.db, ctx.companyId, ids),
    options.fetch_contact
      ? contactsByPhone(
          ctx,
          rows.map((r) => r.externalNumber),
        )
      : null,
    options.fetch_call_timeline
      ? ctx.db
          .select()
          .from(callEvents)
          .where(and(eq(callEvents.companyId, ctx.companyId), inArray(callEvents.callId, ids)))
          .orderBy(asc(callEvents.callId), asc(callEvents.seq))
      : null,
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
      contact: contacts?.get(row.externalNumber) ?? null,
      tags: tagRows
        .filter((t) => t.callId === row.id)
        .map(({ callId: _c, ...t }) => ({ ...t, direct_link: ctx.links.tag(t.id) })),
      comments: commentRows.filter((c) => c.callId === row.id).map((c) => commentJson(c, ctx.links.base)),
      ...(timelines ? { timeline: timelines.filter((e) => e.callId === row.id).map(timelineEntry) } : {}),
    }
  })
}
