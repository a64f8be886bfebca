import { and, asc, desc, eq, sql } from 'drizzle-orm'
import { notFound } from '../../core/errors.ts'
import type { Queryable } from '../../db/client.ts'
import { callSyncs, calls, integrations } from '../../db/schema/index.ts'
import type { JobQueue } from '../../jobs/queue.ts'
import type { ServiceContext } from '../context.ts'
import { syncJobs } from './sync-job.ts'

/** One integration's sync of a call, as `GET /v1/calls/:id` shows it in `sync`. */
export type CallSyncJson = {
  integration_id: number
  integration_name: string
  kind: string
  state: 'pending' | 'synced' | 'failed' | 'skipped'
  /** The CRM's id of the activity (HubSpot call, Salesforce Task, Zendesk ticket). */
  external_id: string | null
  attempts: number
  last_error: string | null
  /** ISO 8601: the last time the CRM's activity was brought up to date. */
  synced_at: string | null
}

/** The sync ledger of a call of the company, one entry per integration. */
export async function callSyncJson(
  db: Queryable,
  companyId: number,
  callId: number,
): Promise<CallSyncJson[]> {
  const rows = await db
    .select({ sync: callSyncs, name: integrations.name, kind: integrations.kind })
    .from(callSyncs)
    .innerJoin(integrations, eq(integrations.id, callSyncs.integrationId))
    .where(and(eq(callSyncs.companyId, companyId), eq(callSyncs.callId, callId)))
    .orderBy(asc(callSyncs.integrationId))
  return rows.map(({ sync, name, kind }) => ({
    integration_id: sync.integrationId,
    integration_name: name,
    kind,
    state: sync.state,
    external_id: sync.activityId,
    attempts: sync.attempts,
    last_error: sync.lastError,
    synced_at: sync.syncedAt?.toISOString() ?? null,
  }))
}

/**
 * Syncs a call of the company again to its integrations (or only `integrationId`): failed and
 * skipped rows go back to pending and the CRM's activity is brought to the call's current state
 * (an existing activity is updated, never duplicated). A call or integration of another company
 * is not found.
 */
export async function replayCallSync(
  ctx: Pick<ServiceContext, 'db' | 'companyId' | 'clock'>,
  queue: JobQueue,
  callId: number,
  integrationId?: number,
): Promise<CallSyncJson[]> {
  const [call] = await ctx.db
    .select({ id: calls.id, version: calls.version })
    .from(calls)
    .where(and(eq(calls.id, callId), eq(calls.companyId, ctx.companyId)))
  if (!call) throw notFound('Call not found')
  const now = ctx.clock.now()
  const replayed = await ctx.db
    .update(callSyncs)
    .set({
      state: 'pending',
      skipReason: null,
      retryAt: null,
      // Above what the CRM shows: the row is due again whatever its synced version.
      wantedVersion: sql`greatest(${callSyncs.wantedVersion}, ${callSyncs.syncedVersion} + 1, ${call.version})`,
      updatedAt: now,
    })
    .where(
      and(
        eq(callSyncs.companyId, ctx.companyId),
        eq(callSyncs.callId, callId),
        integrationId === undefined ? undefined : eq(callSyncs.integrationId, integrationId),
      ),
    )
    .returning({ integrationId: callSyncs.integrationId })
  if (integrationId !== undefined && replayed.length === 0)
    throw notFound('Integration not found for this call')
  const key = `replay:${callId}:${now.getTime()}:${Math.random().toString(36).slice(2, 8)}`
  await queue.addBulk(syncJobs(replayed.map((r) => ({ integrationId: r.integrationId, key }))))
  return callSyncJson(ctx.db, ctx.companyId, callId)
}

/** Failed syncs, newest first, every company (the operator's `sb sync:failed`). */
export async function listFailedSyncs(db: Queryable, limit = 100) {
  return db
    .select({
      callId: callSyncs.callId,
      companyId: callSyncs.companyId,
      integrationId: callSyncs.integrationId,
      integrationName: integrations.name,
      kind: integrations.kind,
      attempts: callSyncs.attempts,
      lastError: callSyncs.lastError,
      updatedAt: callSyncs.updatedAt,
    })
    .from(callSyncs)
    .innerJoin(integrations, eq(integrations.id, callSyncs.integrationId))
    .where(eq(callSyncs.state, 'failed'))
    .orderBy(desc(callSyncs.updatedAt))
    .limit(limit)
}
