import type { AgentCall } from '@switchboard/shared'
import { and, arrayContains, desc, eq, isNull, or } from 'drizzle-orm'
import { DomainError, notFound } from '../../core/errors.ts'
import { calls } from '../../db/schema/index.ts'
import { isAgentsCall, ownCallsOnly } from './call-change.ts'
import { applyCallEvent, type EngineDeps, eventBase, nudgeWaitingCalls } from './call-engine.ts'
import { commentCall, tagCall } from './call-notes.ts'
import { agentCall, loadCallRefs } from './call-object.ts'
import { setRecordingPaused } from './call-updates.ts'
import type { AgentAction, CallActions } from './ports.ts'

/** Checked on the locked call: the agent is (still) the one on it. */
const onCall = (userId: number) => (row: { userId: number | null }) => {
  if (row.userId !== userId) throw new DomainError('not_allowed', 'You are not on this call')
}

/**
 * Agents' actions on calls, for the realtime channel (and REST for agent tokens). An agent may
 * answer or decline only a call ringing on them, and hang up only the call they are on;
 * another company's call is not found.
 */
export function createCallActions(deps: EngineDeps): CallActions {
  async function ownCall(companyId: number, callId: number) {
    const [row] = await deps.db
      .select()
      .from(calls)
      .where(and(eq(calls.id, callId), eq(calls.companyId, companyId)))
    if (!row) throw notFound('Call not found')
    return row
  }

  return {
    async agentAction(companyId, userId, action: AgentAction) {
      const row = await ownCall(companyId, action.call_id)
      switch (action.type) {
        case 'answer':
        case 'decline': {
          if (!row.ringing.includes(userId)) {
            throw new DomainError('not_allowed', 'This call is not ringing on you')
          }
          await applyCallEvent(
            deps,
            row.id,
            action.type === 'answer' ? { type: 'leg_answered', userId } : { type: 'leg_declined', userId },
            companyId,
          )
          return
        }
        case 'hangup': {
          if (row.status !== 'answered' || row.userId !== userId) {
            throw new DomainError('not_allowed', 'You are not on this call')
          }
          await applyCallEvent(deps, row.id, { type: 'agent_hungup', userId }, companyId)
          return
        }
        case 'tag':
        case 'comment': {
          // The agent who took the call (or was assigned it) annotates it (mandatory tagging:
          // before their next call).
          if (!isAgentsCall(row, userId)) throw new DomainError('not_allowed', 'You did not take this call')
          const guard = ownCallsOnly(userId)
          if (action.type === 'tag') await tagCall(deps, companyId, row.id, action.tag_ids, userId, guard)
          else await commentCall(deps, companyId, row.id, action.content, userId, guard)
          return
        }
        case 'pause_recording':
        case 'resume_recording': {
          if (row.userId !== userId) throw new DomainError('not_allowed', 'You are not on this call')
          await setRecordingPaused(
            deps,
            companyId,
            row.id,
            action.type === 'pause_recording',
            userId,
            onCall(userId),
          )
          return
        }
        default:
          throw new DomainError('not_allowed', `"${action.type}" is not available on calls yet`)
      }
    },

    presenceChanged: (companyId) => nudgeWaitingCalls(deps, companyId),

    async currentCall(companyId, userId): Promise<AgentCall | null> {
      const [row] = await deps.db
        .select()
        .from(calls)
        .where(
          and(
            eq(calls.companyId, companyId),
            isNull(calls.endedAt),
            or(
              arrayContains(calls.ringing, [userId]),
              and(eq(calls.userId, userId), eq(calls.status, 'answered')),
            ),
          ),
        )
        .orderBy(desc(calls.startedAt))
        .limit(1)
      if (!row) return null
      const refs = await loadCallRefs(deps.db, row, eventBase(deps.env))
      return agentCall(row, refs, row.status === 'answered' ? 'answered' : 'ringing')
    },
  }
}
