import { and, eq, getTableColumns, gt, sql } from 'drizzle-orm'
import { z } from 'zod'
import { urlSigningSecret } from '../../blobs/url-signing-secret.ts'
import type { Queryable } from '../../db/client.ts'
import { compiled } from '../../db/compiled.ts'
import { callEvents, calls } from '../../db/schema/index.ts'
import { writeBatch } from '../../db/write-batch.ts'
import { type EventName, recordEvents } from '../../events/outbox.ts'
import { defineJob, newJobs } from '../../jobs/job-definition.ts'
import type { NewJob } from '../../jobs/queue.ts'
import { type AssetUrlSigner, callAssetSigner, stableAssetId, storeCallAsset } from '../audio/call-assets.ts'
import { MAX_CALL_AUDIO_SEC } from '../audio/call-audio.ts'
import { cachedCallWorld } from '../routing-world.ts'
import type { EngineDeps } from './call-engine.ts'
import { callWebhookData, eventBase, loadCallNotes, loadCallRefs, worldCallRefs } from './call-object.ts'
import { insertTimelineRow, lockCall, updateCall } from './call-statements.ts'

/**
 * The last step of every call, after its hang-up: its recording and voicemail become real
 * files in the blob store, then the call's final events go out — `call.voicemail_left` (with
 * its link), `call.comm_assets_generated` (when there is a file), and `call.ended`, which
 * Aircall sends once the call's data is final. `call.hungup` went out at the hang-up itself.
 *
 * The audio is rendered outside any transaction, under a file name fixed per call and kind, so
 * a retry after a crash overwrites instead of piling up files. The transaction that follows
 * locks the call and writes the `finalized` timeline row: a call is finalized exactly once,
 * and a call `done` without that row is finalized again at the next start (rearmFinalizations).
 */

const SANDBOX_AUDIO_SEED = 1

/** The timeline row's type that marks a finalized call. */
export const FINALIZED = 'finalized'

const finalizeDefinition = {
  name: 'call-finalize',
  schema: z.object({ callId: z.number().int().positive() }),
  tries: 8,
  backoffMs: 1000,
  handle: async (deps: EngineDeps, data: { callId: number }) => {
    await finalizeCall(deps, data.callId)
  },
}

/**
 * A queue of its own: finalizations (an MP3 to render and store, a transaction) must keep up
 * with the calls that end, and the call timers of the `calls` queue must not wait behind them.
 * When they shared it, 1,800 finalizations were waiting after 25 s of the call benchmark, and a
 * ring timer due then would have waited behind them.
 */
export const callFinalizeJob = defineJob({ ...finalizeDefinition, queue: 'call-finalize', concurrency: 32 })

/** Finalizations a previous release queued in the `calls` queue: run as they are. */
export const legacyCallFinalizeJob = defineJob({ ...finalizeDefinition, queue: 'calls', concurrency: 4 })

/** The job that finalizes a call that just ended (armed in the hang-up's transaction). */
export function finalizeJobs(callId: number): NewJob[] {
  return newJobs(callFinalizeJob, [{ data: { callId }, jobKey: `call:${callId}:finalize` }])
}

/** Signs Call objects' recording / voicemail links for the engine's events. */
export function engineAssetSigner(deps: Pick<EngineDeps, 'env' | 'clock'>, base: string): AssetUrlSigner {
  return callAssetSigner({ secret: urlSigningSecret(deps.env), base, now: () => deps.clock.now() })
}

/** Whether the call has its `finalized` timeline row, as a column of a query on `calls`. */
export const finalizedColumn = sql<boolean>`exists (select 1 from ${callEvents} e where e.call_id = ${calls}.id and e.type = ${FINALIZED})`

/**
 * The pauses and resumptions of a call's recording, in order, as a column of a query on
 * `calls` (JSON: [type, at]).
 */
const recordingMarksColumn = sql<
  [string, string][] | string
>`(select coalesce(json_agg(json_build_array(e.type, e.at) order by e.seq), '[]') from ${callEvents} e where e.call_id = ${calls}.id and e.type in ('recording_paused', 'recording_resumed'))`

/** The call with what its finalization needs: whether it is done, and its recording's pauses. */
const callToFinalize = compiled((db: Queryable) =>
  db
    .select({ ...getTableColumns(calls), finalized: finalizedColumn, marks: recordingMarksColumn })
    .from(calls)
    .where(eq(calls.id, sql.placeholder('callId'))),
)

/** Whether the call is finalized, read after its lock (see finalizeCall). */
const finalizedCheck = compiled((db: Queryable) =>
  db
    .select({ finalized: finalizedColumn })
    .from(calls)
    .where(eq(calls.id, sql.placeholder('callId'))),
)

function marksOf(column: [string, string][] | string): { type: string; at: Date }[] {
  const marks: [string, string][] = typeof column === 'string' ? JSON.parse(column) : column
  return marks.map(([type, at]) => ({ type, at: new Date(at) }))
}

/**
 * How long the recording runs: the talk from `answeredAt` to `endedAt`, less the time between
 * each pause and the resumption after it (or the end, for a call hung up while paused). A
 * pause while paused, or a resumption while recording, changes nothing (the engine refuses
 * them anyway).
 */
export function recordedMs(
  answeredAt: Date,
  endedAt: Date,
  marks: readonly { type: string; at: Date }[],
): number {
  const start = answeredAt.getTime()
  const end = endedAt.getTime()
  const clamp = (t: number) => Math.min(end, Math.max(start, t))
  let paused = 0
  let pausedAt: number | null = null
  for (const m of marks) {
    if (m.type === 'recording_paused' && pausedAt === null) pausedAt = clamp(m.at.getTime())
    else if (m.type === 'recording_resumed' && pausedAt !== null) {
      paused += clamp(m.at.getTime()) - pausedAt
      pausedAt = null
    }
  }
  if (pausedAt !== null) paused += end - pausedAt
  return Math.max(0, end - start - paused)
}

export async function finalizeCall(deps: EngineDeps, callId: number): Promise<void> {
  const [row] = await callToFinalize(deps.db, { callId })
  if (row?.status !== 'done' || row.finalized) return

  // The recording covers the conversation, from the answer to the hang-up, less its pauses.
  const talkMs = row.answeredAt && row.endedAt ? row.endedAt.getTime() - row.answeredAt.getTime() : 0
  const wantsRecording = row.recordingState !== 'off' && talkMs > 0 && !row.recordingBlobId
  const talkSec = wantsRecording
    ? Math.ceil(recordedMs(row.answeredAt!, row.endedAt!, marksOf(row.marks)) / 1000)
    : 0
  const wantsVoicemail = (row.voicemailDurationSec ?? 0) > 0 && !row.voicemailBlobId
  const store = (kind: 'recording' | 'voicemail', seconds: number) =>
    storeCallAsset(deps.blobs, {
      companyId: row.companyId,
      callId: row.id,
      kind,
      seconds: Math.min(seconds, MAX_CALL_AUDIO_SEC),
      // One rendering per length (the sandbox's audio is synthetic): see storeCallAsset.
      seed: SANDBOX_AUDIO_SEED,
      fileId: stableAssetId(row.companyId, row.id, kind),
    })
  const [recordingKey, voicemailKey] = await Promise.all([
    wantsRecording && talkSec > 0 ? store('recording', talkSec) : null,
    wantsVoicemail ? store('voicemail', row.voicemailDurationSec!) : null,
  ])

  await deps.db.transaction(async (tx) => {
    // The finalized check is a statement of its own, after the lock: the locking one's snapshot
    // is from before it waited, so it would miss the row of a finalization that committed
    // meanwhile. Both go in one round trip (PostgreSQL runs the second once the first is done).
    // Its tags and comments too (an agent tagging during the wrap-up): call.ended carries them.
    const base = eventBase(deps.env)
    const [[locked], [done], notes] = await Promise.all([
      lockCall(tx, { callId }),
      finalizedCheck(tx, { callId }),
      loadCallNotes(tx, row.companyId, callId, base),
    ])
    if (!locked) return
    if (done?.finalized) return
    const { routingVersion, ...current } = locked
    const change = {
      version: current.version + 1,
      ...(recordingKey ? { recordingBlobId: recordingKey } : {}),
      ...(voicemailKey ? { voicemailBlobId: voicemailKey } : {}),
    }
    // The row as the update leaves it: the update, the timeline row and the events go together,
    // as one statement (db/write-batch.ts).
    const call = { ...current, ...change }
    const assetUrl = engineAssetSigner(deps, base)
    // The names come from the company's routing world, read at the version locked with the row.
    const world = await cachedCallWorld(tx, deps.worldCache, call.companyId, call.externalNumber, {
      blacklist: false,
      version: routingVersion,
    })
    // A number released since is read from the database: call.ended still names it.
    const refs = world.numbers.has(call.numberId)
      ? worldCallRefs(world, call, base, assetUrl)
      : await loadCallRefs(tx, call, base, assetUrl)
    const events: EventName[] = []
    if (call.voicemailBlobId) events.push('call.voicemail_left')
    if (call.voicemailBlobId || call.recordingBlobId) events.push('call.comm_assets_generated')
    events.push('call.ended')
    const data = { ...callWebhookData(call, refs), ...notes }
    const batch = writeBatch(tx)
    await Promise.all([
      updateCall(batch.db, callId, change),
      insertTimelineRow(batch.db, {
        callId,
        seq: change.version,
        companyId: call.companyId,
        at: deps.clock.now(),
        type: FINALIZED,
        data: { recording: call.recordingBlobId !== null, voicemail: call.voicemailBlobId !== null },
      }),
      recordEvents(
        batch.db,
        deps.clock,
        call.companyId,
        events.map((event) => ({ event, data })),
      ),
    ])
    await batch.runLast()
  })
}

/**
 * Calls that ended without being finalized (a crash between the hang-up and the job, or a
 * queue add lost at scale) are finalized again: run at a worker's start, and at a web
 * process's start at scale (server.ts). Looks back a week.
 */
export async function rearmFinalizations(deps: Pick<EngineDeps, 'db' | 'queue' | 'clock'>): Promise<number> {
  const since = new Date(deps.clock.now().getTime() - 7 * 24 * 3600 * 1000)
  const rows = await deps.db
    .select({ id: calls.id })
    .from(calls)
    .where(
      and(
        eq(calls.status, 'done'),
        gt(calls.endedAt, since),
        sql`not exists (select 1 from ${callEvents} where ${callEvents.callId} = ${calls.id} and ${callEvents.type} = ${FINALIZED})`,
      ),
    )
  if (rows.length === 0) return 0
  await deps.queue.addBulk(rows.flatMap((r) => finalizeJobs(r.id)))
  return rows.length
}
