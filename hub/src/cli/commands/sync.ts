import { eq } from 'drizzle-orm'
import { z } from 'zod'
import type { AdminDeps } from '../../admin/operations.ts'
import { parseAdminInput } from '../../admin/operations.ts'
import { notFound } from '../../core/errors.ts'
import { calls } from '../../db/schema/index.ts'
import { listFailedSyncs, replayCallSync } from '../../services/integrations/sync-ledger.ts'

/**
 * Operator commands for the CRM sync, for `sb` (directly, or inside the hub behind the admin
 * socket):
 *
 *   sb sync:failed [--limit <n>] [--json]      failed (call, integration) syncs, newest first
 *   sb sync:replay <call id> [--integration <id>]  syncs the call again to its integrations
 */
const id = z.coerce
  .number({ error: 'must be an id' })
  .int('must be an id')
  .min(1, 'must be an id')
  .max(2 ** 53)

export const failedSyncsInputSchema = z.object({
  limit: z.coerce.number().int().min(1, 'must be 1 to 1000').max(1000, 'must be 1 to 1000').default(100),
})
export const replayInputSchema = z.object({ call_id: id, integration_id: id.optional() })

export async function failedSyncs(deps: Pick<AdminDeps, 'db'>, input: unknown = {}) {
  const { limit } = parseAdminInput(failedSyncsInputSchema, input ?? {})
  return (await listFailedSyncs(deps.db, limit)).map((r) => ({
    call_id: r.callId,
    company_id: r.companyId,
    integration_id: r.integrationId,
    integration_name: r.integrationName,
    kind: r.kind,
    attempts: r.attempts,
    last_error: r.lastError,
    updated_at: r.updatedAt.toISOString(),
  }))
}

/** The operator acts for the call's company (found from the call). */
export async function replaySync(deps: Pick<AdminDeps, 'db' | 'clock' | 'queue'>, input: unknown) {
  const { call_id, integration_id } = parseAdminInput(replayInputSchema, input)
  const [call] = await deps.db.select({ companyId: calls.companyId }).from(calls).where(eq(calls.id, call_id))
  if (!call) throw notFound('Call not found')
  return replayCallSync(
    { db: deps.db, clock: deps.clock, companyId: call.companyId },
    await deps.queue(),
    call_id,
    integration_id,
  )
}
