import type { ServerMessage } from '@switchboard/shared'
import { and, eq, ne, sql } from 'drizzle-orm'
import type { BlobStore } from '../../blobs/blob-store.ts'
import { DomainError, notFound } from '../../core/errors.ts'
import { calls, numbers, users } from '../../db/schema/index.ts'
import { type CallGuard, commitCallChange, lockCall } from './call-change.ts'
import { type EngineDeps, eventBase } from './call-engine.ts'
import { agentCall, type CallRow, loadCallRefs } from './call-object.ts'

/**
 * What an admin, an API client or the agent does to a call besides routing it: archive,
 * assign, pause or resume its recording, delete its recording or voicemail, show an insight
 * card. Each state change goes through call-change.ts (one transaction, locked row, version,
 * timeline, outbox). A change that is already in place records nothing (idempotent).
 *
 * The refusals follow one rule: a call that has ended cannot take a live action (400, as
 * Aircall answers pause_recording on an ended call); a live call that is not in the state the
 * action needs (not answered yet, recording off, nobody on it) is not_allowed (405).
 */

const ended = () => new DomainError('bad_request', 'The call has ended')

/** Archived or not (Aircall's PUT /calls/:id/archive and /unarchive); call.archived on archive. */
export async function setCallArchived(
  deps: EngineDeps,
  companyId: number,
  callId: number,
  archived: boolean,
  byUserId: number | null,
  guard?: CallGuard,
): Promise<void> {
  await deps.db.transaction(async (tx) => {
    const row = await lockCall(tx, companyId, callId, guard)
    if (row.archived === archived) return
    await commitCallChange(tx, deps, row, {
      set: { archived },
      type: archived ? 'archived' : 'unarchived',
      data: { by: byUserId },
      // Aircall has no call.unarchived.
      event: archived ? 'call.archived' : undefined,
    })
  })
}

/** Assigns the call to a user of the company (call.assigned); another company's user is not found. */
export async function assignCall(
  deps: EngineDeps,
  companyId: number,
  callId: number,
  assigneeId: number,
  byUserId: number | null,
  guard?: CallGuard,
): Promise<void> {
  await deps.db.transaction(async (tx) => {
    const row = await lockCall(tx, companyId, callId, guard)
    const [assignee] = await tx
      .select({ id: users.id })
      .from(users)
      .where(and(eq(users.id, assigneeId), eq(users.companyId, companyId)))
    if (!assignee) throw notFound('User not found')
    if (row.assignedTo === assigneeId) return
    await commitCallChange(tx, deps, row, {
      set: { assignedTo: assigneeId },
      type: 'assigned',
      data: { assigned_to: assigneeId, previous: row.assignedTo, by: byUserId },
      event: 'call.assigned',
    })
  })
}

/**
 * Pauses or resumes the recording of an answered call whose recording is on (or paused), when
 * the number allows pausing; then tells the carrier (its `record` verb). Pausing a paused
 * recording, or resuming a running one, changes nothing.
 */
export async function setRecordingPaused(
  deps: EngineDeps,
  companyId: number,
  callId: number,
  paused: boolean,
  byUserId: number | null,
  guard?: CallGuard,
): Promise<void> {
  const changed = await deps.db.transaction(async (tx) => {
    const row = await lockCall(tx, companyId, callId, guard)
    if (row.status === 'done') throw ended()
    if (row.status !== 'answered') throw new DomainError('not_allowed', 'The call is not answered yet')
    if (row.recordingState === 'off') throw new DomainError('not_allowed', 'The call is not being recorded')
    const [number] = await tx
      .select({ settings: numbers.settings })
      .from(numbers)
      .where(and(eq(numbers.id, row.numberId), eq(numbers.companyId, companyId)))
    if (!number?.settings.recording[row.direction].allow_pause_resume) {
      throw new DomainError('not_allowed', "The number's settings do not allow pausing the recording")
    }
    const target = paused ? 'paused' : 'on'
    if (row.recordingState === target) return null
    return commitCallChange(tx, deps, row, {
      set: { recordingState: target },
      type: paused ? 'recording_paused' : 'recording_resumed',
      data: { by: byUserId },
    })
  })
  if (!changed) return
  // After the commit, as the engine drives the carrier: the row says what the recording should be.
  await deps.callControl.execute(callRef(changed), [{ verb: 'record', action: paused ? 'pause' : 'resume' }])
  // The agent on the call sees the new recording state, whoever changed it (they, or an admin
  // through the API): `call.answered` again carries the call as it is now.
  if (changed.userId !== null) {
    const refs = await loadCallRefs(deps.db, changed, eventBase(deps.env))
    deps.agentChannel.send(companyId, [changed.userId], {
      type: 'call.answered',
      call: agentCall(changed, refs, 'answered'),
    })
  }
}

/**
 * Deletes the call's recording or voicemail for good: the file leaves the blob store and the
 * call forgets it, in the call's transaction (a failed commit leaves the column pointing at a
 * file already gone, which the next DELETE clears). No file: nothing to do.
 */
export async function deleteCallAsset(
  deps: EngineDeps & { blobs: BlobStore },
  companyId: number,
  callId: number,
  kind: 'recording' | 'voicemail',
  byUserId: number | null,
  guard?: CallGuard,
): Promise<void> {
  await deps.db.transaction(async (tx) => {
    const row = await lockCall(tx, companyId, callId, guard)
    const key = kind === 'recording' ? row.recordingBlobId : row.voicemailBlobId
    if (key === null) return
    await deps.blobs.delete(key)
    await commitCallChange(tx, deps, row, {
      set: kind === 'recording' ? { recordingBlobId: null } : { voicemailBlobId: null },
      type: `${kind}_deleted`,
      data: { by: byUserId },
    })
  })
}

export type InsightCardContents = Extract<ServerMessage, { type: 'call.insight_card' }>['contents']

/** Cards kept per call: the newest, should an integration post one every second. */
export const MAX_INSIGHT_CARDS = 20

/**
 * Shows an insight card to the agents of a live call (the one on it once answered, those it
 * rings on before) and keeps it with the call: an agent the call reaches later, or whose app
 * reconnects, gets the call's cards too (the engine and the realtime hello send them). A call
 * that rings nobody yet (its welcome message, its menu, its queue) keeps the card for the agent
 * it reaches: Aircall's flow posts the card on `call.created`.
 */
export async function sendInsightCard(
  deps: EngineDeps,
  companyId: number,
  callId: number,
  contents: InsightCardContents,
  guard?: CallGuard,
): Promise<void> {
  const [row] = await deps.db
    .select()
    .from(calls)
    .where(and(eq(calls.id, callId), eq(calls.companyId, companyId)))
  if (!row) throw notFound('Call not found')
  guard?.(row)
  if (row.status === 'done') throw ended()
  // Appended in SQL, so two cards posted at once are both kept; no version bump (the call's
  // data, its webhooks and its CRM activity do not change). The agents to show it to are read
  // from the row the update leaves: an update that waited for the engine's lock (the call
  // starting to ring) sees who it rings now, where the engine sent the cards it had.
  const card = JSON.stringify([contents])
  const [after] = await deps.db
    .update(calls)
    .set({
      insightCards: sql`case when jsonb_array_length(${calls.insightCards}) >= ${MAX_INSIGHT_CARDS}
        then (${calls.insightCards} - 0) || ${card}::jsonb
        else ${calls.insightCards} || ${card}::jsonb end`,
    })
    .where(and(eq(calls.id, row.id), ne(calls.status, 'done')))
    .returning({ status: calls.status, userId: calls.userId, ringing: calls.ringing })
  if (!after) throw ended()
  const agents = after.status === 'answered' && after.userId !== null ? [after.userId] : after.ringing
  if (agents.length > 0) {
    deps.agentChannel.send(companyId, agents, { type: 'call.insight_card', call_id: row.id, contents })
  }
}

const callRef = (row: CallRow) => ({
  id: row.id,
  companyId: row.companyId,
  carrierRef: row.carrierRef,
  version: row.version,
})
