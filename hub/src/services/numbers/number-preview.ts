import { normalizePhone } from '@switchboard/shared'
import { badRequest } from '../../core/errors.ts'
import {
  agentPresence,
  type PreviewPresence,
  type PreviewResult,
  previewCall,
} from '../../telephony/preview.ts'
import type { AgentPresence } from '../../telephony/routing-types.ts'
import { loadCallWorld, settingAvailability } from '../../telephony/routing-world.ts'
import type { ServiceContext } from '../context.ts'
import { fullName } from '../users/user-json.ts'
import { findNumber } from './number-hydrate.ts'
import { displayDigits } from './number-json.ts'

export type PreviewRequest = {
  from: string
  /** ISO 8601, or UNIX seconds; default now. */
  at?: string | number
  digits?: string
  presence?: Record<string, PreviewPresence>
}

function parseAt(at: string | number | undefined, now: Date): number {
  if (at === undefined) return now.getTime()
  if (typeof at === 'number' || /^\d+$/.test(at)) return Number(at) * 1000
  // Date.parse would read "2026-03-02T10:00" as local time: require an offset or Z.
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(at)) {
    throw badRequest('at', 'must be ISO 8601 with a time zone (2026-03-02T10:00:00Z) or UNIX seconds')
  }
  const ms = Date.parse(at)
  if (Number.isNaN(ms)) throw badRequest('at', 'not a valid instant')
  return ms
}

/**
 * POST /v1/numbers/:id/preview: the path a call from `from` at `at` would take, step by step.
 * A user's presence, unless the request says, is what their availability setting means at that
 * instant: live state (connected apps, calls) is ignored, a preview is about the configuration.
 */
export async function previewNumber(
  ctx: ServiceContext,
  id: number,
  request: PreviewRequest,
): Promise<PreviewResult> {
  const number = await findNumber(ctx.db, ctx.companyId, id)
  const caller = normalizePhone(request.from, number.country)
  if (!caller) throw badRequest('from', `"${request.from}" is not a valid phone number`)
  const at = parseAt(request.at, ctx.clock.now())
  const world = await loadCallWorld(ctx.db, ctx.companyId, caller.e164)

  const known = new Set(world.users.map((u) => u.id))
  const given = new Map<number, PreviewPresence>()
  for (const [key, value] of Object.entries(request.presence ?? {})) {
    const userId = Number(key)
    if (!Number.isInteger(userId) || !known.has(userId))
      throw badRequest(`presence.${key}`, `user ${key} does not exist`)
    given.set(userId, value)
  }
  const atDate = new Date(at)
  const presence = new Map<number, PreviewPresence>(
    world.users.map((u) => [u.id, given.get(u.id) ?? settingAvailability(u, atDate)]),
  )

  return previewCall({
    numberId: number.id,
    configs: world.configs,
    world: {
      teams: world.teams,
      presence: new Map<number, AgentPresence>([...presence].map(([uid, p]) => [uid, agentPresence(p)])),
      callerBlacklisted: world.callerBlacklisted,
    },
    presence,
    at,
    digits: request.digits ?? '',
    names: {
      users: new Map(world.users.map((u) => [u.id, fullName(u) || u.email])),
      teams: world.teamNames,
      numbers: new Map([...world.numbers].map(([nid, n]) => [nid, `"${n.name}" (${displayDigits(n.e164)})`])),
      audio: world.audio,
    },
  })
}
