import { and, asc, count, eq, inArray } from 'drizzle-orm'
import { DomainError, notFound } from '../../core/errors.ts'
import { callComments, callEvents, calls, callTags, tags } from '../../db/schema/index.ts'
import { recordEvent } from '../../events/outbox.ts'
import { type EngineDeps, eventBase, nudgeWaitingCalls } from './call-engine.ts'
import { type CallRow, callWebhookData, loadCallRefs } from './call-object.ts'

/** Aircall: at most 5 comments per call, never edited or deleted. */
export const MAX_COMMENTS_PER_CALL = 5

/**
 * Tags and comments on a call: written in one transaction that locks the call, bumps its
 * version, appends the timeline and records call.tagged / call.commented with the call's
 * tags and comments as they now stand. A tag the call already has is not added twice (and a
 * repeat records nothing). `byUserId`: the agent (null for an API key).
 */
export async function tagCall(
  deps: EngineDeps,
  companyId: number,
  callId: number,
  tagIds: readonly number[],
  byUserId: number | null,
): Promise<void> {
  const tagged = await deps.db.transaction(async (tx) => {
    const row = await lockCall(tx, companyId, callId)
    const known = await tx
      .select({ id: tags.id })
      .from(tags)
      .where(and(eq(tags.companyId, companyId), inArray(tags.id, [...tagIds])))
    if (known.length !== new Set(tagIds).size) throw new DomainError('not_found', 'Tag not found')
    const added = await tx
      .insert(callTags)
      .values(
        known.map((t) => ({
          callId,
          tagId: t.id,
          companyId,
          taggedBy: byUserId,
          createdAt: deps.clock.now(),
        })),
      )
      .onConflictDoNothing()
      .returning({ tagId: callTags.tagId })
    if (added.length === 0) return false
    await bump(tx, deps, row, 'tagged', { tag_ids: added.map((a) => a.tagId), by: byUserId }, 'call.tagged')
    return true
  })
  // A mandatory tag given: the agent may take the calls waiting for them.
  if (tagged) await nudgeWaitingCalls(deps, companyId)
}

export async function commentCall(
  deps: EngineDeps,
  companyId: number,
  callId: number,
  content: string,
  byUserId: number | null,
): Promise<void> {
  await deps.db.transaction(async (tx) => {
    const row = await lockCall(tx, companyId, callId)
    const [existing] = await tx
      .select({ n: count() })
      .from(callComments)
      .where(eq(callComments.callId, callId))
    if ((existing?.n ?? 0) >= MAX_COMMENTS_PER_CALL) {
      throw new DomainError('unprocessable', `A call has at most ${MAX_COMMENTS_PER_CALL} comments`)
    }
    await tx
      .insert(callComments)
      .values({ callId, companyId, content, postedBy: byUserId, postedAt: deps.clock.now() })
    await bump(tx, deps, row, 'commented', { by: byUserId }, 'call.commented')
  })
}

type Tx = Parameters<Parameters<EngineDeps['db']['transaction']>[0]>[0]

async function lockCall(tx: Tx, companyId: number, callId: number): Promise<CallRow> {
  const [row] = await tx
    .select()
    .from(calls)
    .where(and(eq(calls.id, callId), eq(calls.companyId, companyId)))
    .for('update')
  if (!row) throw notFound('Call not found')
  return row
}

async function bump(
  tx: Tx,
  deps: EngineDeps,
  row: CallRow,
  type: string,
  data: Record<string, unknown>,
  event: 'call.tagged' | 'call.commented',
) {
  const version = row.version + 1
  const [updated] = await tx.update(calls).set({ version }).where(eq(calls.id, row.id)).returning()
  await tx
    .insert(callEvents)
    .values({ callId: row.id, seq: version, companyId: row.companyId, at: deps.clock.now(), type, data })
  const base = eventBase(deps.env)
  const [tagRows, commentRows, refs] = await Promise.all([
    tx
      .select({ id: tags.id, name: tags.name, color: tags.color, description: tags.description })
      .from(callTags)
      .innerJoin(tags, eq(tags.id, callTags.tagId))
      .where(eq(callTags.callId, row.id))
      .orderBy(asc(callTags.createdAt), asc(tags.id)),
    tx.select().from(callComments).where(eq(callComments.callId, row.id)).orderBy(asc(callComments.id)),
    loadCallRefs(tx, row, base),
  ])
  await recordEvent(tx, deps.clock, row.companyId, event, {
    ...callWebhookData(updated!, refs),
    tags: tagRows.map((t) => ({ ...t, direct_link: `${base}/v1/tags/${t.id}` })),
    comments: commentRows.map((c) => ({
      id: c.id,
      content: c.content,
      posted_at: Math.floor(c.postedAt.getTime() / 1000),
      posted_by:
        c.postedBy === null ? null : { id: c.postedBy, direct_link: `${base}/v1/users/${c.postedBy}` },
    })),
  })
}
