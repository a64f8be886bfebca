import type { EngineDeps } from '../../telephony/engine/call-engine.ts'
import { type TransferRequest, transferCall } from '../../telephony/engine/call-transfer.ts'
import type { ServiceContext } from '../context.ts'

/**
 * POST /v1/calls/:id/transfers. API keys and admins transfer any connected call of the
 * company; an agent's token only the call they are on (405 otherwise, as on the realtime
 * channel). The rules are the engine's (telephony/engine/call-transfer.ts).
 */
export async function transferCallFromApi(
  ctx: ServiceContext,
  deps: EngineDeps,
  callId: number,
  request: TransferRequest,
): Promise<void> {
  const actor = ctx.actor
  const byUserId = actor.type === 'user' && actor.role !== 'admin' ? actor.userId : null
  await transferCall(deps, ctx.companyId, callId, request, byUserId)
}
