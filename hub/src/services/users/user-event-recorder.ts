import type { Clock } from '../../core/clock.ts'
import type { Links } from '../../core/links.ts'
import type { UserEventRecorder } from '../../telephony/engine/ports.ts'
import { getUserRow, recordUserEvents } from './agent-presence.ts'

/**
 * The call engine's way to record user.* events (wrap-up start and end) with the User object
 * every user.* event carries. `links`: the hub's public base (PUBLIC_URL), as the engine's
 * call events use: these events have no request to take an origin from.
 */
export function createUserEventRecorder(deps: { clock: Clock; links: Links }): UserEventRecorder {
  return {
    async record(tx, companyId, userId, events) {
      const row = await getUserRow(tx, companyId, userId)
      // A user deleted meanwhile: user.deleted said it; nothing to record.
      if (!row) return
      await recordUserEvents(tx, deps, row, events)
    },
  }
}
