import { and, eq } from 'drizzle-orm'
import { DomainError, notFound } from '../../core/errors.ts'
import type { Tx } from '../../db/client.ts'
import { callEvents, calls } from '../../db/schema/index.ts'
import { type EventName, recordEvent } from '../../events/outbox.ts'
import { type EngineDeps, eventBase } from './call-engine.ts'
import { engineAssetSigner } from './call-finalize.ts'
import { type CallRow, callWebhookData, loadCallNotes, loadCallRefs } from './call-object.ts'

/**
 * Changes to a call outside its routing (tags, comments, archive, assignment, recording
 * pause, asset deletion), made the way the engine applies events: in ONE transaction that
 * locks the call's row, bumps its version, appends the timeline row (seq = the new version,
 * so engine events and these changes share one ordered timeline) and records the outbox
 * event, if Aircall has one for the change. A change that changes nothing writes nothing.
 */

/** Checked once the call's row is locked: throws when the caller may not change this call. */
export type CallGuard = (row: CallRow) => void

/** An agent's own calls: the one they took (or placed), or one assigned to them. */
export const isAgentsCall = (row: CallRow, userId: number) =>
  row.userId === userId || row.assignedTo === userId

/** The guard of an agent's token: their own calls only (admins and API keys have none). */
export function ownCallsOnly(userId: number): CallGuard {
  return (row) => {
    if (!isAgentsCall(row, userId)) {
      throw new DomainError('forbidden', 'This call is neither yours nor assigned to you')
    }
  }
}

export async function lockCall(tx: Tx, companyId: number, callId: number, guard?: CallGuard) {
  const [row] = await tx
    .select()
    .from(calls)
    .where(and(eq(calls.id, callId), eq(calls.companyId, companyId)))
    .for('update')
  if (!row) throw notFound('Call not found')
  guard?.(row)
  return row
}

export type CallChange = {
  /** Columns changed along with the version. */
  set?: Partial<
    Pick<CallRow, 'archived' | 'assignedTo' | 'recordingState' | 'recordingBlobId' | 'voicemailBlobId'>
  >
  /** The timeline row: its type and what it says. */
  type: string
  data: Record<string, unknown>
  /** The webhook event, when Aircall has one for this change. */
  event?: EventName
}

/** Inside the call's transaction (row locked by lockCall): writes the change; the updated row. */
export async function commitCallChange(
  tx: Tx,
  deps: Pick<EngineDeps, 'clock' | 'env'>,
  row: CallRow,
  change: CallChange,
): Promise<CallRow> {
  const version = row.version + 1
  const [updated] = await tx
    .update(calls)
    .set({ ...change.set, version })
    .where(eq(calls.id, row.id))
    .returning()
  await tx.insert(callEvents).values({
    callId: row.id,
    seq: version,
    companyId: row.companyId,
    at: deps.clock.now(),
    type: change.type,
    data: change.data,
  })
  if (change.event) {
    await recordEvent(tx, deps.clock, row.companyId, change.event, await eventData(tx, deps, updated!))
  }
  return updated!
}

/** The call as webhooks carry it, with its tags and comments as they now stand. */
async function eventData(tx: Tx, deps: Pick<EngineDeps, 'env' | 'clock'>, row: CallRow) {
  const base = eventBase(deps.env)
  const [notes, refs] = await Promise.all([
    loadCallNotes(tx, row.companyId, row.id, base),
    loadCallRefs(tx, row, base, engineAssetSigner(deps, base)),
  ])
  return { ...callWebhookData(row, refs), ...notes }
}
