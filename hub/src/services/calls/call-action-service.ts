import type { BlobStore } from '../../blobs/blob-store.ts'
import { DomainError } from '../../core/errors.ts'
import { createCallActions } from '../../telephony/engine/call-actions.ts'
import { type CallGuard, ownCallsOnly } from '../../telephony/engine/call-change.ts'
import type { EngineDeps } from '../../telephony/engine/call-engine.ts'
import { commentCall, tagCall, untagCall } from '../../telephony/engine/call-notes.ts'
import {
  assignCall,
  deleteCallAsset,
  type InsightCardContents,
  sendInsightCard,
  setCallArchived,
  setRecordingPaused,
} from '../../telephony/engine/call-updates.ts'
import type { ServiceContext } from '../context.ts'
import { getCall } from './call-service.ts'

/**
 * The Calls API's actions on a call. Who may act: API keys and admins on every call of the
 * company; an agent's token only on its own calls (the one the agent took or placed, or one
 * assigned to them), as on the realtime channel. Another company's call is not found. The
 * rules and the writes live in the engine (telephony/engine/call-notes.ts, call-updates.ts).
 */

export type CallActionDeps = EngineDeps & { blobs: BlobStore }

/** The user acting (comments' posted_by, the timeline), or null for an API key. */
const byOf = (ctx: ServiceContext) => (ctx.actor.type === 'user' ? ctx.actor.userId : null)

function guardOf(ctx: ServiceContext): CallGuard | undefined {
  const actor = ctx.actor
  return actor.type === 'user' && actor.role !== 'admin' ? ownCallsOnly(actor.userId) : undefined
}

export function addCallTags(
  deps: EngineDeps,
  ctx: ServiceContext,
  callId: number,
  tagIds: readonly number[],
) {
  return tagCall(deps, ctx.companyId, callId, tagIds, byOf(ctx), guardOf(ctx))
}

export function removeCallTag(deps: EngineDeps, ctx: ServiceContext, callId: number, tagId: number) {
  return untagCall(deps, ctx.companyId, callId, tagId, byOf(ctx), guardOf(ctx))
}

export function addCallComment(deps: EngineDeps, ctx: ServiceContext, callId: number, content: string) {
  return commentCall(deps, ctx.companyId, callId, content, byOf(ctx), guardOf(ctx))
}

export async function archiveCall(deps: EngineDeps, ctx: ServiceContext, callId: number, archived: boolean) {
  await setCallArchived(deps, ctx.companyId, callId, archived, byOf(ctx), guardOf(ctx))
  return getCall(ctx, callId)
}

export async function assignCallTo(deps: EngineDeps, ctx: ServiceContext, callId: number, userId: number) {
  await assignCall(deps, ctx.companyId, callId, userId, byOf(ctx), guardOf(ctx))
  return getCall(ctx, callId)
}

export function pauseCallRecording(deps: EngineDeps, ctx: ServiceContext, callId: number, paused: boolean) {
  return setRecordingPaused(deps, ctx.companyId, callId, paused, byOf(ctx), guardOf(ctx))
}

export function deleteCallRecording(
  deps: CallActionDeps,
  ctx: ServiceContext,
  callId: number,
  kind: 'recording' | 'voicemail',
) {
  return deleteCallAsset(deps, ctx.companyId, callId, kind, byOf(ctx), guardOf(ctx))
}

export function showInsightCard(
  deps: EngineDeps,
  ctx: ServiceContext,
  callId: number,
  contents: InsightCardContents,
) {
  return sendInsightCard(deps, ctx.companyId, callId, contents, guardOf(ctx))
}

/**
 * What an agent's device does, as the realtime channel's `answer` / `decline` / `hangup`, for a
 * client that has no socket open (a desk phone's integration, a script): answer or decline a
 * call ringing on the acting user, hang up the call they are on. The user acts for themselves
 * (an agent's token, or any user's session); an API key is nobody's device.
 */
export function agentDeviceAction(
  deps: EngineDeps,
  ctx: ServiceContext,
  callId: number,
  type: 'answer' | 'decline' | 'hangup',
) {
  if (ctx.actor.type !== 'user') {
    throw new DomainError('forbidden', 'Only a user answers, declines or hangs up, on their own device')
  }
  return createCallActions(deps).agentAction(ctx.companyId, ctx.actor.userId, { type, call_id: callId })
}
