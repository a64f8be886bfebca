import { and, count, eq, inArray } from 'drizzle-orm'
import { DomainError } from '../../core/errors.ts'
import { callComments, callTags, tags } from '../../db/schema/index.ts'
import { type CallGuard, commitCallChange, lockCall } from './call-change.ts'
import { type EngineDeps, nudgeWaitingCalls } from './call-engine.ts'

/** Aircall: at most 5 comments per call, never edited or deleted. */
export const MAX_COMMENTS_PER_CALL = 5

/**
 * Tags and comments on a call (see call-change.ts: one transaction locking the call, version
 * bump, timeline row, and call.tagged / call.untagged / call.commented carrying the call's tags
 * and comments as they now stand). A tag the call already has is not added twice, and a tag
 * it does not have is not removed: a repeat records nothing. `byUserId`: the agent (null for
 * an API key). `guard`: checked on the locked call (an agent token's own calls only).
 */
export async function tagCall(
  deps: EngineDeps,
  companyId: number,
  callId: number,
  tagIds: readonly number[],
  byUserId: number | null,
  guard?: CallGuard,
): Promise<void> {
  const tagged = await deps.db.transaction(async (tx) => {
    const row = await lockCall(tx, companyId, callId, guard)
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
    await commitCallChange(tx, deps, row, {
      type: 'tagged',
      data: { tag_ids: added.map((a) => a.tagId), by: byUserId },
      event: 'call.tagged',
    })
    return true
  })
  // A mandatory tag given: the agent may take the calls waiting for them.
  if (tagged) await nudgeWaitingCalls(deps, companyId)
}

/** Removes one tag of the company from the call (call.untagged); a tag of another company is not found. */
export async function untagCall(
  deps: EngineDeps,
  companyId: number,
  callId: number,
  tagId: number,
  byUserId: number | null,
  guard?: CallGuard,
): Promise<void> {
  await deps.db.transaction(async (tx) => {
    const row = await lockCall(tx, companyId, callId, guard)
    const [known] = await tx
      .select({ id: tags.id })
      .from(tags)
      .where(and(eq(tags.companyId, companyId), eq(tags.id, tagId)))
    if (!known) throw new DomainError('not_found', 'Tag not found')
    const removed = await tx
      .delete(callTags)
      .where(and(eq(callTags.callId, callId), eq(callTags.tagId, tagId)))
      .returning({ tagId: callTags.tagId })
    if (removed.length === 0) return
    await commitCallChange(tx, deps, row, {
      type: 'untagged',
      data: { tag_ids: [tagId], by: byUserId },
      event: 'call.untagged',
    })
  })
}

export async function commentCall(
  deps: EngineDeps,
  companyId: number,
  callId: number,
  content: string,
  byUserId: number | null,
  guard?: CallGuard,
): Promise<void> {
  await deps.db.transaction(async (tx) => {
    const row = await lockCall(tx, companyId, callId, guard)
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
    await commitCallChange(tx, deps, row, {
      type: 'commented',
      data: { by: byUserId },
      event: 'call.commented',
    })
  })
}
