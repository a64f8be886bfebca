import type { AgentCall, ServerMessage } from '@switchboard/shared'
import { and, asc, eq, inArray } from 'drizzle-orm'
import type { Queryable } from '../../db/client.ts'
import { callComments, type calls, callTags, numbers, tags, teams, users } from '../../db/schema/index.ts'
import type { AssetUrlSigner } from '../audio/call-assets.ts'
import type { CallState } from '../routing-types.ts'
import type { CallWorld } from '../routing-world.ts'

export type CallRow = typeof calls.$inferSelect

/** Names the call's objects need, loaded with the routing world. */
export type CallRefs = {
  base: string
  number: { id: number; name: string; e164: string; country: string; timeZone: string; isIvr: boolean } | null
  users: ReadonlyMap<number, { name: string; email: string }>
  teams: ReadonlyMap<number, string>
  tagRequired: boolean
  /** Signs the recording / voicemail links; without it, the Call object shows none. */
  assetUrl?: AssetUrlSigner
}

const unix = (d: Date | null) => (d ? Math.floor(d.getTime() / 1000) : null)

function userObject(refs: CallRefs, id: number | null) {
  if (id === null) return null
  const u = refs.users.get(id)
  return {
    id,
    direct_link: `${refs.base}/v1/users/${id}`,
    name: u?.name ?? '',
    email: u?.email ?? '',
  }
}

/**
 * The IVR choices of a call as Aircall's `ivr_options_selected` lists them: the key (`fallback`
 * when the caller chose none), when it was chosen, and the menu's span from its first play to
 * that choice. Options have no titles in a number's settings: `title` is null. Calls stored
 * before the times were kept show the keys alone.
 */
function ivrOptionsSelected(state: Partial<CallState>) {
  return (state.ivrKeys ?? []).map((key, i) => {
    const at = state.ivrKeysAt?.[i]
    if (at === undefined) return { key }
    const chosen = Math.floor(at / 1000)
    const menu = state.ivrMenuAt ?? null
    return {
      key,
      title: null,
      created_at: chosen,
      transition_started_at: menu === null ? null : Math.floor(menu / 1000),
      transition_ended_at: chosen,
    }
  })
}

/**
 * The call as Aircall's webhooks carry it (the Call object: `call_uuid` where the API says
 * `sid`, `participants` where it says `conference_participants`). `user` overrides the call's
 * user: call.ringing_on_agent and call.agent_declined name the agent concerned.
 */
export function callWebhookData(row: CallRow, refs: CallRefs, user: number | null = row.userId) {
  const n = refs.number
  const state = row.state as Partial<CallState>
  return {
    id: row.id,
    call_uuid: `sb-call-${row.id}`,
    direct_link: `${refs.base}/v1/calls/${row.id}`,
    direction: row.direction,
    status: row.status,
    missed_call_reason: row.missedCallReason,
    started_at: unix(row.startedAt),
    answered_at: unix(row.answeredAt),
    ended_at: unix(row.endedAt),
    // Aircall: ended_at - started_at, ring time included; while the call runs, so far.
    duration: row.endedAt ? Math.round((row.endedAt.getTime() - row.startedAt.getTime()) / 1000) : 0,
    raw_digits: row.rawDigits,
    voicemail:
      row.voicemailBlobId && refs.assetUrl ? refs.assetUrl(row.companyId, row.voicemailBlobId) : null,
    recording:
      row.recordingBlobId && refs.assetUrl ? refs.assetUrl(row.companyId, row.recordingBlobId) : null,
    asset: null,
    user: userObject(refs, user),
    contact: null,
    archived: row.archived,
    assigned_to: userObject(refs, row.assignedTo),
    transferred_by: userObject(refs, row.transferredBy),
    transferred_to: userObject(refs, row.transferredTo),
    number: n
      ? {
          id: n.id,
          direct_link: `${refs.base}/v1/numbers/${n.id}`,
          name: n.name,
          digits: n.e164,
          e164_digits: n.e164,
          country: n.country,
          time_zone: n.timeZone,
          is_ivr: n.isIvr,
        }
      : null,
    teams: row.teamId !== null ? [{ id: row.teamId, name: refs.teams.get(row.teamId) ?? '' }] : [],
    tags: [],
    comments: [],
    participants: [],
    ivr_options_selected: ivrOptionsSelected(state),
    hangup_cause: null,
  }
}

/**
 * The comments of calls, oldest first, each with its author's name and email (a User as a Call
 * nests it; null for an API key's comment): what the Call object's `comments` shows.
 */
export async function loadCallComments(db: Queryable, companyId: number, callIds: readonly number[]) {
  if (callIds.length === 0) return []
  return db
    .select({
      callId: callComments.callId,
      id: callComments.id,
      content: callComments.content,
      postedAt: callComments.postedAt,
      postedBy: callComments.postedBy,
      firstName: users.firstName,
      lastName: users.lastName,
      email: users.email,
    })
    .from(callComments)
    .leftJoin(users, and(eq(users.id, callComments.postedBy), eq(users.companyId, callComments.companyId)))
    .where(and(eq(callComments.companyId, companyId), inArray(callComments.callId, [...callIds])))
    .orderBy(asc(callComments.id))
}

/** A comment as the Call object shows it. */
export function commentJson(c: Awaited<ReturnType<typeof loadCallComments>>[number], base: string) {
  return {
    id: c.id,
    content: c.content,
    posted_at: Math.floor(c.postedAt.getTime() / 1000),
    posted_by:
      c.postedBy === null
        ? null
        : {
            id: c.postedBy,
            direct_link: `${base}/v1/users/${c.postedBy}`,
            ...userRef({ firstName: c.firstName ?? '', lastName: c.lastName ?? '', email: c.email ?? '' }),
          },
  }
}

/**
 * The call's tags and comments as the Call object shows them (callWebhookData leaves them
 * empty): two index probes, sent together.
 */
export async function loadCallNotes(db: Queryable, companyId: number, callId: number, base: string) {
  const [tagRows, commentRows] = await Promise.all([
    db
      .select({ id: tags.id, name: tags.name, color: tags.color, description: tags.description })
      .from(callTags)
      .innerJoin(tags, and(eq(tags.id, callTags.tagId), eq(tags.companyId, companyId)))
      .where(and(eq(callTags.callId, callId), eq(callTags.companyId, companyId)))
      .orderBy(asc(callTags.createdAt), asc(tags.id)),
    loadCallComments(db, companyId, [callId]),
  ])
  return {
    tags: tagRows.map((t) => ({ ...t, direct_link: `${base}/v1/tags/${t.id}` })),
    comments: commentRows.map((c) => commentJson(c, base)),
  }
}

/** The call as an agent's client shows it (realtime protocol). */
export function agentCall(row: CallRow, refs: CallRefs, status: AgentCall['status']): AgentCall {
  const state = row.state as { ivrKeys?: string[] }
  return {
    call_id: row.id,
    direction: row.direction,
    status,
    external_number: row.externalNumber,
    number: { id: row.numberId, name: refs.number?.name ?? '', digits: refs.number?.e164 ?? '' },
    team: row.teamId !== null ? { id: row.teamId, name: refs.teams.get(row.teamId) ?? '' } : null,
    ivr_path: state.ivrKeys ?? [],
    started_at: unix(row.startedAt)!,
    answered_at: unix(row.answeredAt),
    recording: row.recordingState,
    tag_required: refs.tagRequired,
  }
}

/** Absolute links in events recorded outside a request (as the numbers' worker does). */
export function eventBase(env: { PUBLIC_URL?: string; PORT: number }): string {
  return env.PUBLIC_URL?.replace(/\/$/, '') ?? `http://localhost:${env.PORT}`
}

/** A call's number as CallRefs carries it. */
export function numberRef(n: {
  id: number
  name: string
  e164: string
  country: string
  timeZone: string
  type: string
}): NonNullable<CallRefs['number']> {
  return {
    id: n.id,
    name: n.name,
    e164: n.e164,
    country: n.country,
    timeZone: n.timeZone,
    isIvr: n.type === 'ivr',
  }
}

/** A user as CallRefs carries them. */
export function userRef(u: { firstName: string; lastName: string; email: string }) {
  return { name: `${u.firstName} ${u.lastName}`.trim(), email: u.email }
}

/**
 * The names a call's objects need, from the company's routing world (routing-world.ts). The
 * world holds live numbers only: a number released since leaves `number` null.
 */
export function worldCallRefs(
  world: CallWorld,
  row: Pick<CallRow, 'numberId'>,
  base: string,
  assetUrl?: AssetUrlSigner,
): CallRefs {
  const n = world.numbers.get(row.numberId)
  return {
    base,
    number: n
      ? {
          id: row.numberId,
          name: n.name,
          e164: n.e164,
          country: n.country,
          timeZone: n.timeZone,
          isIvr: world.configs.get(row.numberId)?.isIvr ?? false,
        }
      : null,
    users: worldUserRefs(world),
    teams: world.teamNames,
    tagRequired: n?.settings.mandatory_tagging ?? false,
    assetUrl,
  }
}

/** The world's users' names, made once per world (a world is cached while its version lasts). */
const userRefsOf = new WeakMap<CallWorld, ReadonlyMap<number, { name: string; email: string }>>()

function worldUserRefs(world: CallWorld): ReadonlyMap<number, { name: string; email: string }> {
  let refs = userRefsOf.get(world)
  if (!refs) {
    refs = new Map(world.users.map((u) => [u.id, userRef(u)]))
    userRefsOf.set(world, refs)
  }
  return refs
}

/** The names a call's objects need, for code outside an applied event (hello, API answers). */
export async function loadCallRefs(
  db: Queryable,
  row: CallRow,
  base: string,
  assetUrl?: AssetUrlSigner,
): Promise<CallRefs> {
  // Only the users the call names: a company's whole staff is not loaded for one call.
  const userIds = [row.userId, row.assignedTo, row.transferredBy, row.transferredTo].filter((u) => u !== null)
  const [numberRows, userRows, teamRows] = await Promise.all([
    db
      .select()
      .from(numbers)
      .where(and(eq(numbers.id, row.numberId), eq(numbers.companyId, row.companyId))),
    userIds.length === 0
      ? Promise.resolve([])
      : db
          .select({ id: users.id, firstName: users.firstName, lastName: users.lastName, email: users.email })
          .from(users)
          .where(and(eq(users.companyId, row.companyId), inArray(users.id, userIds))),
    row.teamId === null
      ? Promise.resolve([])
      : db
          .select({ id: teams.id, name: teams.name })
          .from(teams)
          .where(and(eq(teams.id, row.teamId), eq(teams.companyId, row.companyId))),
  ])
  const n = numberRows[0]
  return {
    base,
    number: n ? numberRef(n) : null,
    users: new Map(userRows.map((u) => [u.id, userRef(u)])),
    teams: new Map(teamRows.map((t) => [t.id, t.name])),
    tagRequired: n?.settings.mandatory_tagging ?? false,
    assetUrl,
  }
}

/** The `call.insight_card` frames of a call's kept cards (calls.insight_cards), oldest first. */
export function insightCardFrames(
  row: Pick<CallRow, 'id' | 'insightCards'>,
): Extract<ServerMessage, { type: 'call.insight_card' }>[] {
  return row.insightCards.map((contents) => ({
    type: 'call.insight_card' as const,
    call_id: row.id,
    contents: contents as Extract<ServerMessage, { type: 'call.insight_card' }>['contents'],
  }))
}
