import type { CallerCard } from '@switchboard/shared'
import type { AgentChannel, CallerCardPort, RingingCall } from '../../telephony/engine/ports.ts'
import { type CallerInfoDeps, callerCard } from './caller-info.ts'

/**
 * The engine's caller-card port: each agent a call rings on gets `call.caller_card` right after
 * `call.ringing` (or as soon as the lookup ends, within CALLER_INFO_DEADLINE_MS).
 *
 * - The lookup starts when the call is about to be created, before its first ring, and overlaps
 *   the creating transaction; the ringing frames then wait on the same lookup (the cache shares
 *   it).
 * - The call's card is kept in memory while the call lives, so agents who start ringing later
 *   (the next distribution step, a transfer) get the same card at once, even after the cache's
 *   TTL. Kept for at most `maxCalls` calls and `maxAgeMs`: a call whose end this process never
 *   saw (it ended on another hub process) is forgotten by age.
 * - Best effort, in memory: a hub that crashes loses the cards it was looking up; the agents of
 *   those calls see the call without its card (the extension can still ask GET /v1/caller_info).
 *   A call whose later ring happens on another hub process (a timer run by a worker) is looked up
 *   there, through that process's cache.
 */
export function createRingingCards(
  deps: CallerInfoDeps & { agentChannel: AgentChannel },
  opts: { maxCalls?: number; maxAgeMs?: number } = {},
): CallerCardPort {
  const maxCalls = opts.maxCalls ?? 10_000
  const maxAgeMs = opts.maxAgeMs ?? 4 * 3600_000
  const kept = new Map<number, { companyId: number; card: Promise<CallerCard | null>; at: number }>()

  const lookUp = (call: RingingCall): Promise<CallerCard | null> =>
    callerCard(deps, {
      companyId: call.companyId,
      phoneNumber: call.externalNumber,
      numberId: call.numberId,
    }).catch((err: unknown) => {
      deps.logger.warn({ err, companyId: call.companyId }, 'caller card: lookup failed')
      return null
    })

  const forgetOld = (now: number) => {
    // Map order is insertion order: the oldest calls come first.
    for (const [id, entry] of kept) {
      if (kept.size <= maxCalls && now - entry.at < maxAgeMs) break
      kept.delete(id)
    }
  }

  return {
    callStarting(call) {
      void lookUp(call)
    },
    ringing(call, userIds) {
      const now = Date.now()
      let entry = kept.get(call.callId)
      if (!entry || entry.companyId !== call.companyId) {
        entry = { companyId: call.companyId, card: lookUp(call), at: now }
        kept.set(call.callId, entry)
        forgetOld(now)
      }
      const to = [...userIds]
      const mine = entry
      void entry.card.then((card) => {
        // A lookup that failed is not kept for the call: the next ring tries again.
        if (!card) {
          if (kept.get(call.callId) === mine) kept.delete(call.callId)
          return
        }
        try {
          deps.agentChannel.send(call.companyId, to, { type: 'call.caller_card', call_id: call.callId, card })
        } catch (err) {
          deps.logger.warn({ err, callId: call.callId }, 'caller card: the agent channel refused it')
        }
      })
    },
    callEnded(companyId, callId) {
      if (kept.get(callId)?.companyId === companyId) kept.delete(callId)
    },
  }
}
