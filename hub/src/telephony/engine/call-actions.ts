import type { AgentCall } from '@switchboard/shared'
import { and, arrayContains, desc, eq, isNull, or } from 'drizzle-orm'
import { DomainError, notFound } from '../../core/errors.ts'
import { calls } from '../../db/schema/index.ts'
import { isAgentsCall, ownCallsOnly } from './call-change.ts'
import {
  applyCallEvent,
  type EngineDeps,
  type EngineEvent,
  eventBase,
  nudgeWaitingCalls,
} from './call-engine.ts'
import { commentCall, tagCall } from './call-notes.ts'
import { agentCall, insightCardFrames, loadCallRefs } from './call-object.ts'
import { transferCall } from './call-transfer.ts'
import { setRecordingPaused } from './call-updates.ts'
import { agentOnCall } from './live-state.ts'
import type { AgentAction, CallActions } from './ports.ts'

/** Checked on the locked call: the agent is (still) the one on it. */
const onCall = (userId: number) => (row: { userId: number | null }) => {
  if (row.userId !== userId) throw new DomainError('not_allowed', 'You are not on this call')
}

/**
 * Agents' actions on calls, for the realtime channel (and REST for agent tokens). An agent may
 * answer or decline only a call ringing on them, hang up only the call they are on (or the
 * outbound call they placed, before it is answered), transfer only the call they are on;
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
      // Answers and hang-ups, the actions of every call, are checked on the call as the engine
      // locks it: one read of the call, not two.
      switch (action.type) {
        case 'answer':
        case 'decline': {
          const event: EngineEvent =
            action.type === 'answer' ? { type: 'leg_answered', userId } : { type: 'leg_declined', userId }
          await applyCallEvent(deps, action.call_id, event, companyId, (row) => {
            if (!row.ringing.includes(userId)) {
              throw new DomainError('not_allowed', 'This call is not ringing on you')
            }
          })
          return
        }
        case 'hangup': {
          await applyCallEvent(deps, action.call_id, { type: 'agent_hungup', userId }, companyId, (row) => {
            const placing = row.direction === 'outbound' && row.status === 'initial'
            if ((row.status !== 'answered' && !placing) || row.userId !== userId) {
              throw new DomainError('not_allowed', 'You are not on this call')
            }
          })
          return
        }
      }
      const row = await ownCall(companyId, action.call_id)
      switch (action.type) {
        case 'transfer': {
          if (row.status !== 'answered' || row.userId !== userId) {
            throw new DomainError('not_allowed', 'You are not on this call')
          }
          const { type: _type, ref: _ref, call_id: _callId, ...request } = action
          await transferCall(deps, companyId, row.id, request, userId)
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
      }
    },

    presenceChanged: (companyId) => nudgeWaitingCalls(deps, companyId),

    async insightCards(companyId, callId) {
      const [row] = await deps.db
        .select({ id: calls.id, insightCards: calls.insightCards })
        .from(calls)
        .where(and(eq(calls.id, callId), eq(calls.companyId, companyId)))
      return row ? insightCardFrames(row) : []
    },
    async currentCall(companyId, userId): Promise<AgentCall | null> {
      const [row] = await deps.db
        .select()
        .from(calls)
        .where(
          and(
            eq(calls.companyId, companyId),
            isNull(calls.endedAt),
            or(arrayContains(calls.ringing, [userId]), agentOnCall(userId)),
          ),
        )
        .orderBy(desc(calls.startedAt))
        .limit(1)
      if (!row) return null
      const refs = await loadCallRefs(deps.db, row, eventBase(deps.env))
      // A connected call whose transfer rings on this agent rings for them.
      const status = row.ringing.includes(userId) || row.status !== 'answered' ? 'ringing' : 'answered'
      return agentCall(row, refs, status)
    },
  }
}
